import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the identity provider is and how to read its tokens. Any OpenID Connect provider works by
/// configuration: the local glewlwyd (default), the region's Keycloak, ЕСИА for citizens.
///
/// | Variable | Default | Meaning |
/// |---|---|---|
/// | `VECHE_OIDC_ISSUER` | `http://127.0.0.1:$VECHE_IDP_PORT/api/oidc` | expected `iss`; endpoints are discovered from it |
/// | `VECHE_OIDC_AUDIENCE` | `veche` | expected `aud` |
/// | `VECHE_OIDC_JWKS_URL`, `VECHE_OIDC_TOKEN_URL`, `VECHE_OIDC_AUTHORIZATION_URL`, `VECHE_OIDC_END_SESSION_URL` | discovery | override the discovered endpoints |
/// | `VECHE_OIDC_USERNAME_CLAIM` | `username` | claim naming a person (Keycloak: `preferred_username`) |
/// | `VECHE_OIDC_CLIENT_ID_CLAIM` | `client_id` | claim naming the OAuth client (Keycloak: `azp`) |
/// | `VECHE_OIDC_SCOPE` | `veche` | scope requested for tokens |
/// | `VECHE_OIDC_LEEWAY_SECONDS` | `30` | clock skew allowed on `exp` / `nbf` |
/// | `VECHE_CLIENT_ID`, `VECHE_CLIENT_SECRET` or `VECHE_CLIENT_SECRET_FILE` | — | this process's own client credentials |
public struct OIDCSettings: Sendable {
    public var issuer: String
    public var audience: String
    public var jwksURL: URL?
    public var tokenURL: URL?
    public var authorizationURL: URL?
    public var endSessionURL: URL?
    public var usernameClaim: String
    public var clientIDClaim: String
    public var scope: String
    public var leeway: Duration
    /// The JWKS is fetched again for an unknown `kid` at most this often (key rotation without a restart,
    /// without letting forged `kid`s hammer the provider).
    public var jwksMinRefreshInterval: Duration = .seconds(10)
    /// After a failed JWKS fetch, callers are answered 503 for this long without another fetch (a provider that
    /// is down is not hammered by every request); the refresh throttle is not started, so the first fetch after
    /// it may bring the key.
    public var jwksFailureBackoff: Duration = .seconds(1)
    /// Time allowed for each call to the provider's discovery and JWKS endpoints (a loaded provider is slow,
    /// not wrong; a failure is answered 503, never 401).
    public var providerTimeout: Duration = .seconds(15)
    public var clientID: String
    public var clientSecret: String

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        let port = env["VECHE_IDP_PORT"] ?? "4593"
        issuer = env["VECHE_OIDC_ISSUER"] ?? "http://127.0.0.1:\(port)/api/oidc"
        audience = env["VECHE_OIDC_AUDIENCE"] ?? "veche"
        jwksURL = env["VECHE_OIDC_JWKS_URL"].flatMap(URL.init(string:))
        tokenURL = env["VECHE_OIDC_TOKEN_URL"].flatMap(URL.init(string:))
        authorizationURL = env["VECHE_OIDC_AUTHORIZATION_URL"].flatMap(URL.init(string:))
        endSessionURL = env["VECHE_OIDC_END_SESSION_URL"].flatMap(URL.init(string:))
        usernameClaim = env["VECHE_OIDC_USERNAME_CLAIM"] ?? "username"
        clientIDClaim = env["VECHE_OIDC_CLIENT_ID_CLAIM"] ?? "client_id"
        scope = env["VECHE_OIDC_SCOPE"] ?? "veche"
        leeway = .seconds(Int(env["VECHE_OIDC_LEEWAY_SECONDS"] ?? "") ?? 30)
        clientID = env["VECHE_CLIENT_ID"] ?? ""
        if let s = env["VECHE_CLIENT_SECRET"] {
            clientSecret = s
        } else if let path = env["VECHE_CLIENT_SECRET_FILE"], let s = try? String(contentsOfFile: path, encoding: .utf8) {
            clientSecret = s.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            clientSecret = ""
        }
    }

    /// Fills the endpoints not configured explicitly from `<issuer>/.well-known/openid-configuration`.
    public func discovered(timeout: Duration = .seconds(5)) async throws -> OIDCSettings {
        if jwksURL != nil, tokenURL != nil, authorizationURL != nil { return self }
        guard let url = URL(string: issuer + "/.well-known/openid-configuration") else {
            throw AuthError.unauthenticated("VECHE_OIDC_ISSUER is not a URL: \(issuer)")
        }
        struct Discovery: Decodable {
            var issuer: String
            var jwks_uri: String
            var token_endpoint: String
            var authorization_endpoint: String?
            var end_session_endpoint: String?
        }
        let doc = try JSONDecoder().decode(Discovery.self, from: try await HTTP.get(url, timeout: timeout))
        guard doc.issuer == issuer else {
            throw AuthError.unauthenticated("the provider at \(url) names issuer \(doc.issuer), expected \(issuer)")
        }
        var out = self
        out.jwksURL = out.jwksURL ?? URL(string: doc.jwks_uri)
        out.tokenURL = out.tokenURL ?? URL(string: doc.token_endpoint)
        out.authorizationURL = out.authorizationURL ?? doc.authorization_endpoint.flatMap(URL.init(string:))
        out.endSessionURL = out.endSessionURL ?? doc.end_session_endpoint.flatMap(URL.init(string:))
        return out
    }
}

/// Minimal HTTP for the provider's endpoints (discovery, JWKS, token): bounded time, status checked.
enum HTTP {
    struct Failure: Error, CustomStringConvertible {
        var url: String
        var status: Int
        var body: String
        var description: String { "HTTP \(status) from \(url): \(body.prefix(200))" }
    }

    static func session(_ timeout: Duration) -> URLSession {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = Double(timeout.components.seconds)
        c.timeoutIntervalForResource = Double(timeout.components.seconds)
        return URLSession(configuration: c)
    }

    static func get(_ url: URL, timeout: Duration) async throws -> Data {
        var request = URLRequest(url: url)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        return try await send(request, timeout: timeout)
    }

    static func postForm(_ url: URL, _ fields: [(String, String)], basicAuth: (String, String)?, timeout: Duration) async throws -> Data {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let (user, password) = basicAuth {
            let raw = Data("\(formEncode(user)):\(formEncode(password))".utf8).base64EncodedString()
            request.setValue("Basic \(raw)", forHTTPHeaderField: "Authorization")
        }
        request.httpBody = Data(fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&").utf8)
        return try await send(request, timeout: timeout)
    }

    /// application/x-www-form-urlencoded (RFC 6749 appendix B also for client id and secret in Basic auth).
    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func send(_ request: URLRequest, timeout: Duration) async throws -> Data {
        let s = session(timeout)
        defer { s.finishTasksAndInvalidate() }
        let (data, response) = try await s.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw Failure(url: request.url?.absoluteString ?? "", status: status, body: String(decoding: data, as: UTF8.self))
        }
        return data
    }
}
