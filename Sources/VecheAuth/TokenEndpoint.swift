import Foundation

/// A token response from the provider's token endpoint (RFC 6749 §5.1).
public struct TokenResponse: Sendable, Decodable {
    public var accessToken: String
    public var expiresIn: Int?
    public var refreshToken: String?
    public var idToken: String?
    /// The scopes granted, space-separated, when the provider says (it must when they differ from those asked for).
    public var scope: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", expiresIn = "expires_in", refreshToken = "refresh_token", idToken = "id_token", scope
    }
}

/// Calls the provider's token endpoint as a confidential client (client_secret_basic).
public struct TokenEndpoint: Sendable {
    public var settings: OIDCSettings
    public var clientID: String
    public var clientSecret: String

    public init(settings: OIDCSettings, clientID: String, clientSecret: String) {
        self.settings = settings
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    /// This process's own client, from `VECHE_CLIENT_ID` and its secret.
    public init(settings: OIDCSettings) {
        self.init(settings: settings, clientID: settings.clientID, clientSecret: settings.clientSecret)
    }

    public func clientCredentials() async throws -> TokenResponse {
        try await request([("grant_type", "client_credentials"), ("scope", settings.scope)])
    }

    /// Resource owner password grant: for the command-line client and tests only (people use the web sign-in).
    public func password(username: String, password: String) async throws -> TokenResponse {
        try await request([("grant_type", "password"), ("username", username), ("password", password), ("scope", settings.scope)])
    }

    /// Authorization code with PKCE (RFC 7636), for the web sign-in.
    public func authorizationCode(_ code: String, verifier: String, redirectURI: String) async throws -> TokenResponse {
        try await request([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier)])
    }

    public func refresh(_ token: String) async throws -> TokenResponse {
        try await request([("grant_type", "refresh_token"), ("refresh_token", token)])
    }

    func request(_ fields: [(String, String)]) async throws -> TokenResponse {
        guard !clientID.isEmpty else { throw AuthError.unauthenticated("no client id configured (VECHE_CLIENT_ID)") }
        do {
            let resolved = try await settings.discovered(timeout: settings.providerTimeout)
            guard let url = resolved.tokenURL else { throw AuthError.unauthenticated("the provider has no token endpoint") }
            let data = try await HTTP.postForm(url, fields, basicAuth: (clientID, clientSecret), timeout: settings.providerTimeout)
            return try JSONDecoder().decode(TokenResponse.self, from: data)
        } catch let f as HTTP.Failure where (400..<500).contains(f.status) {
            throw AuthError.unauthenticated("the provider refused the \(fields.first?.1 ?? "") grant for \(clientID) (HTTP \(f.status))")
        } catch let e as AuthError {
            throw e
        } catch {
            throw AuthError.providerUnavailable("the identity provider's token endpoint did not answer: \(error)")
        }
    }
}

/// A machine's own access token, fetched with client credentials and renewed a minute before it expires.
/// Services use it for calls they make as themselves; it is never used for a call made for a person.
public actor ClientCredentials {
    public let endpoint: TokenEndpoint
    private var current: (token: String, renewAt: Date)?

    public init(endpoint: TokenEndpoint) { self.endpoint = endpoint }

    public var clientID: String { endpoint.clientID }

    public func token(now: Date = Date()) async throws -> String {
        if let c = current, now < c.renewAt { return c.token }
        let r = try await endpoint.clientCredentials()
        let lifetime = Double(r.expiresIn ?? 300)
        current = (r.accessToken, now.addingTimeInterval(max(lifetime - 60, lifetime / 2)))
        return r.accessToken
    }

    /// Forgets the cached token (e.g. after a 401 from a service that no longer accepts it).
    public func reset() { current = nil }
}
