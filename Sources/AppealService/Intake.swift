import Contracts
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// Consumes `veche.intake.v1.<channel>` from JetStream. Only the integrating system of a channel can publish
/// there (nats-server permissions); each message must also carry its access token (`Authorization: Bearer`),
/// verified as of the time the stream stored it, whose principal must be allowed on that channel. Valid
/// messages become appeals (idempotent on channel + external id); malformed, unauthenticated or invalid ones
/// are stored in `rejected_intake` with the reason; database trouble leaves the message un-acked for
/// redelivery. Nothing is lost.
struct IntakeProcessor: Sendable {
    let handlers: AppealHandlers
    let pool: PGPool
    let authenticator: TokenAuthenticator
    let logger: Logger

    func process(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let msg = item.message
        do {
            guard item.stream == Subjects.Intake.stream else {
                return await reject(item, reason: "message from stream \(item.stream), not \(Subjects.Intake.stream)")
            }
            var incoming: AppealV1.IncomingAppeal
            do {
                incoming = try AppealV1.IncomingAppeal(serializedBytes: msg.payload)
            } catch let text as ProtoTextError {
                return await reject(item, reason: text.description)
            } catch {
                return await reject(item, reason: "payload is not a valid veche.appeal.v1.IncomingAppeal protobuf (\(msg.payload.count) bytes)")
            }
            let subjectChannel = msg.subject.split(separator: ".").last.flatMap { AppealV1.Channel(name: String($0)) }
            if incoming.channel == .unspecified, let subjectChannel { incoming.channel = subjectChannel }
            guard incoming.channel == subjectChannel else {
                return await reject(item, reason: "channel \(incoming.channel.name) does not match the subject \(msg.subject)")
            }
            do {
                let principal = try await authenticator.authenticate(service: AppealV1.AppealService.name, method: "SubmitAppeal",
                                                                     headers: msg.headers, at: item.storedAt)
                _ = try await handlers.submit(incoming, by: principal)
                return .ack
            } catch let e as AuthError where !e.isTransient {
                return await reject(item, reason: "refused: \(e.message)")
            } catch let e as RPCError where e.code == .invalidArgument || e.code == .permissionDenied || e.code == .unauthenticated {
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
