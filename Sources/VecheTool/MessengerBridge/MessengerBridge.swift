import Contracts
import Foundation
import Logging
import VecheRuntime

/// Delivers the notifications AgencyService addressed to one messenger (`veche.notify.v1.<channel>` in
/// stream `VECHE_NOTIFY`) through the messenger's Bot API (`TelegramClient`).
///
/// The durable consumer `messenger-<channel>` remembers what was acknowledged, and a message is acknowledged
/// only after the API answered 2xx (or refused it for good): a restart resumes after the last delivered one
/// and sends nothing twice; only a crash between the API's answer and the ack repeats one message. Failures
/// are retried with a growing delay (`retryBase` × 2^(delivery − 1), at most `maxRetryDelay`, or the API's own
/// `retry_after`); messages the API refuses (unknown chat, blocked bot) are dropped with an error logged.
struct MessengerBridge: Sendable {
    let channel: String
    let client: TelegramClient
    let logger: Logger
    var retryBase: Duration = .seconds(5)
    var maxRetryDelay: Duration = .seconds(300)

    /// The durable consumer that feeds `handle`, in stream order (one message at a time).
    func consumer(jetStream: JetStream) -> JetStreamConsumer {
        JetStreamConsumer(jetStream: jetStream, stream: Subjects.Notifications.stream, durable: Subjects.Notifications.bridgeDurable(channel: channel),
                          filterSubject: Subjects.Notifications.subject(channel: channel), batch: 16, logger: logger) { await self.handle($0) }
    }

    func handle(_ item: JetStreamMessage) async -> ConsumeOutcome {
        guard let n = try? JSONDecoder().decode(MessengerNotification.self, from: Data(item.message.payload)) else {
            logger.error("messenger bridge: not a notification, dropped", metadata: ["subject": "\(item.message.subject)", "seq": "\(item.streamSequence)"])
            return .terminate
        }
        let meta: Logger.Metadata = ["notification": "\(n.id)", "recipient": "\(n.recipient)", "kind": "\(n.kind)", "delivery": "\(item.deliveries)"]
        guard !n.address.isEmpty else {
            logger.error("messenger bridge: notification without an address, dropped", metadata: meta)
            return .terminate
        }
        switch await client.sendMessage(chatID: n.address, text: TelegramClient.text(subject: n.subject, body: n.body)) {
        case .delivered:
            logger.info("messenger bridge: delivered", metadata: meta)
            return .ack
        case .retry(let after, let reason):
            let delay = after ?? backoff(delivery: item.deliveries)
            logger.warning("messenger bridge: not delivered, will retry", metadata: meta.merging(["error": "\(reason)", "retry_in": "\(delay)"]) { $1 })
            return .retry(after: delay)
        case .rejected(let reason):
            logger.error("messenger bridge: refused by the messenger, dropped", metadata: meta.merging(["error": "\(reason)"]) { $1 })
            return .terminate
        }
    }

    func backoff(delivery: UInt64) -> Duration {
        let factor = 1 << Int(min(max(delivery, 1) - 1, 16))
        return min(retryBase * factor, maxRetryDelay)
    }
}
