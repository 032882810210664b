import Foundation
import VecheRuntime

/// How AgencyService delivers notifications, from the environment:
/// `VECHE_SMTP_HOST` / `VECHE_SMTP_PORT` (no port: e-mail stays queued until one is configured),
/// `VECHE_SMTP_FROM`, `VECHE_NOTIFY_MESSENGERS` (messenger channels with a bridge on the bus, comma separated),
/// `VECHE_ESCALATION_INTERVAL` and `VECHE_NOTIFY_INTERVAL` (seconds between passes), `VECHE_NOTIFY_DIGEST_MIN`
/// (escalation alerts due for one person at once that go as one digest; below 2: never).
struct NotificationSettings: Sendable {
    var smtp: SMTPSettings?
    var from: String
    var messengers: [String]
    var escalationInterval: Duration
    var sendInterval: Duration
    /// Delivery attempts before a notification is marked failed.
    var maxAttempts: Int = 8
    /// The wait after a failed attempt, multiplied by the attempt number.
    var retryBase: Duration = .seconds(60)
    /// From this many escalation alerts due for one person and address at once, they go as one digest.
    var digestMin: Int
    /// The workspace's origin for links in digests (nil: `VecheConfig.publicURL`, the gateway's; '' = no link).
    var workspaceURL: String? = nil

    init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        smtp = env["VECHE_SMTP_PORT"].flatMap(Int.init).map { SMTPSettings(host: env["VECHE_SMTP_HOST"] ?? "127.0.0.1", port: $0) }
        from = env["VECHE_SMTP_FROM"] ?? "cur-noreply@veche.local"
        messengers = (env["VECHE_NOTIFY_MESSENGERS"] ?? "telegram").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        escalationInterval = .seconds(env["VECHE_ESCALATION_INTERVAL"].flatMap(Int.init) ?? 60)
        sendInterval = .seconds(env["VECHE_NOTIFY_INTERVAL"].flatMap(Int.init) ?? 5)
        digestMin = env["VECHE_NOTIFY_DIGEST_MIN"].flatMap(Int.init) ?? 5
    }
}
