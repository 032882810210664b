import Contracts
import Foundation
import Logging
import VecheRuntime

/// Consumes `veche.intake.v1.<channel>` from JetStream. Valid messages become appeals (idempotent on
/// channel + external id); malformed or invalid ones are stored in `rejected_intake` with the reason;
/// database trouble leaves the message un-acked for redelivery. Nothing is lost.
struct IntakeProcessor: Sendable {
    let handlers: AppealHandlers
    let pool: PGPool
    let logger: Logger

    func process(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let msg = item.message
        do {
            var incoming: AppealV1.IncomingAppeal
            do {
                incoming = try AppealV1.IncomingAppeal(serializedBytes: msg.payload)
            } catch {
                return await reject(item, reason: "payload is not a valid veche.appeal.v1.IncomingAppeal protobuf (\(msg.payload.count) bytes)")
            }
            if incoming.channel == .unspecified, let token = msg.subject.split(separator: ".").last,
               let channel = AppealV1.Channel(name: String(token)) {
                incoming.channel = channel
            }
            do {
                _ = try await handlers.submit(incoming, actor: "intake:\(msg.subject)")
                return .ack
            } catch let e as RPCError where e.code == .invalidArgument {
                return await reject(item, reason: e.message)
            }
        } catch let e as RPCError where e.code == .unavailable {
            logger.warning("intake: dependency unavailable, will redeliver", metadata: ["error": "\(e)"])
            return .retry(after: .seconds(2))
        } catch {
            logger.warning("intake: failed, will redeliver", metadata: ["error": "\(error)", "subject": "\(msg.subject)"])
            return .retry(after: .seconds(2))
        }
    }

    private func reject(_ item: JetStreamMessage, reason: String) async -> ConsumeOutcome {
        let msg = item.message
        do {
            try await pool.withConnection { conn in
                try AppealStore.rejectIntake(conn, subject: msg.subject, sequence: item.streamSequence, reason: reason,
                                             payload: msg.payload, headers: msg.headers)
            }
            logger.notice("intake: message rejected and kept", metadata: ["subject": "\(msg.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            return .ack
        } catch {
            return .retry(after: .seconds(2))
        }
    }
}
