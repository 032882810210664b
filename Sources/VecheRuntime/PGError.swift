import Contracts
import Foundation

/// An error that knows the RPC status it should be reported with (nil: an internal error).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError? { get }
}

/// A database error. `description` is redacted: SQLSTATE and the server's primary message, no bind values.
///
/// Callers must be able to tell two failure modes apart:
/// * **not applied** — the statement or transaction certainly did not change anything (an error reply,
///   a connection lost before COMMIT was sent, the pool could not lend a connection): safe to retry;
/// * **outcome unknown** (`outcomeUnknown`) — the connection broke after COMMIT (or an autocommit
///   statement) was sent and before its reply arrived: the change may or may not be durable. Retry only
///   with an idempotency key, which then reports the first outcome.
public struct PGError: RPCErrorConvertible, CustomStringConvertible, Sendable {
    public var sqlState: String
    public var message: String
    public var detail: String
    public var constraint: String
    /// The server connection is gone (it is re-established before the connection is lent again).
    public var connectionLost: Bool
    /// See the type comment.
    public var outcomeUnknown: Bool

    public init(sqlState: String, message: String, detail: String = "", constraint: String = "",
                connectionLost: Bool = false, outcomeUnknown: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.connectionLost = connectionLost
        self.outcomeUnknown = outcomeUnknown
    }

    public var description: String {
        "PostgreSQL error \(sqlState): \(message)" + (outcomeUnknown ? " (outcome unknown)" : "")
    }

    /// A text value with a NUL character, which PostgreSQL cannot store (refused before it reaches libpq,
    /// which would silently cut the value at the NUL).
    static var nulCharacter: PGError {
        PGError(sqlState: "22021", message: "text contains a NUL character (U+0000), which cannot be stored")
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isConnectionFailure: Bool { connectionLost || sqlState.hasPrefix("08") || sqlState.isEmpty }
    /// The database is gone, or a COMMIT's outcome is unknown: a consumer redelivers its whole batch later instead of
    /// handling the batch's messages one by one (which only helps when one message made the batch fail).
    public var redeliversBatch: Bool { isConnectionFailure || outcomeUnknown }

    /// Maps well-known SQLSTATE classes to RPC status codes; nil for internal errors.
    /// 503 always means "not applied, retry"; 504 means "outcome unknown".
    public var rpcError: RPCError? {
        if outcomeUnknown {
            return .deadlineExceeded("the database connection was lost while the change was being committed; it may or may not "
                + "have been applied — retry with the same Idempotency-Key to learn the outcome")
        }
        switch sqlState {
        case "23505": return .alreadyExists("duplicate value violates \(constraint.isEmpty ? "a unique constraint" : constraint)")
        case "23503": return .failedPrecondition("referenced row does not exist (\(constraint))")
        case "23514", "22P02", "22007", "22008", "22003", "22021": return .invalidArgument(message)
        case "40001", "40P01": return .unavailable("transaction conflict, nothing was applied; retry")
        case "55P03", "57014": return .unavailable("the database is busy (lock or statement timeout), nothing was applied; retry")
        default: return isConnectionFailure ? .unavailable("database unavailable, nothing was applied; retry") : nil
        }
    }
}

/// Why `PGPool` could not lend a connection. Nothing was run, so nothing was applied.
public enum PGPoolError: RPCErrorConvertible, CustomStringConvertible, Sendable {
    /// No connection became free within the acquire timeout.
    case acquireTimeout(Duration)
    /// The pool was closed.
    case closed

    public var description: String {
        switch self {
        case .acquireTimeout(let d): return "no database connection became free within \(d)"
        case .closed: return "the database pool is closed"
        }
    }

    public var rpcError: RPCError? { .unavailable("\(self); nothing was applied, retry") }
}
