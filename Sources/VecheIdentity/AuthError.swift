/// Why a call was refused: no valid credentials (401) or credentials without the needed grant (403).
/// Services answer it as `Nats-Service-Error-Code` 401/403, the gateway as HTTP 401/403.
public enum AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    case unauthenticated(String)
    case permissionDenied(String)

    public var message: String {
        switch self {
        case .unauthenticated(let m), .permissionDenied(let m): return m
        }
    }

    /// 401 or 403.
    public var statusCode: Int {
        switch self {
        case .unauthenticated: return 401
        case .permissionDenied: return 403
        }
    }

    public var description: String { "\(statusCode): \(message)" }

    /// The standard refusal for a principal whose grants do not cover an action.
    public static func denied(_ principal: Principal, _ action: String) -> AuthError {
        .permissionDenied("\(principal.actor) may not \(action)")
    }
}
