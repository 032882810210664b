import Contracts
import VecheAuth
import VecheRuntime

/// Authenticates every caller as the client named in the `Test-Principal` header (default "test"): for the
/// runtime's own tests of the service host, which run services without an identity provider. Never used
/// by a platform service.
public struct HeaderAuthenticator: RPCAuthenticator {
    public static let header = "Test-Principal"

    public init() {}

    public func authenticate(service: String, method: String, headers: [String: String]) async throws -> Principal {
        Principal(kind: .client, name: headers[Self.header] ?? "test")
    }
}
