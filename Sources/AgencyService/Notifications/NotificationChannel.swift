import Contracts
import Foundation
import VecheRuntime

/// One notification taken from the outbox for delivery (the wire type of the messenger bridges, too).
typealias OutboxNotification = MessengerNotification

/// A way to reach people: e-mail, or a messenger through its bridge. Register more by adding an implementation
/// to the sender's channel list; a notification names its channel and waits in the outbox until it exists.
protocol NotificationChannel: Sendable {
    /// The `channel` value of the notifications it delivers.
    var name: String { get }
    /// Delivers one notification under `messageID` (the same for a copy resent after a crash); throws
    /// `DeliveryError` (or an error the channel knows to be transient).
    func deliver(_ n: OutboxNotification, messageID: String) async throws
    /// Releases resources when the sender stops.
    func close()
}

extension NotificationChannel {
    /// Delivers one outbox row under its own message id (`notification-<id>`).
    func deliver(_ n: OutboxNotification) async throws { try await deliver(n, messageID: n.messageID) }
}

/// Why a channel could not deliver; `permanent` failures are not retried.
struct DeliveryError: Error, CustomStringConvertible {
    var message: String
    var permanent: Bool
    var description: String { message }
}

/// E-mail through an SMTP relay, off the cooperative pool (one dedicated thread, bounded queue). The
/// Message-ID is derived from the outbox rows, so a copy resent after a crash is recognisable as the same mail.
final class EmailChannel: NotificationChannel {
    let name = "email"
    let client: SMTPClient
    let from: String
    private let executor = BlockingExecutor(name: "smtp", threads: 1, capacity: 256)

    init(settings: SMTPSettings, from: String) {
        client = SMTPClient(settings: settings)
        self.from = from
    }

    func deliver(_ n: OutboxNotification, messageID: String) async throws {
        let message = MailMessage(from: from, to: [n.address], subject: n.subject, body: n.body, messageID: "\(messageID)@veche.local")
        let client = self.client
        do {
            try await executor.run { try client.send(message) }
        } catch let e as SMTPError {
            throw DeliveryError(message: e.description, permanent: !e.isTransient)
        }
    }

    func close() { executor.shutdown() }
}

/// A messenger reached through its bridge: the notification is stored as JSON in stream `VECHE_NOTIFY` on
/// `veche.notify.v1.<channel>` (Nats-Msg-Id = the message id, so a resend after a crash is dropped as a duplicate);
/// it counts as delivered once the stream acknowledged it. The bridge (`veche-tool messenger-bridge`) owns
/// delivery to the messenger's API.
struct MessengerChannel: NotificationChannel {
    let name: String
    let jetStream: JetStream

    func deliver(_ n: OutboxNotification, messageID: String) async throws {
        let payload = try JSONEncoder().encode(n)
        do {
            try await jetStream.publish(subject: Subjects.Notifications.subject(channel: name), payload: Array(payload), messageID: messageID)
        } catch {
            throw DeliveryError(message: "\(name): \(error)", permanent: false)
        }
    }

    func close() {}
}
