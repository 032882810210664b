/// Why a call was refused: no valid credentials (401), credentials without the needed grant (403), or
/// credentials that cannot be checked now because the identity provider does not answer (503, retryable:
/// a valid token must never be treated as a bad one because the provider was slow).
/// Services answer it as `Nats-Service-Error-Code` 401/403/503, the gateway as the same HTTP status.
public enum AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    case unauthenticated(String)
    case permissionDenied(String)
    case providerUnavailable(String)

    public var message: String {
        switch self {
        case .unauthenticated(let m), .permissionDenied(let m), .providerUnavailable(let m): return m
        }
    }

    /// 401, 403 or 503.
    public var statusCode: Int {
        switch self {
        case .unauthenticated: return 401
        case .permissionDenied: return 403
        case .providerUnavailable: return 503
        }
    }

    /// True when the same credentials may pass later (the provider was unreachable): intake redelivers
    /// instead of rejecting, and a browser session is kept instead of being signed out.
    public var isTransient: Bool {
        if case .providerUnavailable = self { return true }
        return false
    }

    public var description: String { "\(statusCode): \(message)" }

    /// The standard refusal for a principal whose grants do not cover an action.
    public static func denied(_ principal: Principal, _ action: String) -> AuthError {
        .permissionDenied("\(principal.actor) may not \(action)")
    }
}
