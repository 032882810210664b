import CNATS
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Tracing
import VecheAuth

/// Hosts RPC endpoints as a NATS micro service (ADR-32): endpoints in queue group "q",
/// `$SRV.PING|INFO|STATS[.name[.id]]` discovery, `Nats-Service-Error`/`-Code` error headers,
/// caller deadlines from the `Veche-Deadline-Ms` header, interceptors around every endpoint call
/// (idempotency keys), and overload protection:
/// * a bounded queue between cnats callbacks and `concurrency` worker tasks: when it is full the request
///   is answered 429 at once; after graceful shutdown began, 503;
/// * a request without a deadline header gets `defaultDeadline` from its arrival;
/// * a request whose deadline passed while it waited is answered 504 and never executed, so abandoned work
///   does not pile up and the service answers normally as soon as a burst is over.
public final class NatsServiceHost: Service, @unchecked Sendable {
    /// The hosted service's identity: its name labels logs, metrics and spans; all of it answers `$SRV` discovery.
    public struct Info: Sendable {
        public var name: String
        public var version: String
        public var description: String
        public var metadata: [String: String]
        public init(name: String, version: String, description: String, metadata: [String: String] = [:]) {
            self.name = name
            self.version = version
            self.description = description
            self.metadata = metadata
        }
    }

    struct EndpointStats {
        var requests: Int = 0
        var errors: Int = 0
        var lastError: String = ""
        var processingNanos: Int64 = 0
    }

    public static let queueGroup = "q"
    public let info: Info
    public let id: String
    let endpoints: [RPCEndpoint]
    let connection: NatsConnection
    /// Who may call: every request is authenticated and checked against the method's rule before its handler runs.
    let authenticator: any RPCAuthenticator
    let logger: Logger
    let queueCapacity: Int
    let concurrency: Int
    let defaultDeadline: Duration
    let interceptors: [any RPCInterceptor]
    private let stopping = Atomic<Bool>(false)
    private let stats: Mutex<[String: EndpointStats]>
    private let started = Date()
    private let subscriptions = Mutex<[NatsSubscription]>([])
    private let ready = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let isReady = Atomic<Bool>(false)
    private let queue = Mutex<RequestQueue<Pending>?>(nil)

    /// Requests received and waiting for a worker now (0 before `run` and after it returned).
    public var queuedRequests: Int { queue.withLock { $0?.depth ?? 0 } }

    public init(info: Info, endpoints: [RPCEndpoint], connection: NatsConnection, authenticator: any RPCAuthenticator, logger: Logger,
                instanceID: String = NUID.next(), concurrency: Int = 64, queueCapacity: Int = 256,
                defaultDeadline: Duration = .seconds(10), interceptors: [any RPCInterceptor] = []) {
        self.info = info
        self.endpoints = endpoints
        self.connection = connection
        self.authenticator = authenticator
        self.logger = logger
        self.id = instanceID
        self.queueCapacity = queueCapacity
        self.concurrency = max(1, concurrency)
        self.defaultDeadline = defaultDeadline
        self.interceptors = interceptors
        self.stats = Mutex(Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, EndpointStats()) }))
    }

    /// Requests an endpoint has answered so far (its ADR-32 `num_requests`).
    public func requestCount(_ endpoint: String) -> Int { stats.withLock { $0[endpoint]?.requests ?? 0 } }

    /// Resolves once the endpoint subscriptions are live on the server.
    public func waitUntilReady() async {
        if isReady.load(ordering: .acquiring) { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = ready.withLock { r -> Bool in
                if isReady.load(ordering: .acquiring) { return true }
                r.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    /// A request waiting for a worker.
    struct Pending: Sendable {
        var endpoint: RPCEndpoint
        var message: NatsMessage
        var arrived: Date
    }

    public func run() async throws {
        let queue = RequestQueue<Pending>(capacity: queueCapacity)
        self.queue.withLock { $0 = queue }
        defer { self.queue.withLock { $0 = nil } }
        var subs: [NatsSubscription] = []
        for endpoint in endpoints {
            let sub = try connection.subscribe(subject: endpoint.subject, queue: Self.queueGroup, pendingLimit: 262_144) { [weak self] msg in
                guard let self else { return }
                if self.stopping.load(ordering: .acquiring) {
                    self.replyError(to: msg, RPCError(.unavailable, "\(self.info.name) is shutting down, retry"), endpoint: endpoint.name)
                    RuntimeMetrics.rpcRefused(service: self.info.name, method: endpoint.name, code: RPCStatusCode.unavailable.rawValue)
                } else if !queue.offer(Pending(endpoint: endpoint, message: msg, arrived: Date())) {
                    self.replyError(to: msg, RPCError(.resourceExhausted, "\(self.info.name) is overloaded, retry later"), endpoint: endpoint.name)
                    RuntimeMetrics.rpcRefused(service: self.info.name, method: endpoint.name, code: RPCStatusCode.resourceExhausted.rawValue)
                }
            }
            subs.append(sub)
        }
        for verb in Subjects.Discovery.verbs {
            for subject in Subjects.Discovery.subjects(verb: verb, name: info.name, id: id) {
                // Discovery is cheap and answered on the delivery thread: never refused under load.
                subs.append(try connection.subscribe(subject: subject, queue: nil) { [weak self] msg in self?.handleDiscovery(msg) })
            }
        }
        subscriptions.withLock { $0 = subs }
        try await connection.flush()
        isReady.store(true, ordering: .releasing)
        for c in ready.withLock({ r -> [CheckedContinuation<Void, Never>] in let all = r; r.removeAll(); return all }) { c.resume() }
        logger.info("service started", metadata: ["service": "\(info.name)", "id": "\(id)", "endpoints": "\(endpoints.count)"])

        await withDiscardingTaskGroup { group in
            group.addTask {
                // Stop taking requests on graceful shutdown: drain subscriptions, then let workers finish the queue.
                try? await gracefulShutdown()
                self.stopping.store(true, ordering: .releasing)
                // Draining waits on cnats: do it on a blocking thread, not the cooperative pool.
                let subs = self.subscriptions.withLock { $0 }
                let connection = self.connection
                _ = try? await connection.blocking.run { NatsSubscription.drainAll(subs, connected: connection.isConnected) }
                queue.finish()
            }
            for _ in 0..<concurrency {
                group.addTask {
                    while let pending = await queue.next() {
                        RuntimeMetrics.queueDepth(service: self.info.name, queue.depth)
                        await self.handle(pending)
                    }
                }
            }
        }
        logger.info("service stopped", metadata: ["service": "\(info.name)"])
    }

    // MARK: request handling

    /// Handles a request in a server span continuing the caller's trace (`traceparent` header): everything the
    /// handler logs, calls and publishes carries the trace id.
    private func handle(_ pending: Pending) async {
        let parent = TraceHeaders.context(from: pending.message.headers)
        await withSpan("\(info.name)/\(pending.endpoint.name)", context: parent, ofKind: .server) { span in
            span.attributes["rpc.system"] = "nats"
            span.attributes["rpc.service"] = info.name
            span.attributes["rpc.method"] = pending.endpoint.name
            let code = await handleInSpan(pending)
            span.attributes["rpc.status_code"] = code
            if code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            logger.debug("rpc answered", metadata: ["endpoint": "\(pending.endpoint.name)", "code": "\(code)"])
        }
    }

    /// Answers one request; returns the status code it was answered with.
    private func handleInSpan(_ pending: Pending) async -> Int {
        let (endpoint, msg) = (pending.endpoint, pending.message)
        let start = ContinuousClock.now
        var context = RPCContext(subject: msg.subject, metadata: msg.headers, logger: logger)
        if let ms = msg.headers[RPCHeader.deadline].flatMap(Int64.init) {
            context.deadline = Date(timeIntervalSince1970: Double(ms) / 1000)
        } else {
            context.deadline = pending.arrived.addingTimeInterval(defaultDeadline.inSeconds)
        }
        if let rid = msg.headers[RPCHeader.requestID] { context.logger[metadataKey: "request-id"] = "\(rid)" }
        var failure: String?
        var code = 200
        do {
            // A deadline that passed while the request waited: dropped without executing.
            try context.checkDeadline()
            context.principal = try await authenticator.authenticate(service: info.name, method: endpoint.name, headers: msg.headers)
            let ctx = context
            let output = try await Self.withDeadline(ctx.deadline) {
                try await self.invoke(endpoint, msg.payload, ctx)
            }
            if let reply = msg.reply {
                try connection.publish(subject: reply, payload: output)
            }
        } catch {
            let rpc = Self.rpcError(from: error, logger: context.logger, endpoint: endpoint.name)
            failure = "\(rpc.code.rawValue):\(rpc.message)"
            code = rpc.code.rawValue
            replyError(to: msg, rpc, endpoint: nil)
        }
        let elapsed = ContinuousClock.now - start
        RuntimeMetrics.rpcAnswered(service: info.name, method: endpoint.name, code: code, duration: elapsed)
        let nanos = elapsed.wholeNanoseconds
        stats.withLock { all in
            var s = all[endpoint.name] ?? EndpointStats()
            s.requests += 1
            s.processingNanos += nanos
            if let failure { s.errors += 1; s.lastError = failure }
            all[endpoint.name] = s
        }
        return code
    }

    /// The endpoint behind the interceptors (first interceptor outermost).
    private func invoke(_ endpoint: RPCEndpoint, _ payload: [UInt8], _ context: RPCContext) async throws -> [UInt8] {
        var next: @Sendable ([UInt8], RPCContext) async throws -> [UInt8] = endpoint.handle
        for interceptor in interceptors.reversed() {
            let inner = next
            next = { try await interceptor.intercept(endpoint: endpoint, payload: $0, context: $1, next: inner) }
        }
        return try await next(payload, context)
    }

    static func withDeadline<T: Sendable>(_ deadline: Date?, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let deadline else { return try await body() }
        let remaining = deadline.timeIntervalSinceNow
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(max(0, remaining) * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw RPCError.deadlineExceeded("deadline passed while the request was being handled")
            }
            return value
        }
    }

    static func rpcError(from error: any Error, logger: Logger, endpoint: String) -> RPCError {
        if let rpc = error as? RPCError { return rpc }
        if let auth = error as? AuthError {
            logger.notice("call refused", metadata: ["endpoint": "\(endpoint)", "status": "\(auth.statusCode)", "reason": "\(auth.message)"])
            return RPCError(auth)
        }
        if let known = error as? any RPCErrorConvertible, let mapped = known.rpcError { return mapped }
        // Unknown errors: log in full, answer with a redacted message.
        logger.error("handler failed", metadata: ["endpoint": "\(endpoint)", "error": "\(String(reflecting: error))"])
        return RPCError.internalError("internal error in \(endpoint)")
    }

    func replyError(to msg: NatsMessage, _ error: RPCError, endpoint: String?) {
        guard let reply = msg.reply else { return }
        if let endpoint {
            stats.withLock { all in
                var s = all[endpoint] ?? EndpointStats()
                s.requests += 1; s.errors += 1; s.lastError = "\(error.code.rawValue):\(error.message)"
                all[endpoint] = s
            }
        }
        try? connection.publish(subject: reply, payload: [], headers: [
            RPCHeader.serviceError: error.message,
            RPCHeader.serviceErrorCode: String(error.code.rawValue),
        ])
    }

    // MARK: ADR-32 discovery

    private func handleDiscovery(_ msg: NatsMessage) {
        guard let reply = msg.reply else { return }
        let verb = msg.subject.split(separator: ".").dropFirst().first.map(String.init) ?? ""
        var body: [String: Any] = ["name": info.name, "id": id, "version": info.version, "metadata": info.metadata]
        switch verb {
        case "PING":
            body["type"] = "io.nats.micro.v1.ping_response"
        case "INFO":
            body["type"] = "io.nats.micro.v1.info_response"
            body["description"] = info.description
            body["endpoints"] = endpoints.map { e -> [String: Any] in
                ["name": e.name, "subject": e.subject, "queue_group": Self.queueGroup, "metadata": [String: String]()]
            }
        case "STATS":
            body["type"] = "io.nats.micro.v1.stats_response"
            body["started"] = Self.rfc3339(started)
            let snapshot = stats.withLock { $0 }
            body["endpoints"] = endpoints.map { e -> [String: Any] in
                let s = snapshot[e.name] ?? EndpointStats()
                return [
                    "name": e.name, "subject": e.subject, "queue_group": Self.queueGroup,
                    "num_requests": s.requests, "num_errors": s.errors, "last_error": s.lastError,
                    "processing_time": s.processingNanos,
                    "average_processing_time": s.requests > 0 ? s.processingNanos / Int64(s.requests) : 0,
                    "data": [String: String](),
                ]
            }
        default:
            return
        }
        guard let json = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else { return }
        try? connection.publish(subject: reply, payload: [UInt8](json))
    }

    /// RFC 3339 with nanosecond fraction, as Go's time.Time marshals (nats-py parses it).
    static func rfc3339(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }
}
