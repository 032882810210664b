import Contracts
import Foundation
import Hummingbird
import HummingbirdAuth
import VecheAuth
import VecheRuntime

/// The gateway's identity settings: how it verifies callers, its own client (public feed and Open311
/// intake as `public_portal`), and the web sign-in client (authorization code + PKCE).
///
/// | Variable | Default | Meaning |
/// |---|---|---|
/// | `VECHE_PUBLIC_URL` | `http://127.0.0.1:$VECHE_HTTP_PORT` | the gateway's own origin: sign-in redirect URI and the same-origin check |
/// | `VECHE_WEB_CLIENT_ID`, `VECHE_WEB_CLIENT_SECRET(_FILE)` | `veche-web` | confidential client of the web sign-in |
/// | `VECHE_COOKIE_SECURE` | `true` | `Secure` session cookie (browsers accept it on http://127.0.0.1 and localhost) |
struct GatewayIdentity: Sendable {
    let verifier: TokenVerifier
    /// The gateway's own token (client credentials); nil when the gateway has no client.
    let own: ClientCredentials?
    let web: TokenEndpoint
    let publicURL: String
    let cookieSecure: Bool

    init(verifier: TokenVerifier, own: ClientCredentials?, config: VecheConfig,
         environment env: [String: String] = ProcessInfo.processInfo.environment) {
        self.verifier = verifier
        self.own = own
        let secret = env["VECHE_WEB_CLIENT_SECRET"] ?? env["VECHE_WEB_CLIENT_SECRET_FILE"].flatMap(VecheConfig.readSecret) ?? ""
        web = TokenEndpoint(settings: config.oidc, clientID: env["VECHE_WEB_CLIENT_ID"] ?? "veche-web", clientSecret: secret)
        publicURL = config.publicURL
        cookieSecure = (env["VECHE_COOKIE_SECURE"] ?? "true") != "false"
    }

    var redirectURI: String { publicURL + "/auth/callback" }

    /// scheme://host[:port] of the public URL.
    var origin: String {
        guard let u = URL(string: publicURL), let scheme = u.scheme, let host = u.host else { return publicURL }
        return u.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}

/// Establishes the caller of every request: a bearer token (verified here with the provider's JWKS) or the
/// browser session's token (renewed with its refresh token shortly before it expires). An invalid bearer
/// token is a 401 at once; an expired session is simply signed out.
struct CallerMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let identity: GatewayIdentity

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer "), header.count > 7 else {
                throw AuthError.unauthenticated("Authorization must be 'Bearer <access token>'")
            }
            context.identity = .bearer(try await identity.verifier.verify(String(header.dropFirst(7))))
        } else if let session = context.sessions.session, session.accessToken != nil {
            context.identity = try await sessionCaller(session, context)
        }
        return try await next(request, context)
    }

    /// The session's caller, or nil (and the session cleared) when its token is no longer valid; throws a
    /// transient `AuthError` when the provider cannot be reached, so a valid session is not signed out.
    func sessionCaller(_ session: WebSession, _ context: Context) async throws -> Caller? {
        var s = session
        if let expires = s.expiresAt, expires.timeIntervalSinceNow < 60, let refresh = s.refreshToken {
            if let renewed = try? await identity.web.refresh(refresh) {
                s.accessToken = renewed.accessToken
                s.refreshToken = renewed.refreshToken ?? refresh
                s.expiresAt = Date().addingTimeInterval(Double(renewed.expiresIn ?? 300))
                _ = context.sessions.updateSession(s)
            }
        }
        guard let token = s.accessToken, let csrf = s.csrf else {
            context.sessions.clearSession()
            return nil
        }
        do {
            return .session(try await identity.verifier.verify(token), csrf: csrf)
        } catch let e as AuthError where e.isTransient {
            throw e  // 503: the provider is unreachable; the session stays for the next request
        } catch {
            context.sessions.clearSession()
            return nil
        }
    }
}

/// Per-call backends: as the caller (its token forwarded), as the gateway itself (public data), or as a citizen.
struct Backends: Sendable {
    let transport: any RPCTransport
    let identity: GatewayIdentity
    /// The signed-in callers' roles (`grants(_:options:)`).
    let grantCache: GrantCache

    /// The signed-in caller's roles (cached, see `CallerGrantSource`); 401 when nobody is signed in.
    func grants(_ context: GatewayContext, options: CallOptions) async throws -> [Grant] {
        let caller = try signedIn(context)
        return try await grantCache.grants(for: caller.principalKey,
                                           via: CallerGrantSource(client: clients(of: caller, context).agencies, options: options))
    }

    /// Clients that act for the signed-in caller; 401 when there is none.
    func caller(_ context: GatewayContext) throws -> ServiceClients { clients(of: try signedIn(context), context) }

    /// The signed-in caller; 401 when there is none.
    private func signedIn(_ context: GatewayContext) throws -> Caller {
        guard let caller = context.identity else {
            throw AuthError.unauthenticated("sign in first: send Authorization: Bearer <access token>, or use /auth/login")
        }
        return caller
    }

    private func clients(of caller: Caller, _ context: GatewayContext) -> ServiceClients {
        let headers = [RPCHeader.authorization: "Bearer " + caller.token.raw, RPCHeader.clientAddress: context.remote]
        return ServiceClients(transport: CredentialedTransport(base: transport) { headers })
    }

    /// Clients that act as the gateway (`public_portal`): only public, redacted data and Open311 intake.
    func portal(_ context: GatewayContext) throws -> ServiceClients {
        guard let own = identity.own else { throw RPCError.unavailable("the gateway has no client credentials (VECHE_CLIENT_ID)") }
        let remote = context.remote
        return ServiceClients(transport: CredentialedTransport(base: transport) {
            [RPCHeader.authorization: "Bearer " + (try await own.token()), RPCHeader.clientAddress: remote]
        })
    }

    /// Clients that act for a citizen holding an appeal token.
    func citizen(_ token: String, _ context: GatewayContext) -> ServiceClients {
        let headers = [RPCHeader.citizenToken: token, RPCHeader.clientAddress: context.remote]
        return ServiceClients(transport: CredentialedTransport(base: transport) { headers })
    }
}
