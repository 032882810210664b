import CNATS
import Foundation

/// Pulls messages of one durable JetStream consumer into a private inbox, done by hand over the JetStream
/// wire API (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>` requests, `$JS.ACK.…` replies).
///
/// Why not `natsSubscription_Fetch`: in the cnats Debian ships (3.4.1; fixed upstream in 2024) `_fetch` sizes its message
/// array for `batch` messages, takes what is already queued from an earlier pull, then asks the server for
/// `batch − queued` and keeps collecting until the count *equals* that smaller number. With more than half a
/// batch queued the count never equals it, and every further message is written past the end of the array
/// (nats-io/nats.c#749). Under a backlog that corrupted the heap of every consumer service (glibc `double
/// free or corruption`, found with AddressSanitizer on 2026-12-03). Here a batch is a Swift array and the
/// messages left over from an earlier request are simply the next batch.
///
/// Not thread-safe: one consumer thread owns it. The caller destroys every message it gets.
final class JetStreamPull {
    let connection: OpaquePointer
    let inbox: String
    let nextSubject: String
    private let sub: OpaquePointer

    init(connection: NatsConnection, stream: String, durable: String) throws {
        self.connection = connection.conn
        inbox = connection.makeInbox()
        nextSubject = "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(durable)"
        var sub: OpaquePointer?
        let s = natsConnection_SubscribeSync(&sub, connection.conn, inbox)
        guard s == NATS_OK, let sub else { throw NatsError(status: s, context: "subscribe pull inbox of \(durable)") }
        // The server never sends more than the requests ask for; the limits only guard against a flood.
        _ = natsSubscription_SetPendingLimits(sub, 65_536, 256 * 1024 * 1024)
        self.sub = sub
    }

    /// Stops the inbox; queued messages are dropped (un-acked, so the server redelivers them after AckWait).
    func close() {
        _ = natsSubscription_Unsubscribe(sub)
        natsSubscription_Destroy(sub)
    }

    /// Why a request ended without messages.
    enum Ended: Equatable {
        /// Nothing arrived in time (404 no messages, 408 request expired, or no answer at all).
        case empty
        /// The server refused the request (409: consumer deleted, too many waiting requests; 503: no
        /// responders while a cluster elects the consumer's leader): the caller should pause before asking again.
        case refused(String)
    }

    /// Up to `batch` user messages: first those already queued (answers to an earlier request that arrived after
    /// it was given up), else a `no_wait` request (what the stream has now, closed by the server with a 404/408),
    /// else one request the server holds for up to `wait`. Each request is over when this returns — the batch is
    /// full or the server closed it — so a consumer that stops leaves no request behind that would take messages
    /// published meanwhile into an inbox nobody reads (they would come back only after the ack wait).
    func fetch(batch: Int, wait: Duration) throws -> (messages: [OpaquePointer], ended: Ended) {
        var out: [OpaquePointer] = []
        var refusal: String?
        // 1. What is queued already: taking it needs no request (and never more than `batch`).
        var left = queuedCount
        while left > 0, out.count < batch {
            left -= 1
            guard let msg = try next(timeoutMs: 1) else { break }
            if let status = Self.status(of: msg) {
                if Self.isRefusal(status) { refusal = status }
                natsMsg_Destroy(msg)
            } else {
                out.append(msg)
            }
        }
        if !out.isEmpty { return (out, .empty) }
        if let refusal { return ([], .refused(refusal)) }

        // 2. What the stream has now; 3. if nothing, wait for it.
        let waitMs = max(0, wait.wholeMilliseconds)
        for request in ["{\"batch\":\(batch),\"no_wait\":true}", "{\"batch\":\(batch),\"expires\":\(waitMs * 1_000_000)}"] {
            let ps = natsConnection_PublishRequestString(connection, nextSubject, inbox, request)
            guard ps == NATS_OK else { throw NatsError(status: ps, context: "pull request to \(nextSubject)") }
            // The server's clock for `expires` starts when the request arrives: allow a second for its 408.
            let deadline = ContinuousClock.now + .milliseconds(request.contains("no_wait") ? 0 : waitMs) + .seconds(1)
            while out.count < batch {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { break }
                guard let msg = try next(timeoutMs: max(1, remaining.wholeMilliseconds)) else { break }
                if let status = Self.status(of: msg) {
                    natsMsg_Destroy(msg)
                    if Self.isRefusal(status) { return (out, out.isEmpty ? .refused(status) : .empty) }
                    break   // 404 / 408: this request is over
                }
                out.append(msg)
            }
            if !out.isEmpty { break }
        }
        return (out, .empty)
    }

    /// Messages (and status answers) waiting in the inbox.
    var queuedCount: Int {
        var queued: Int32 = 0, bytes: Int32 = 0
        _ = natsSubscription_GetPending(sub, &queued, &bytes)
        return Int(queued)
    }

    /// Where and when the server stored a pulled message (from its reply subject).
    static func delivery(of msg: OpaquePointer) -> JetStreamDelivery? {
        natsMsg_GetReply(msg).flatMap { JetStreamDelivery(replySubject: String(cString: $0)) }
    }

    /// The next queued message, nil on timeout.
    private func next(timeoutMs: Int64) throws -> OpaquePointer? {
        var msg: OpaquePointer?
        let s = natsSubscription_NextMsg(&msg, sub, timeoutMs)
        if s == NATS_TIMEOUT { return nil }
        guard s == NATS_OK, let msg else { throw NatsError(status: s, context: "pull inbox") }
        return msg
    }

    /// A status message of the JetStream API (no reply subject, a `Status` header), or nil for a stored message.
    static func status(of msg: OpaquePointer) -> String? {
        if let reply = natsMsg_GetReply(msg), reply.pointee != 0 { return nil }
        var value: UnsafePointer<CChar>?
        if natsMsgHeader_Get(msg, "Status", &value) == NATS_OK, let value {
            var description: UnsafePointer<CChar>?
            let text = natsMsgHeader_Get(msg, "Description", &description) == NATS_OK ? description.map { String(cString: $0) } : nil
            return String(cString: value) + (text.map { " " + $0 } ?? "")
        }
        return "no status"
    }

    static func isRefusal(_ status: String) -> Bool { status.hasPrefix("409") || status.hasPrefix("503") }

    // MARK: acknowledgements (published on the message's reply subject; one flush confirms a batch)

    /// Positive acknowledgement: the server forgets the message.
    func ack(_ msg: OpaquePointer) { reply(msg, "+ACK") }

    /// Negative acknowledgement: redelivered after `delay`.
    func nak(_ msg: OpaquePointer, delay: Duration) {
        reply(msg, "-NAK {\"delay\":\(delay.wholeNanoseconds)}")
    }

    /// Never redeliver.
    func terminate(_ msg: OpaquePointer) { reply(msg, "+TERM") }

    private func reply(_ msg: OpaquePointer, _ body: String) {
        guard let reply = natsMsg_GetReply(msg), reply.pointee != 0 else { return }
        _ = natsConnection_PublishString(connection, reply, body)
    }
}

/// What JetStream tells about a delivered message in its reply subject
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time ns>.<pending>`, or the form with
/// domain and account hash after `ACK`).
struct JetStreamDelivery: Equatable {
    var stream: String
    var consumer: String
    var deliveries: UInt64
    var streamSequence: UInt64
    var storedAt: Date

    init?(replySubject: String) {
        // Split on UTF-8 bytes: every delivered message is parsed, and `Character`-wise splitting showed in profiles.
        var subject = replySubject
        let t: [String] = subject.withUTF8 { b in
            b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
        guard t.count >= 9, t[0] == "$JS", t[1] == "ACK" else { return nil }
        let o = t.count == 9 ? 2 : 4   // v2: $JS.ACK.<domain>.<account hash>.<stream>.…
        guard t.count >= o + 7, let delivered = UInt64(t[o + 2]), let sseq = UInt64(t[o + 3]), let ns = UInt64(t[o + 5]) else { return nil }
        stream = t[o]
        consumer = t[o + 1]
        deliveries = delivered
        streamSequence = sseq
        storedAt = Date(timeIntervalSince1970: Double(ns) / 1e9)
    }
}
