import CNATS
import Foundation

/// A NATS message copied out of cnats memory (so it can cross threads safely).
public struct NatsMessage: Sendable {
    public var subject: String
    public var reply: String?
    public var headers: [String: String]
    public var payload: [UInt8]
    /// Set for "no responders" status replies.
    public var isNoResponders: Bool

    public init(subject: String, reply: String? = nil, headers: [String: String] = [:], payload: [UInt8] = []) {
        self.subject = subject
        self.reply = reply
        self.headers = headers
        self.payload = payload
        self.isNoResponders = false
    }

    /// Copies the message; the caller still owns (and destroys) `msg`.
    init(copying msg: OpaquePointer) {
        subject = natsMsg_GetSubject(msg).map { String(cString: $0) } ?? ""
        reply = natsMsg_GetReply(msg).map { String(cString: $0) }
        let len = Int(natsMsg_GetDataLength(msg))
        if len > 0, let data = natsMsg_GetData(msg) {
            payload = data.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
        } else {
            payload = []
        }
        headers = NatsMessage.readHeaders(msg)
        isNoResponders = natsMsg_IsNoResponders(msg)
    }

    static func readHeaders(_ msg: OpaquePointer) -> [String: String] {
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        guard natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK, let keys else { return [:] }
        defer { free(keys) }
        var out: [String: String] = [:]
        for i in 0..<Int(count) {
            guard let k = keys[i] else { continue }
            var value: UnsafePointer<CChar>?
            if natsMsgHeader_Get(msg, k, &value) == NATS_OK, let value {
                out[String(cString: k)] = String(cString: value)
            }
        }
        return out
    }

    /// Builds a cnats message; the caller must natsMsg_Destroy it.
    func makeCMessage() throws -> OpaquePointer {
        var msg: OpaquePointer?
        let s = payload.withUnsafeBufferPointer { buf in
            buf.baseAddress.withMemoryRebound(to: CChar.self, capacity: max(buf.count, 1)) { base in
                natsMsg_Create(&msg, subject, reply, base, Int32(buf.count))
            }
        }
        guard s == NATS_OK, let msg else { throw NatsError(status: s, context: "create message on \(subject)") }
        for (k, v) in headers {
            let hs = natsMsgHeader_Set(msg, k, v)
            if hs != NATS_OK {
                natsMsg_Destroy(msg)
                throw NatsError(status: hs, context: "set header \(k)")
            }
        }
        return msg
    }
}

extension Optional where Wrapped == UnsafePointer<UInt8> {
    fileprivate func withMemoryRebound<R>(to: CChar.Type, capacity: Int, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let p = self else { return body(nil) }
        return p.withMemoryRebound(to: CChar.self, capacity: capacity) { body($0) }
    }
}

/// A failed cnats / JetStream call: its status, what was being done, and the JetStream error code if any.
public struct NatsError: Error, CustomStringConvertible {
    public let status: natsStatus
    public let context: String
    /// JetStream API error code (e.g. 10059 stream not found), 0 when none.
    public var jsErrorCode: Int = 0
    public var description: String {
        let text = natsStatus_GetText(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
        return "NATS \(context): \(text)"
    }
}
