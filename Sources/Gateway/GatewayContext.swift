import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore
import VecheAuth

/// Who is calling the gateway: a verified access token from the `Authorization` header (programs), or the
/// token held by a browser session (people signed in through the web sign-in, CSRF-protected).
enum Caller: Sendable {
    case bearer(VerifiedToken)
    case session(VerifiedToken, csrf: String)

    var token: VerifiedToken {
        switch self {
        case .bearer(let t), .session(let t, _): return t
        }
    }

    /// The caller as the directory and the audit log name it (`user:<name>`, `client:<id>`).
    var principalKey: String { Principal.key(kind: token.kind, name: token.name) }
}

/// What a browser session holds (server side; the cookie carries only a random id).
struct WebSession: Codable, Sendable {
    /// A sign-in in progress (authorization code + PKCE).
    struct Pending: Codable, Sendable {
        var state: String
        var verifier: String
        var nonce: String
        var returnTo: String
        var startedAt: Date
    }
    var pending: Pending?
    var accessToken: String?
    var refreshToken: String?
    var expiresAt: Date?
    var idToken: String?
    /// Sent back in `X-CSRF-Token` on every unsafe request of this session.
    var csrf: String?
    var username: String?
}

/// The gateway's request context: the session (hummingbird-auth), the authenticated caller, the client address.
struct GatewayContext: AuthRequestContext, SessionRequestContext, RequestContext {
    var coreContext: CoreRequestContextStorage
    let sessions: SessionContext<WebSession>
    var identity: Caller?
    /// The client's address as the gateway saw it (recorded in the audit log).
    let remote: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        sessions = .init()
        identity = nil
        remote = source.channel.remoteAddress?.ipAddress ?? "local"
    }
}
