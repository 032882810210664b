import Contracts
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// Consumes `veche.mentions.v1.<source>` from JetStream (stream `VECHE_MENTIONS`): each message is a
/// `veche.media.v1.IncomingPost` with the delivering system's access token (`Authorization: Bearer`, checked
/// as of the time the stream stored it, as a `MediaService.SubmitPost` call). Posts are stored once per
/// (source, external id), so a redelivery changes nothing; malformed, unauthenticated or invalid messages
/// are kept in `rejected_intake` with the reason; database trouble leaves the message for redelivery.
struct MentionIntake: Sendable {
    let handlers: MediaHandlers
    let authenticator: TokenAuthenticator
    let logger: Logger

    func process(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let msg = item.message
        guard item.stream == Subjects.Mentions.stream else {
            return await reject(item, reason: "message from stream \(item.stream), not \(Subjects.Mentions.stream)")
        }
        var post: MediaV1.IncomingPost
        do {
            post = try MediaV1.IncomingPost(serializedBytes: msg.payload)
        } catch let text as ProtoTextError {
            return await reject(item, reason: text.description)
        } catch {
            return await reject(item, reason: "payload is not a valid veche.media.v1.IncomingPost protobuf (\(msg.payload.count) bytes)")
        }
        let token = msg.subject.split(separator: ".").last.map(String.init) ?? ""
        if post.source.isEmpty { post.source = token }
        guard post.source == token else { return await reject(item, reason: "source \(post.source) does not match the subject \(msg.subject)") }
        do {
            let principal = try await authenticator.authenticate(service: MediaV1.MediaService.name, method: "SubmitPost",
                                                                 headers: msg.headers, at: item.storedAt)
            _ = try await handlers.store(post, by: principal)
            return .ack
        } catch let e as AuthError where !e.isTransient {
            return await reject(item, reason: "refused: \(e.message)")
        } catch let e as RPCError where e.code == .invalidArgument || e.code == .permissionDenied || e.code == .unauthenticated {
            return await reject(item, reason: e.message)
        } catch {
            logger.warning("mention intake: failed, will redeliver", metadata: ["error": "\(error)", "subject": "\(msg.subject)"])
            return .retry(after: .seconds(2))
        }
    }

    private func reject(_ item: JetStreamMessage, reason: String) async -> ConsumeOutcome {
        do {
            try await handlers.pool.withConnection { conn in
                try AppealStore.rejectIntake(conn, subject: item.message.subject, sequence: item.streamSequence, reason: reason,
                                             payload: item.message.payload, headers: item.message.headers)
            }
            logger.notice("mention intake: message rejected and kept", metadata: ["subject": "\(item.message.subject)", "reason": "\(reason)"])
            return .ack
        } catch {
            return .retry(after: .seconds(2))
        }
    }
}
