import Contracts
import Foundation
import VecheRuntime

/// The checks of one event message and the rejection store, shared by the projection's handlers.
extension RatingProjection {
    /// What the checks decided about one message.
    enum Checked: Sendable {
        case event(AppealV1.AppealEvent, streamSequence: Int64)
        case rejected(String)
    }

    /// Decodes and validates one message (nothing stored).
    static func check(_ item: JetStreamMessage) -> Checked {
        let msg = item.message
        guard item.stream == Subjects.AppealEvents.stream else {
            return .rejected("message from stream \(item.stream), not \(Subjects.AppealEvents.stream)")
        }
        guard let event = try? AppealV1.AppealEvent(serializedBytes: msg.payload) else {
            return .rejected("payload is not a valid veche.appeal.v1.AppealEvent protobuf (\(msg.payload.count) bytes)")
        }
        if let problem = validate(event) { return .rejected(problem) }
        guard msg.subject == Subjects.AppealEvents.subject(for: event.type) else {
            return .rejected("a \(event.type.name) event on subject \(msg.subject)")
        }
        return .event(event, streamSequence: Int64(item.streamSequence))
    }

    /// Keeps a refused message with its reason and moves the consumer position past it.
    static func storeRejection(_ conn: PGConnection, _ item: JetStreamMessage, reason: String) throws {
        let seq = Int64(item.streamSequence)
        try conn.query("""
            INSERT INTO rejected_events (subject, stream_sequence, reason, payload)
            VALUES (\(item.message.subject), \(seq), \(reason), \(PGBytes.encode(item.message.payload))::bytea)
            ON CONFLICT (stream_sequence) DO NOTHING
            """)
        try conn.query("UPDATE consumer_state SET last_stream_sequence = GREATEST(last_stream_sequence, \(seq)) WHERE id = 1")
    }
}
