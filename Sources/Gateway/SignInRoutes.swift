import Contracts
import Foundation
import Hummingbird
import HTTPTypes
import VecheAuth
import WorkspaceUI

/// Browser sign-in through the OpenID Connect provider: authorization code with PKCE (S256), `state` checked,
/// a fresh session id after sign-in (no fixation), tokens kept server side; the cookie is HttpOnly, SameSite=Lax
/// and Secure, and every unsafe request of the session needs its CSRF token.
///
/// * `GET /auth/login?return_to=/path` → 303 to the provider's authorization endpoint
/// * `GET /auth/callback?code&state` → 303 to `return_to`, signed in
/// * `GET /auth/session` → who is signed in, roles, CSRF token (401 when nobody)
/// * `POST /auth/logout` (X-CSRF-Token) → signed out
struct SignInRoutes: Sendable {
    let identity: GatewayIdentity
    let backends: Backends
    let settings: GatewaySettings
    /// The workspace's templates: a failed sign-in is explained on a page (`SignInFailurePage`), not in JSON.
    let templates: Result<WorkspaceTemplates, any Error>

    struct SessionInfo: Codable, Sendable {
        var principal: String
        var kind: String
        var clientId: String
        var csrfToken: String?
        var expiresAtMs: Int64
        var roles: [AgencyV1.Grant]
    }

    func register(on router: Router<GatewayContext>) {
        router.get("auth/login") { request, context in
            let returnTo = Self.safeReturn(request.uri.queryParameters.get("return_to"))
            let pending = WebSession.Pending(state: SecureRandom.token(), verifier: SecureRandom.token(bytes: 48),
                                            nonce: SecureRandom.token(), returnTo: returnTo, startedAt: Date())
            context.sessions.createSession(WebSession(pending: pending), expiresIn: .seconds(600))
            let resolved = try await identity.web.settings.discovered()
            guard let endpoint = resolved.authorizationURL, var url = URLComponents(url: endpoint, resolvingAgainstBaseURL: false) else {
                throw RPCError.unavailable("the identity provider has no authorization endpoint")
            }
            url.queryItems = [
                URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: identity.web.clientID),
                URLQueryItem(name: "redirect_uri", value: identity.redirectURI), URLQueryItem(name: "scope", value: "openid " + resolved.scope),
                URLQueryItem(name: "state", value: pending.state), URLQueryItem(name: "nonce", value: pending.nonce),
                URLQueryItem(name: "code_challenge", value: SecureRandom.pkceChallenge(pending.verifier)),
                URLQueryItem(name: "code_challenge_method", value: "S256"),
            ]
            return Self.redirect(url.string ?? endpoint.absoluteString)
        }
        router.get("auth/callback") { request, context in
            let returnTo = context.sessions.session?.pending?.returnTo ?? "/ws"
            do {
                return try await callback(request, context)
            } catch {
                // A browser came here: it gets a page that says what went wrong and offers to sign in again.
                guard let rpc = RPCError.from(error), let templates = try? templates.get() else { throw error }
                context.logger.notice("sign-in failed", metadata: ["status": "\(rpc.code.rawValue)", "reason": "\(rpc.message)"])
                return try SignInFailurePage(templates: templates, regionName: settings.regionName).render(rpc, returnTo: returnTo)
                    .response(from: request, context: context)
            }
        }
        router.get("auth/session") { _, context in
            guard let caller = context.identity else { throw AuthError.unauthenticated("not signed in") }
            let t = caller.token
            let grants = try await backends.caller(context).agencies.resolveGrants(.init(), options: CallOptions(timeout: settings.callTimeout))
            var csrf: String?
            if case .session(_, let token) = caller { csrf = token }
            return JSONResponse(SessionInfo(principal: caller.principalKey, kind: t.kind.rawValue, clientId: t.clientID,
                                            csrfToken: csrf, expiresAtMs: Int64(t.expiresAt.timeIntervalSince1970 * 1000), roles: grants.grants))
        }
        router.post("auth/logout") { _, context in
            context.sessions.clearSession()
            var body = ["signedOut": "true"]
            if let end = try? await identity.web.settings.discovered().endSessionURL { body["endSessionUrl"] = end.absoluteString }
            return JSONResponse(body)
        }
    }

    /// The provider's redirect back: the code exchanged for tokens (PKCE), the token checked, a fresh session.
    func callback(_ request: Request, _ context: GatewayContext) async throws -> Response {
        guard let pending = context.sessions.session?.pending, Date().timeIntervalSince(pending.startedAt) < 600 else {
            throw RPCError.invalidArgument("no sign-in in progress (or it took longer than 10 minutes); start again at /auth/login")
        }
        let q = request.uri.queryParameters
        if let error = q.get("error") { throw AuthError.unauthenticated("the identity provider refused the sign-in: \(error)") }
        guard let state = q.get("state"), UnsafeRequestGuard.constantTimeEqual(state, pending.state) else {
            throw RPCError.invalidArgument("sign-in state does not match; start again at /auth/login")
        }
        guard let code = q.get("code"), !code.isEmpty else { throw RPCError.invalidArgument("the provider sent no code") }
        let tokens = try await identity.web.authorizationCode(code, verifier: pending.verifier, redirectURI: identity.redirectURI)
        // The person may untick the platform's scope on the provider's consent page; every service would then refuse
        // the token, so the sign-in stops here and says why.
        let scope = try await identity.web.settings.discovered().scope
        if let granted = tokens.scope, !granted.split(separator: " ").contains(Substring(scope)) {
            throw AuthError.permissionDenied("the sign-in did not grant the scope \(scope) (granted: \(granted))")
        }
        let verified = try await identity.verifier.verify(tokens.accessToken)
        guard verified.kind == .user else { throw AuthError.unauthenticated("the sign-in produced no user token") }
        let session = WebSession(accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
                                 expiresAt: Date().addingTimeInterval(Double(tokens.expiresIn ?? 300)), idToken: tokens.idToken,
                                 csrf: SecureRandom.token(), username: verified.name)
        context.sessions.createSession(session, expiresIn: .seconds(12 * 3600))
        context.logger.notice("signed in", metadata: ["user": "\(verified.name)", "from": "\(context.remote)"])
        return Self.redirect(pending.returnTo)
    }

    /// The sign-in that comes back to `returnTo` (a path of this site), percent-encoded as one query value.
    static func loginPath(returnTo: String) -> String {
        "/auth/login?return_to=" + (returnTo.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/ws")
    }

    /// Only paths of this site (no scheme, no `//host`): no open redirect.
    static func safeReturn(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.count < 500 else { return "/" }
        return raw
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
