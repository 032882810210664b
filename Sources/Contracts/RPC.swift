import Foundation
import Logging
import VecheIdentity

/// Status codes carried in the numeric `Nats-Service-Error-Code` header (HTTP-like, as NATS micro services use).
public struct RPCStatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let invalidArgument = RPCStatusCode(rawValue: 400)
    public static let unauthenticated = RPCStatusCode(rawValue: 401)
    public static let permissionDenied = RPCStatusCode(rawValue: 403)
    public static let notFound = RPCStatusCode(rawValue: 404)
    public static let alreadyExists = RPCStatusCode(rawValue: 409)
    public static let failedPrecondition = RPCStatusCode(rawValue: 412)
    /// The request cannot be processed as sent (an idempotency key reused for a different request).
    public static let unprocessable = RPCStatusCode(rawValue: 422)
    public static let resourceExhausted = RPCStatusCode(rawValue: 429)
    public static let internalError = RPCStatusCode(rawValue: 500)
    public static let unimplemented = RPCStatusCode(rawValue: 501)
    public static let unavailable = RPCStatusCode(rawValue: 503)
    public static let deadlineExceeded = RPCStatusCode(rawValue: 504)

    public var description: String {
        switch rawValue {
        case 400: return "invalid argument"
        case 401: return "unauthenticated"
        case 403: return "permission denied"
        case 404: return "not found"
        case 409: return "already exists"
        case 412: return "failed precondition"
        case 422: return "unprocessable"
        case 429: return "resource exhausted"
        case 500: return "internal error"
        case 501: return "unimplemented"
        case 503: return "unavailable"
        case 504: return "deadline exceeded"
        default: return "status \(rawValue)"
        }
    }
}

/// The error every handler and client speaks: a status code and a message meant for the caller.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RPCStatusCode
    public var message: String

    public init(_ code: RPCStatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) (\(code.rawValue)): \(message)" }

    public static func invalidArgument(_ m: String) -> RPCError { RPCError(.invalidArgument, m) }
    public static func notFound(_ m: String) -> RPCError { RPCError(.notFound, m) }
    public static func failedPrecondition(_ m: String) -> RPCError { RPCError(.failedPrecondition, m) }
    public static func alreadyExists(_ m: String) -> RPCError { RPCError(.alreadyExists, m) }
    public static func unavailable(_ m: String) -> RPCError { RPCError(.unavailable, m) }
    public static func deadlineExceeded(_ m: String) -> RPCError { RPCError(.deadlineExceeded, m) }
    public static func internalError(_ m: String) -> RPCError { RPCError(.internalError, m) }
    public static func unauthenticated(_ m: String) -> RPCError { RPCError(.unauthenticated, m) }
    public static func permissionDenied(_ m: String) -> RPCError { RPCError(.permissionDenied, m) }

    /// 401 / 403 for a refused identity.
    public init(_ auth: AuthError) {
        self.init(RPCStatusCode(rawValue: auth.statusCode), auth.message)
    }
}

/// Header names shared by clients and servers.
public enum RPCHeader {
    public static let serviceError = "Nats-Service-Error"
    public static let serviceErrorCode = "Nats-Service-Error-Code"
    /// Absolute deadline, Unix epoch milliseconds.
    public static let deadline = "Veche-Deadline-Ms"
    public static let requestID = "Veche-Request-Id"
    /// `Bearer <access token>`: who is calling (verified by every service with the provider's JWKS).
    public static let authorization = "Authorization"
    /// A citizen's appeal token (instead of `Authorization`), see `CitizenToken`.
    public static let citizenToken = IdentityHeaders.citizenToken
    /// The address of the person's client as the gateway saw it (recorded in the audit log; trusted only
    /// from the gateway's own identity).
    public static let clientAddress = "Veche-Client-Address"
    /// Epoch ms at which the action really happened in the source system (imports of historical
    /// appeals from legacy systems); never later than now, never earlier than the appeal's last change.
    /// Honoured for the import role only.
    public static let effectiveTime = "Veche-Effective-Time-Ms"
    /// Client-chosen key of a mutating request: a retry with the same key gets the first outcome instead of
    /// applying the change again (same name over HTTP and NATS).
    public static let idempotencyKey = "Idempotency-Key"

    /// Headers fit to store or log: credentials removed.
    public static func withoutCredentials(_ headers: [String: String]) -> [String: String] {
        headers.filter { $0.key != authorization && $0.key != citizenToken }
    }
}

/// Whether a method changes state (from the proto's `idempotency_level` option).
public enum RPCIdempotencyLevel: Sendable {
    /// A read (`NO_SIDE_EFFECTS`): retrying is always safe.
    case noSideEffects
    /// Declared `IDEMPOTENT`: repeating it leaves the same state.
    case idempotent
    /// Changes state; retries need an idempotency key.
    case mutating
}

/// A service contract: its ADR-32 name and the subject prefix of its methods.
public protocol RPCServiceDescriptor {
    static var name: String { get }
    static var fullName: String { get }
    static var subjectPrefix: String { get }
    /// Every method, in contract order (access rules and bus permissions are checked against it).
    static var methodNames: [String] { get }
}

extension RPCServiceDescriptor {
    /// The NATS subjects of every method.
    public static var methodSubjects: [String] { methodNames.map { subjectPrefix + "." + $0 } }
}

/// One method of a service (grpc-swift style `Method.X.Input/Output`).
public protocol RPCMethod: Sendable {
    associatedtype Service: RPCServiceDescriptor
    associatedtype Input: ProtoMessage
    associatedtype Output: ProtoMessage
    static var name: String { get }
    static var idempotencyLevel: RPCIdempotencyLevel { get }
}

extension RPCMethod {
    /// The NATS subject of the method, e.g. `veche.appeal.v1.SubmitAppeal`. Subjects are built here only.
    public static var subject: String { Service.subjectPrefix + "." + name }
}

/// What a handler knows about the call it serves.
public struct RPCContext: Sendable {
    public var subject: String
    public var metadata: [String: String]
    /// Absolute deadline from the caller, if any.
    public var deadline: Date?
    public var logger: Logger
    /// The authenticated caller, set by the service host before the handler runs.
    public var principal: Principal?

    public init(subject: String, metadata: [String: String] = [:], deadline: Date? = nil, logger: Logger) {
        self.subject = subject
        self.metadata = metadata
        self.deadline = deadline
        self.logger = logger
    }

    /// The authenticated caller; 401 when the host established none.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw RPCError.unauthenticated("the call carries no credentials") }
        return principal
    }

    /// Throws `deadlineExceeded` when the caller's deadline has passed.
    public func checkDeadline(now: Date = Date()) throws {
        if let deadline, now >= deadline {
            throw RPCError.deadlineExceeded("caller deadline passed before the work was done")
        }
    }
}

/// Per-call options: a timeout that becomes a deadline header, and metadata headers.
public struct CallOptions: Sendable {
    public var timeout: Duration
    public var metadata: [String: String]

    public init(timeout: Duration = .seconds(5), metadata: [String: String] = [:]) {
        self.timeout = timeout
        self.metadata = metadata
    }
}

/// Carries encoded requests; the NATS connection implements it.
public protocol RPCTransport: Sendable {
    func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8]
}

/// A transport that adds credentials to every request that has none yet: a machine's own token, or a
/// person's token forwarded by the gateway. Calls that set `Authorization` (or a citizen token) themselves
/// keep theirs.
public struct CredentialedTransport: RPCTransport {
    public let base: any RPCTransport
    let credentials: @Sendable () async throws -> [String: String]

    public init(base: any RPCTransport, credentials: @escaping @Sendable () async throws -> [String: String]) {
        self.base = base
        self.credentials = credentials
    }

    /// `Authorization: Bearer <token>` from a token provider.
    public init(base: any RPCTransport, bearer: @escaping @Sendable () async throws -> String) {
        self.init(base: base) { [RPCHeader.authorization: "Bearer " + (try await bearer())] }
    }

    public func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8] {
        var h = headers
        if h[RPCHeader.authorization] == nil && h[RPCHeader.citizenToken] == nil {
            h.merge(try await credentials()) { mine, _ in mine }
        }
        return try await base.request(subject: subject, payload: payload, headers: h, timeout: timeout)
    }
}

extension RPCTransport {
    public func unary<M: RPCMethod>(_ method: M.Type, _ input: M.Input, options: CallOptions) async throws -> M.Output {
        let reply = try await replyBytes(M.self, input, options: options)
        do {
            return try M.Output(serializedBytes: reply)
        } catch {
            throw RPCError.internalError("\(M.subject): \(error)")
        }
    }

    /// A unary call whose reply is wanted as JSON (the gateway's answer): the reply's wire form is written as JSON
    /// straight from protobuf-c's struct (`ProtoMessage.json(serializedBytes:)`), the same bytes as encoding the
    /// decoded reply, without making its Swift value.
    public func unaryJSON<M: RPCMethod>(_ method: M.Type, _ input: M.Input, options: CallOptions) async throws -> [UInt8] {
        let reply = try await replyBytes(M.self, input, options: options)
        do {
            return try M.Output.json(serializedBytes: reply)
        } catch {
            throw RPCError.internalError("\(M.subject): \(error)")
        }
    }

    /// The reply's wire bytes, the call's deadline sent along as a header.
    private func replyBytes<M: RPCMethod>(_ method: M.Type, _ input: M.Input, options: CallOptions) async throws -> [UInt8] {
        var headers = options.metadata
        let deadline = Date().addingTimeInterval(Double(options.timeout.components.seconds) + Double(options.timeout.components.attoseconds) / 1e18)
        headers[RPCHeader.deadline] = String(Int64(deadline.timeIntervalSince1970 * 1000))
        return try await request(subject: M.subject, payload: input.serializedBytes(), headers: headers, timeout: options.timeout)
    }
}

/// A type-erased endpoint: decode input, run the handler, encode output.
public struct RPCEndpoint: Sendable {
    public let name: String
    public let subject: String
    /// False for reads (`idempotency_level = NO_SIDE_EFFECTS`); mutating calls honour idempotency keys.
    public let isMutating: Bool
    public let handle: @Sendable ([UInt8], RPCContext) async throws -> [UInt8]

    public init(name: String, subject: String, isMutating: Bool = true, handle: @escaping @Sendable ([UInt8], RPCContext) async throws -> [UInt8]) {
        self.name = name
        self.subject = subject
        self.isMutating = isMutating
        self.handle = handle
    }

    public init<M: RPCMethod>(_ method: M.Type, handler: @escaping @Sendable (M.Input, RPCContext) async throws -> M.Output) {
        self.name = M.name
        self.subject = M.subject
        self.isMutating = M.idempotencyLevel != .noSideEffects
        self.handle = { bytes, context in
            let input: M.Input
            do {
                input = try M.Input(serializedBytes: bytes)
            } catch let text as ProtoTextError {
                throw RPCError.invalidArgument("request \(text)")
            } catch {
                throw RPCError.invalidArgument("request is not a valid \(M.Input.protoName)")
            }
            return try await handler(input, context).serializedBytes()
        }
    }
}
