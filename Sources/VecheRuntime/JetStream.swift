import CNATS
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// JetStream context over a connection: stream management and acknowledged publishing.
public final class JetStream: @unchecked Sendable {
    let js: OpaquePointer
    public let connection: NatsConnection
    /// Replicas of the streams `ensureStream` creates and of the durable consumers bound through this
    /// context (1 on a single server; 3 on a cluster, so losing one node loses no data and no position).
    public let replicas: Int

    public init(connection: NatsConnection, replicas: Int = 1) throws {
        var opts = jsOptions()
        jsOptions_Init(&opts)
        var js: OpaquePointer?
        let s = natsConnection_JetStream(&js, connection.conn, &opts)
        guard s == NATS_OK, let js else { throw NatsError(status: s, context: "JetStream context") }
        self.js = js
        self.connection = connection
        self.replicas = max(1, replicas)
    }

    deinit { jsCtx_Destroy(js) }

    /// A stream to ensure: name, subjects, max message age (0 = no limit) and de-duplication window.
    public struct StreamSpec: Sendable {
        public var name: String
        public var subjects: [String]
        public var maxAge: Duration
        public var duplicateWindow: Duration
        public init(name: String, subjects: [String], maxAge: Duration = .seconds(0), duplicateWindow: Duration = .seconds(120)) {
            self.name = name
            self.subjects = subjects
            self.maxAge = maxAge
            self.duplicateWindow = duplicateWindow
        }
    }

    /// Creates the stream, or updates its subjects and replicas if it exists (file storage, limits retention).
    /// Retries while a clustered JetStream elects its leaders.
    public func ensureStream(_ spec: StreamSpec) async throws {
        let ctx = RawJS(js: js)
        let replicas = Int64(self.replicas)
        try await whileElecting("stream \(spec.name)") { try await self.connection.blocking.run {
            var cfg = jsStreamConfig()
            jsStreamConfig_Init(&cfg)
            var err = jsErrCode(0)
            var info: UnsafeMutablePointer<jsStreamInfo>?
            let status: natsStatus = spec.name.withCString { name in
                var cstrings = spec.subjects.map { strdup($0) }
                defer { cstrings.forEach { free($0) } }
                return cstrings.withUnsafeMutableBufferPointer { buf -> natsStatus in
                    guard let base = buf.baseAddress else { return NATS_INVALID_ARG }
                    return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { subjects in
                        cfg.Name = name
                        cfg.Subjects = subjects
                        cfg.SubjectsLen = Int32(buf.count)
                        cfg.Storage = js_FileStorage
                        cfg.Replicas = replicas
                        cfg.Duplicates = Int64(spec.duplicateWindow.components.seconds) * 1_000_000_000
                        cfg.MaxAge = Int64(spec.maxAge.components.seconds) * 1_000_000_000
                        var s = js_AddStream(&info, ctx.js, &cfg, nil, &err)
                        if s != NATS_OK, err.rawValue == 10058 /* stream name in use */ {
                            err = jsErrCode(0)
                            s = js_UpdateStream(&info, ctx.js, &cfg, nil, &err)
                        }
                        return s
                    }
                }
            }
            if let info { jsStreamInfo_Destroy(info) }
            guard status == NATS_OK else {
                throw NatsError(status: status, context: "ensure stream \(spec.name) (js error \(err.rawValue))")
            }
        } }
    }

    /// Runs `body` until it succeeds, for up to `patience`: on a cluster that has just started or lost a
    /// node, JetStream answers "unavailable" or "stream not found" until its leaders are elected (a stream
    /// another instance has just created is usable only once its replicas chose a leader).
    func whileElecting<T: Sendable>(_ what: String, patience: Duration = .seconds(30), _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                if ContinuousClock.now - started > patience || Task.isCancelled { throw error }
                attempt += 1
                // The first failure and then every 5 s: an election is expected, a line per retry is noise.
                if attempt % 10 == 1 {
                    connection.logger.warning("JetStream not ready, retrying", metadata: ["what": "\(what)", "error": "\(error)", "attempt": "\(attempt)"])
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// The stream's acknowledgement of a stored message.
    public struct PublishAck: Sendable {
        public var stream: String
        public var sequence: UInt64
        public var duplicate: Bool
    }

    /// Publishes and waits for the stream's acknowledgement. `messageID` sets `Nats-Msg-Id` for de-duplication.
    @discardableResult
    public func publish(subject: String, payload: [UInt8], messageID: String? = nil, headers: [String: String] = [:],
                        timeout: Duration = .seconds(5)) async throws -> PublishAck {
        var message = NatsMessage(subject: subject, headers: headers, payload: payload)
        if let messageID { message.headers["Nats-Msg-Id"] = messageID }
        return try await publish([message], timeout: timeout)[0].get()
    }

    /// Publishes `messages` in order without waiting between them (asynchronous acks: all are on the wire
    /// before the first ack is awaited), then collects every ack. The result has one entry per message;
    /// a message that failed does not stop the others — callers that need per-key order publish the next
    /// message of a key only after the previous one was acknowledged.
    public func publish(_ messages: [NatsMessage], timeout: Duration = .seconds(5)) async -> [Result<PublishAck, any Error>] {
        var sent: [Result<NatsConnection.PendingReply, any Error>] = []
        sent.reserveCapacity(messages.count)
        for m in messages {
            sent.append(Result { try connection.send(m, timeout: timeout) })
        }
        var acks: [Result<PublishAck, any Error>] = []
        acks.reserveCapacity(messages.count)
        for (m, s) in zip(messages, sent) {
            do {
                let reply = try await connection.reply(to: try s.get())
                acks.append(Result { try Self.ack(reply, subject: m.subject) })
            } catch {
                acks.append(.failure(error))
            }
        }
        return acks
    }

    /// Decodes a JetStream PubAck (`{"stream":…,"seq":…,"duplicate":…}` or `{"error":{…}}`).
    static func ack(_ reply: NatsMessage, subject: String) throws -> PublishAck {
        if reply.isNoResponders { throw RPCError.unavailable("no JetStream stream captures \(subject)") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any] else {
            throw RPCError.internalError("JetStream publish to \(subject): unreadable acknowledgement")
        }
        if let error = json["error"] as? [String: Any] {
            let text = error["description"] as? String ?? "error"
            throw RPCError.unavailable("JetStream publish to \(subject) failed: \(text) (\(error["err_code"] ?? error["code"] ?? ""))")
        }
        guard let stream = json["stream"] as? String, let seq = (json["seq"] as? NSNumber)?.uint64Value else {
            throw RPCError.internalError("JetStream publish to \(subject): acknowledgement without stream sequence")
        }
        return PublishAck(stream: stream, sequence: seq, duplicate: (json["duplicate"] as? Bool) ?? false)
    }

    struct RawJS: @unchecked Sendable { let js: OpaquePointer }
}

/// One message fetched from a durable pull consumer.
public struct JetStreamMessage: Sendable {
    public var message: NatsMessage
    public var streamSequence: UInt64
    public var deliveries: UInt64
    /// The stream the server says the message is stored in (consumers refuse messages of any other stream).
    public var stream: String = ""
    /// When the stream stored it (server clock): the time a credential carried in the message is checked at.
    public var storedAt: Date = .distantPast
    /// The context of the message's consumer span (its trace continues the one in `traceparent`), set by the consumer.
    public var traceContext: InstrumentationContext?

    public init(message: NatsMessage, streamSequence: UInt64, deliveries: UInt64, stream: String = "", storedAt: Date = .distantPast) {
        self.message = message
        self.streamSequence = streamSequence
        self.deliveries = deliveries
        self.stream = stream
        self.storedAt = storedAt
    }
}

/// What a consumer handler decided.
public enum ConsumeOutcome: Sendable {
    case ack
    /// Redeliver later (transient failure, e.g. database down).
    case retry(after: Duration)
    /// Never redeliver (the handler has recorded why).
    case terminate
}

/// A durable pull consumer running on its own thread (fetch is blocking), handing each message to
/// an async handler and acking only after the handler finished: nothing is lost while a service is down.
public final class JetStreamConsumer: Service, @unchecked Sendable {
    public let stream: String
    public let durable: String
    public let filterSubject: String
    let jetStream: JetStream
    let logger: Logger
    let batch: Int32
    /// Batches in flight at once, each fetched and handled by its own puller thread on the durable.
    let pullers: Int
    /// Handles one fetched batch; one outcome per message, in order.
    let handleBatch: @Sendable ([JetStreamMessage]) async -> [ConsumeOutcome]
    private let stopFlag = Atomic<Bool>(false)

    /// `handler` gets each message; up to `concurrency` messages of a fetched batch are handled at the same
    /// time (1 = strictly in stream order). Each runs with its message's consumer span current, so the handler's
    /// logs and calls carry the trace id of the request that caused the message.
    public convenience init(jetStream: JetStream, stream: String, durable: String, filterSubject: String, batch: Int = 64, concurrency: Int = 1,
                            logger: Logger, handler: @escaping @Sendable (JetStreamMessage) async -> ConsumeOutcome) {
        let width = max(1, concurrency)
        let traced: @Sendable (JetStreamMessage) async -> ConsumeOutcome = { item in
            await InstrumentationContext.$current.withValue(item.traceContext) { await handler(item) }
        }
        self.init(jetStream: jetStream, stream: stream, durable: durable, filterSubject: filterSubject, batch: batch, logger: logger) { items in
            await JetStreamConsumer.each(items, width: width, traced)
        }
    }

    /// `batchHandler` gets every fetched batch (up to `batch` messages) as a unit and returns one outcome per
    /// message; they are acked or nak'ed only after it returned. Every message gets a consumer span continuing
    /// the trace it carries (`traceparent`), open while the batch is handled (`JetStreamMessage.traceContext`),
    /// and a debug line "message processed" with its outcome in that trace.
    ///
    /// `pullers` > 1 keeps that many batches in flight (one handled while the next is fetched and handled), for
    /// handlers whose messages are independent of each other's order — intake, where each message is its own
    /// appeal — never for per-appeal event streams.
    public init(jetStream: JetStream, stream: String, durable: String, filterSubject: String, batch: Int = 64, pullers: Int = 1,
                logger: Logger, batchHandler: @escaping @Sendable ([JetStreamMessage]) async -> [ConsumeOutcome]) {
        self.pullers = max(1, pullers)
        self.jetStream = jetStream
        self.stream = stream
        self.durable = durable
        self.filterSubject = filterSubject
        self.batch = Int32(batch)
        self.logger = logger
        self.handleBatch = { fetched in
            var items = fetched
            let spans = items.indices.map { i -> any Span in
                let message = items[i].message
                let span = startSpan("\(durable) process", context: TraceHeaders.context(from: message.headers), ofKind: .consumer)
                span.attributes["messaging.system"] = "nats"
                span.attributes["messaging.destination.name"] = message.subject
                span.attributes["messaging.consumer.group.name"] = durable
                span.attributes["messaging.message.id"] = message.headers["Nats-Msg-Id"]
                items[i].traceContext = span.context
                return span
            }
            let outcomes = await batchHandler(items)
            for (i, span) in spans.enumerated() {
                let outcome = i < outcomes.count ? "\(outcomes[i])" : "none"
                InstrumentationContext.$current.withValue(span.context) {
                    logger.debug("message processed", metadata: ["durable": "\(durable)", "subject": "\(items[i].message.subject)", "outcome": "\(outcome)"])
                }
                span.end()
            }
            return outcomes
        }
    }

    /// Runs `handler` on every item, up to `width` at once, keeping the outcomes in item order.
    static func each(_ items: [JetStreamMessage], width: Int,
                     _ handler: @escaping @Sendable (JetStreamMessage) async -> ConsumeOutcome) async -> [ConsumeOutcome] {
        if width == 1 {
            var out: [ConsumeOutcome] = []
            for item in items { out.append(await handler(item)) }
            return out
        }
        return await withTaskGroup(of: (Int, ConsumeOutcome).self) { group in
            var out = [ConsumeOutcome](repeating: .retry(after: .seconds(1)), count: items.count)
            var next = 0, running = 0
            while next < items.count || running > 0 {
                while running < width, next < items.count {
                    let i = next
                    group.addTask { (i, await handler(items[i])) }
                    next += 1
                    running += 1
                }
                if let (i, o) = await group.next() {
                    out[i] = o
                    running -= 1
                }
            }
            return out
        }
    }

    public func run() async throws {
        // The stream may belong to another service, which creates it (or a cluster may be electing its leader):
        // wait for it rather than fail.
        // A shutdown while waiting ends the wait at once (cancellation), not after the election patience.
        let made: [PullBox]? = try await cancelWhenGracefulShutdown {
            while true {
                do {
                    return try await self.jetStream.whileElecting("consumer \(self.durable)") {
                        try await self.jetStream.connection.blocking.run { try self.makeSubscription() }
                    }
                } catch let e as NatsError where e.jsErrorCode == 10059 {
                    self.logger.notice("stream not there yet, waiting", metadata: ["stream": "\(self.stream)", "durable": "\(self.durable)"])
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isShuttingDownGracefully || Task.isCancelled { return nil }
                } catch where Task.isCancelled {
                    return nil
                }
            }
        }
        guard let boxes = made else { return }
        let finished = AsyncStream<Void>.makeStream()
        for (i, box) in boxes.enumerated() {
            let thread = Thread { [self] in
                self.loop(box.pull)
                finished.continuation.yield()
            }
            thread.name = boxes.count > 1 ? "js-\(durable)-\(i)" : "js-\(durable)"
            thread.start()
        }
        logger.info("consumer started", metadata: ["stream": "\(stream)", "durable": "\(durable)", "pullers": "\(boxes.count)"])
        try? await gracefulShutdown()
        stopFlag.store(true, ordering: .releasing)
        var running = boxes.count
        for await _ in finished.stream {
            running -= 1
            if running == 0 { break }
        }
        for box in boxes { box.pull.close() }   // the durable consumer stays on the server
        logger.info("consumer stopped", metadata: ["durable": "\(durable)"])
    }

    /// Hands the pull (owned by the consumer thread once started) from the set-up task to that thread.
    struct PullBox: @unchecked Sendable { let pull: JetStreamPull }

    /// Creates the durable consumer explicitly (idempotent), then opens the inbox of each puller its messages are
    /// pulled into (blocking cnats calls: run on the connection's blocking threads).
    private func makeSubscription() throws -> [PullBox] {
        try Self.createDurable(jetStream: jetStream, stream: stream, durable: durable, filterSubject: filterSubject)
        var boxes: [PullBox] = []
        do {
            for _ in 0..<pullers { boxes.append(PullBox(pull: try JetStreamPull(connection: jetStream.connection, stream: stream, durable: durable))) }
        } catch {
            for box in boxes { box.pull.close() }
            throw error
        }
        return boxes
    }

    /// Creates durable pull consumer `durable` on `stream` (explicit acks, all messages, 30 s ack wait), or keeps
    /// the one of that name. A consumer the library created itself would be deleted on unsubscribe; an explicit
    /// one survives restarts, so a restarted service resumes where it stopped.
    static func createDurable(jetStream: JetStream, stream: String, durable: String, filterSubject: String) throws {
        var err = jsErrCode(0)
        let added: natsStatus = durable.withCString { durableName in
            filterSubject.withCString { filter in
                var cc = jsConsumerConfig()
                jsConsumerConfig_Init(&cc)
                cc.Durable = durableName
                cc.FilterSubject = filter
                cc.AckPolicy = js_AckExplicit
                cc.DeliverPolicy = js_DeliverAll
                cc.MaxAckPending = 1024
                cc.AckWait = 30 * 1_000_000_000
                cc.Replicas = Int64(jetStream.replicas)
                var info: UnsafeMutablePointer<jsConsumerInfo>?
                let st = js_AddConsumer(&info, jetStream.js, stream, &cc, nil, &err)
                if let info { jsConsumerInfo_Destroy(info) }
                return st
            }
        }
        // 10148: a consumer of that name exists with a different configuration — use it as it is.
        if added != NATS_OK, err.rawValue != 10148 {
            throw NatsError(status: added, context: "create durable consumer \(durable) on \(stream) (js error \(err.rawValue))",
                            jsErrorCode: Int(err.rawValue))
        }
    }

    /// Test hook: `createDurable` on a blocking thread.
    static func ensureDurable(jetStream: JetStream, stream: String, durable: String, filterSubject: String) async throws {
        try await jetStream.connection.blocking.run {
            try createDurable(jetStream: jetStream, stream: stream, durable: durable, filterSubject: filterSubject)
        }
    }

    private func loop(_ pull: JetStreamPull) {
        while !stopFlag.load(ordering: .acquiring) {
            let fetched: [OpaquePointer]
            do {
                let (messages, ended) = try pull.fetch(batch: Int(batch), wait: .milliseconds(500))
                if case .refused(let why) = ended {
                    logger.warning("pull refused, asking again shortly", metadata: ["durable": "\(durable)", "status": "\(why)"])
                    Thread.sleep(forTimeInterval: 0.5)
                }
                fetched = messages
            } catch {
                logger.warning("fetch failed", metadata: ["durable": "\(durable)", "error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if fetched.isEmpty { continue }
            // Copy every message out of cnats memory, handle the batch, then ack/nak each here on the
            // consumer thread — only after the handler finished.
            let items = fetched.map { msg -> JetStreamMessage in
                let delivery = JetStreamPull.delivery(of: msg)
                return JetStreamMessage(message: NatsMessage(copying: msg), streamSequence: delivery?.streamSequence ?? 0,
                                        deliveries: delivery?.deliveries ?? 1, stream: delivery?.stream ?? "",
                                        storedAt: delivery?.storedAt ?? .distantPast)
            }
            let handleBatch = self.handleBatch
            var outcomes: [ConsumeOutcome] = runBlockingWait { await handleBatch(items) }
            if outcomes.count != fetched.count {
                logger.error("batch handler returned \(outcomes.count) outcomes for \(fetched.count) messages; all will be redelivered")
                outcomes = fetched.map { _ in .retry(after: .seconds(1)) }
            }
            for (msg, outcome) in zip(fetched, outcomes) {
                switch outcome {
                case .ack: pull.ack(msg)
                case .retry(let after): pull.nak(msg, delay: after)
                case .terminate: pull.terminate(msg)
                }
                natsMsg_Destroy(msg)
            }
            // One round trip confirms the batch's acks reached the server (a lost ack only means a redelivery,
            // which handlers treat idempotently).
            _ = natsConnection_FlushTimeout(jetStream.connection.conn, 5000)
        }
    }
}
