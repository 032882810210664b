import CNATS
import Contracts
import Foundation
import Logging
import Synchronization
import Tracing

/// A cnats connection. Thread-safe (cnats is); blocking calls run on `blocking` threads.
/// Implements `RPCTransport` with a single wildcard inbox subscription multiplexing all replies.
public final class NatsConnection: RPCTransport, @unchecked Sendable {
    let conn: OpaquePointer
    public let logger: Logger
    let blocking: BlockingExecutor
    private let inboxPrefix: String
    /// A request in flight: its reply (or failure) may arrive before or after someone awaits it.
    private struct Waiter {
        var continuation: CheckedContinuation<NatsMessage, any Error>?
        var outcome: Result<NatsMessage, any Error>?
        var deadline: ContinuousClock.Instant
        var subject: String
    }
    private let pending = Mutex<[String: Waiter]>([:])
    private var sweeper: Task<Void, Never>?
    private let counter = Atomic<UInt64>(0)
    private var muxSubscription: NatsSubscription?
    private let closed = Atomic<Bool>(false)

    private init(conn: OpaquePointer, logger: Logger, blocking: BlockingExecutor, inboxRoot: String) {
        self.conn = conn
        self.logger = logger
        self.blocking = blocking
        self.inboxPrefix = "\(inboxRoot).\(NUID.next())."
    }

    /// A private subject of this connection for a subscription of its own: two tokens below the reply prefix,
    /// so the reply multiplexer (`<prefix>*`) never takes its messages, and inside the user's inbox permission.
    func makeInbox() -> String { inboxPrefix + "sub." + NUID.next() }

    /// How a process authenticates to nats-server: its user (with a private inbox prefix `_INBOX_<user>`,
    /// so no other user can subscribe to its replies) and TLS trust for `tls://` URLs.
    public struct Credentials: Sendable {
        public var user: String
        public var password: String
        public var caFile: String
        public init(user: String = "", password: String = "", caFile: String = "") {
            self.user = user
            self.password = password
            self.caFile = caFile
        }
        /// The reply-subject root of this user (`BusPermissions` grants each user only its own).
        public var inboxRoot: String { BusPermissions.inboxRoot(user: user) }
    }

    /// Connects to `url` — one server, or several comma-separated (a cluster's nodes) — retrying while
    /// none is up yet, up to `connectTimeout`; afterwards `reconnect` governs losing the server.
    public static func connect(url: String, name: String, logger: Logger, reconnect: NatsReconnectPolicy = .init(),
                               credentials: Credentials = Credentials(), connectTimeout: Duration = .seconds(10)) async throws -> NatsConnection {
        let servers = NatsReconnectPolicy.serverList(url)
        let blocking = BlockingExecutor(name: "nats-\(name)", threads: 2)
        let started = ContinuousClock.now
        while true {
            do {
                let raw = try await blocking.run {
                    try NatsConnection.rawConnect(servers: servers, policy: reconnect, name: name, logger: logger, credentials: credentials)
                }
                let c = NatsConnection(conn: raw.pointer, logger: logger, blocking: blocking, inboxRoot: credentials.inboxRoot)
                try c.startReplyMux()
                logger.info("connected to NATS", metadata: ["url": "\(url)"])
                return c
            } catch {
                // A refused user or password does not get better by retrying.
                let status = (error as? NatsError)?.status
                if ContinuousClock.now - started > connectTimeout || status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED {
                    blocking.shutdown()
                    throw error
                }
                logger.warning("NATS not reachable yet, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    struct RawConn: @unchecked Sendable { let pointer: OpaquePointer }

    private static func rawConnect(servers: [String], policy: NatsReconnectPolicy, name: String, logger: Logger,
                                   credentials: Credentials) throws -> RawConn {
        var opts: OpaquePointer?
        var s = natsOptions_Create(&opts)
        guard s == NATS_OK, let opts else { throw NatsError(status: s, context: "options") }
        defer { natsOptions_Destroy(opts) }
        try policy.apply(servers: servers, to: opts)
        _ = natsOptions_SetName(opts, name)
        if !credentials.user.isEmpty {
            _ = natsOptions_SetUserInfo(opts, credentials.user, credentials.password)
        }
        s = natsOptions_SetCustomInboxPrefix(opts, credentials.inboxRoot)
        guard s == NATS_OK else { throw NatsError(status: s, context: "inbox prefix \(credentials.inboxRoot)") }
        if !credentials.caFile.isEmpty {
            _ = natsOptions_SetSecure(opts, true)
            s = natsOptions_LoadCATrustedCertificates(opts, credentials.caFile)
            guard s == NATS_OK else { throw NatsError(status: s, context: "load CA \(credentials.caFile)") }
        }
        _ = natsOptions_SetTimeout(opts, 5000)
        _ = natsOptions_SetMaxPendingMsgs(opts, 1_000_000)
        let events = NatsConnectionEvents.install(on: opts, logger: logger)
        var nc: OpaquePointer?
        s = natsConnection_Connect(&nc, opts)
        guard s == NATS_OK, let nc else {
            NatsConnectionEvents.release(events)
            throw NatsError(status: s, context: "connect \(servers.joined(separator: ","))")
        }
        return RawConn(pointer: nc)
    }

    private func startReplyMux() throws {
        muxSubscription = try subscribe(subject: inboxPrefix + "*", queue: nil, pendingLimit: 1_000_000) { [weak self] msg in
            self?.deliverReply(msg)
        }
        // One sweeper per connection expires requests whose timeout passed (no task per request).
        sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                self?.expire(now: .now)
            }
        }
    }

    private func expire(now: ContinuousClock.Instant) {
        let expired = pending.withLock { p -> [(CheckedContinuation<NatsMessage, any Error>, RPCError)] in
            var resume: [(CheckedContinuation<NatsMessage, any Error>, RPCError)] = []
            for (token, w) in p where w.outcome == nil && w.deadline <= now {
                let failure = RPCError.deadlineExceeded("no reply from \(w.subject) in time")
                if let c = w.continuation {
                    p.removeValue(forKey: token)
                    resume.append((c, failure))
                } else {
                    p[token]?.outcome = .failure(failure)
                }
            }
            return resume
        }
        for (c, failure) in expired { c.resume(throwing: failure) }
    }

    private func deliverReply(_ msg: NatsMessage) {
        let token = String(msg.subject.dropFirst(inboxPrefix.count))
        resolve(token, .success(msg))
    }

    /// Completes a request: resumes its awaiting caller, or keeps the outcome until someone awaits it.
    private func resolve(_ token: String, _ outcome: Result<NatsMessage, any Error>) {
        let continuation = pending.withLock { p -> CheckedContinuation<NatsMessage, any Error>? in
            guard var w = p[token], w.outcome == nil else { return nil }
            if let c = w.continuation {
                p.removeValue(forKey: token)
                return c
            }
            w.outcome = outcome
            p[token] = w
            return nil
        }
        continuation?.resume(with: outcome)
    }

    // MARK: publish

    public func publish(_ message: NatsMessage) throws {
        let msg = try message.makeCMessage()
        defer { natsMsg_Destroy(msg) }
        let s = natsConnection_PublishMsg(conn, msg)
        guard s == NATS_OK else { throw NatsError(status: s, context: "publish \(message.subject)") }
    }

    public func publish(subject: String, payload: [UInt8], headers: [String: String] = [:]) throws {
        guard headers.isEmpty else {
            try publish(NatsMessage(subject: subject, headers: headers, payload: payload))
            return
        }
        // Fast path (e.g. successful replies): no message object, no header block.
        let s = payload.withUnsafeBytes { natsConnection_Publish(conn, subject, $0.baseAddress, Int32($0.count)) }
        guard s == NATS_OK else { throw NatsError(status: s, context: "publish \(subject)") }
    }

    /// Blocks a helper thread until the server has processed everything published so far.
    public func flush(timeout: Duration = .seconds(5)) async throws {
        let ms = Int64(timeout.components.seconds * 1000)
        let c = RawConn(pointer: conn)
        try await blocking.run {
            let s = natsConnection_FlushTimeout(c.pointer, ms)
            if s != NATS_OK { throw NatsError(status: s, context: "flush") }
        }
    }

    // MARK: request / reply

    /// Sends a request and waits for the reply. Maps no-responders to `unavailable`, timeouts to
    /// `deadlineExceeded`, and `Nats-Service-Error(-Code)` headers to `RPCError`.
    public func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8] {
        let reply = try await requestMessage(subject: subject, payload: payload, headers: headers, timeout: timeout)
        if reply.isNoResponders {
            throw RPCError.unavailable("no responders on \(subject)")
        }
        if let codeText = reply.headers[RPCHeader.serviceErrorCode], let code = Int(codeText) {
            throw RPCError(RPCStatusCode(rawValue: code), reply.headers[RPCHeader.serviceError] ?? "error")
        }
        if let text = reply.headers[RPCHeader.serviceError] {
            throw RPCError(.internalError, text)
        }
        return reply.payload
    }

    /// A request in a client span (named by its subject) whose W3C trace context travels in the headers.
    public func requestMessage(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> NatsMessage {
        guard InstrumentationContext.current != nil else {
            let token = try send(NatsMessage(subject: subject, headers: headers, payload: payload), timeout: timeout)
            return try await reply(to: token)
        }
        return try await withSpan(subject, ofKind: .client) { span in
            span.attributes["messaging.system"] = "nats"
            let token = try send(NatsMessage(subject: subject, headers: headers, payload: payload), timeout: timeout)
            let reply = try await reply(to: token)
            if let code = reply.headers[RPCHeader.serviceErrorCode] {
                span.attributes["rpc.status_code"] = code
                span.setStatus(SpanStatus(code: .error, message: reply.headers[RPCHeader.serviceError]))
            }
            return reply
        }
    }

    /// A request sent by `send`, whose reply is collected with `reply(to:)`.
    public struct PendingReply: Sendable {
        let token: String
    }

    /// Publishes a request now (messages sent one after another keep their order on the wire) without
    /// waiting for the reply: pipelining. Collect every returned token with `reply(to:)`.
    public func send(_ message: NatsMessage, timeout: Duration) throws -> PendingReply {
        let token = String(counter.add(1, ordering: .relaxed).newValue, radix: 36)
        var message = message
        message.reply = inboxPrefix + token
        message.headers = TraceHeaders.injectingCurrent(into: message.headers)
        pending.withLock { $0[token] = Waiter(deadline: .now + timeout, subject: message.subject) }
        do {
            try publish(message)
        } catch {
            _ = pending.withLock { $0.removeValue(forKey: token) }
            throw error
        }
        return PendingReply(token: token)
    }

    /// Waits for the reply of a sent request (its timeout counts from `send`).
    public func reply(to request: PendingReply) async throws -> NatsMessage {
        let token = request.token
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<NatsMessage, any Error>) in
                let ready = pending.withLock { p -> Result<NatsMessage, any Error>? in
                    guard var w = p[token] else { return .failure(RPCError.internalError("reply already collected")) }
                    if let outcome = w.outcome {
                        p.removeValue(forKey: token)
                        return outcome
                    }
                    w.continuation = cont
                    p[token] = w
                    return nil
                }
                if let ready { cont.resume(with: ready) }
            }
        } onCancel: {
            if let w = pending.withLock({ $0.removeValue(forKey: token) }), let c = w.continuation { c.resume(throwing: CancellationError()) }
        }
    }

    // MARK: subscriptions

    /// Subscribes with a callback that runs on the cnats delivery thread; keep it short and non-blocking.
    public func subscribe(subject: String, queue: String?, pendingLimit: Int32 = 65_536,
                          onMessage: @escaping @Sendable (NatsMessage) -> Void) throws -> NatsSubscription {
        let box = Unmanaged.passRetained(CallbackBox(onMessage)).toOpaque()
        var sub: OpaquePointer?
        let callback: natsMsgHandler = { _, _, msg, closure in
            guard let msg else { return }
            defer { natsMsg_Destroy(msg) }
            guard let closure else { return }
            let box = Unmanaged<CallbackBox>.fromOpaque(closure).takeUnretainedValue()
            box.handler(NatsMessage(copying: msg))
        }
        let s: natsStatus
        if let queue {
            s = natsConnection_QueueSubscribe(&sub, conn, subject, queue, callback, box)
        } else {
            s = natsConnection_Subscribe(&sub, conn, subject, callback, box)
        }
        guard s == NATS_OK, let sub else {
            Unmanaged<CallbackBox>.fromOpaque(box).release()
            throw NatsError(status: s, context: "subscribe \(subject)")
        }
        _ = natsSubscription_SetPendingLimits(sub, pendingLimit, 256 * 1024 * 1024)
        _ = natsSubscription_SetOnCompleteCB(sub, { closure in
            guard let closure else { return }
            Unmanaged<CallbackBox>.fromOpaque(closure).release()
        }, box)
        return NatsSubscription(sub: sub, subject: subject)
    }

    /// Connected to a server now (not reconnecting, closed or draining).
    public var isConnected: Bool { natsConnection_Status(conn) == NATS_CONN_STATUS_CONNECTED }

    /// Drains and closes the connection (pending replies fail with `unavailable`).
    public func close() {
        guard !closed.exchange(true, ordering: .acquiring) else { return }
        sweeper?.cancel()
        let waiting = pending.withLock { p -> [CheckedContinuation<NatsMessage, any Error>] in
            let all = p.values.compactMap(\.continuation); p.removeAll(); return all
        }
        for c in waiting { c.resume(throwing: RPCError.unavailable("connection closed")) }
        muxSubscription?.unsubscribe()
        natsConnection_Close(conn)
        natsConnection_Destroy(conn)
        blocking.shutdown()
    }
}

final class CallbackBox: @unchecked Sendable {
    let handler: @Sendable (NatsMessage) -> Void
    init(_ handler: @escaping @Sendable (NatsMessage) -> Void) { self.handler = handler }
}

/// Owns a cnats subscription; the callback context is released by cnats' on-complete callback.
public final class NatsSubscription: @unchecked Sendable {
    let sub: OpaquePointer
    public let subject: String
    private let done = Atomic<Bool>(false)

    init(sub: OpaquePointer, subject: String) {
        self.sub = sub
        self.subject = subject
    }

    public func unsubscribe() {
        guard !done.exchange(true, ordering: .acquiring) else { return }
        _ = natsSubscription_Unsubscribe(sub)
        natsSubscription_Destroy(sub)
    }

    /// Stops interest in every subscription at once but lets already-received messages be delivered, waiting for them
    /// within one `timeout` (blocking: call it on a blocking thread). Without a server connection nothing can drain
    /// (cnats waits for the server's answer to a flush), so they are unsubscribed at once. Draining them one by one
    /// waited 5 s for each while the server was gone, which held a service's shutdown for over 40 s.
    public static func drainAll(_ subscriptions: [NatsSubscription], connected: Bool, timeout: Duration = .seconds(5)) {
        guard connected else {
            for s in subscriptions { s.unsubscribe() }
            return
        }
        let started = subscriptions.filter { s in
            guard !s.done.exchange(true, ordering: .acquiring) else { return false }
            _ = natsSubscription_Drain(s.sub)
            return true
        }
        let deadline = ContinuousClock.now + timeout
        for s in started {
            let left = deadline - ContinuousClock.now
            // At least 1 ms: cnats reads a timeout of 0 as "wait for ever".
            let ms = max(1, left.wholeMilliseconds)
            _ = natsSubscription_WaitForDrainCompletion(s.sub, ms)
            natsSubscription_Destroy(s.sub)
        }
    }
}
