import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// The running parts of notifications: the appeal-event consumer, the escalation ticker and the sender
/// (each a `Service` of AgencyService's group).
struct NotificationServices: Sendable {
    var notifier: AppealEventNotifier
    var consumer: JetStreamConsumer
    var ticker: EscalationTicker
    var sender: NotificationSender

    var services: [any Service] { [consumer, ticker, sender] }

    init(env: ServiceEnvironment, pool: PGPool, settings: NotificationSettings) {
        let text = NotificationText(timeZone: env.config.timeZone)
        let messengers = Set(settings.messengers)
        var channels: [any NotificationChannel] = settings.messengers.map { MessengerChannel(name: $0, jetStream: env.jetStream) }
        if let smtp = settings.smtp {
            channels.append(EmailChannel(settings: smtp, from: settings.from))
        } else {
            env.logger.notice("no SMTP server configured (VECHE_SMTP_PORT): e-mail notifications wait in the outbox")
        }
        let sender = NotificationSender(pool: pool, channels: channels, logger: env.logger, interval: settings.sendInterval,
                                        maxAttempts: settings.maxAttempts, retryBase: settings.retryBase,
                                        digest: .init(minimum: settings.digestMin, text: text, workspaceURL: settings.workspaceURL ?? env.config.publicURL))
        let ticker = EscalationTicker(pool: pool, text: text, messengers: messengers, logger: env.logger,
                                      interval: settings.escalationInterval, onQueued: { sender.kick() })
        var notifier = AppealEventNotifier(pool: pool, text: text, messengers: messengers, logger: env.logger)
        notifier.onChange = { ticker.kick(); sender.kick() }
        let handler = notifier
        consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.AppealEvents.stream, durable: Subjects.Notifications.eventsDurable,
                                     filterSubject: Subjects.AppealEvents.wildcard, batch: Subjects.AppealEvents.projectionBatch, logger: env.logger) { await handler.processBatch($0) }
        self.notifier = notifier
        self.ticker = ticker
        self.sender = sender
    }

    /// Demo people's addresses (`<user>@demo.veche.local`, caught by the local SMTP sink of `scripts/veche run`),
    /// once: later changes through the preferences API survive restarts.
    static func seedDemoPreferences(_ conn: PGConnection) throws {
        guard try conn.query("INSERT INTO seed_marks (name) VALUES ('demo-notification-preferences') ON CONFLICT DO NOTHING RETURNING name").first != nil else {
            return
        }
        for user in ["kurator", "cur-head", "sector-housing", "sector-head-roads", "operator", "executor-zhkh", "executor-kursk", "media"] {
            try conn.query("""
                INSERT INTO notification_preferences (principal, email) VALUES (\("user:" + user), \(user + "@demo.veche.local"))
                ON CONFLICT DO NOTHING
                """)
        }
    }
}
