import Contracts
import Foundation
import Logging
import VecheAuth

/// Establishes who calls an RPC before its handler runs; the service host refuses the call (401 / 403)
/// when this throws.
public protocol RPCAuthenticator: Sendable {
    func authenticate(service: String, method: String, headers: [String: String]) async throws -> Principal
}

/// The authenticator of every platform service: verifies the bearer token itself (same issuer and JWKS as the
/// gateway), adds the caller's grants from the directory (cached), and applies the method's rule from
/// `MethodRules`. A citizen's appeal token is accepted only by methods whose rule allows citizens; the
/// handler then checks it against the stored hash.
public struct TokenAuthenticator: RPCAuthenticator {
    public let verifier: TokenVerifier
    public let grants: any GrantSource

    public init(verifier: TokenVerifier, grants: any GrantSource) {
        self.verifier = verifier
        self.grants = grants
    }

    public func authenticate(service: String, method: String, headers: [String: String]) async throws -> Principal {
        try await authenticate(service: service, method: method, headers: headers, at: Date())
    }

    /// As an RPC of `service.method`, with the token checked as of `at`: for messages that waited in a stream,
    /// the time the stream stored them (a token valid when the system published is honoured later).
    public func authenticate(service: String, method: String, headers: [String: String], at: Date) async throws -> Principal {
        guard let rule = MethodRules.rule(service: service, method: method) else {
            throw AuthError.permissionDenied("\(service).\(method) has no access rule; refused")
        }
        let source = headers[RPCHeader.clientAddress] ?? "nats"
        if let authorization = headers[RPCHeader.authorization] {
            guard authorization.hasPrefix("Bearer "), authorization.count > 7 else {
                throw AuthError.unauthenticated("Authorization must be 'Bearer <access token>'")
            }
            let token = try await verifier.verify(String(authorization.dropFirst(7)), now: at)
            let key = Principal.key(kind: token.kind, name: token.name)
            let principal = Principal(kind: token.kind, name: token.name, clientID: token.clientID,
                                      grants: try await grants.grants(for: key), bearerToken: token.raw, source: source)
            try MethodRules.check(principal, service: service, method: method)
            return principal
        }
        if let citizen = headers[RPCHeader.citizenToken], rule.allowsCitizen {
            guard CitizenToken.isWellFormed(citizen) else { throw AuthError.unauthenticated("the citizen token is not valid") }
            return Principal(kind: .citizen, name: CitizenToken.hash(citizen), source: source)
        }
        throw AuthError.unauthenticated("\(service).\(method) needs credentials (Authorization: Bearer <access token>)")
    }
}

/// Lets every caller in, with no identity: only for the benchmark's private echo service, which holds no data.
public struct UnauthenticatedBenchmarkAccess: RPCAuthenticator {
    public init() {}
    public func authenticate(service: String, method: String, headers: [String: String]) async throws -> Principal {
        Principal(kind: .client, name: "benchmark")
    }
}
