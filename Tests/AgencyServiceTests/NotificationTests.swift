import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
import Workload
@testable import AgencyService

/// Escalation chains, the notification outbox and SMTP delivery (issue #12 part 4), against a real
/// PostgreSQL, nats-server and aiosmtpd. Clocks are passed in, so nothing depends on timing.
@Suite("Notifications: escalation, outbox, SMTP (real PostgreSQL + aiosmtpd)", .serialized)
struct NotificationTests {
    /// An instant with whole milliseconds (what the events carry).
    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    static let hour: TimeInterval = 3600, day: TimeInterval = 86_400

    static func appeal(_ id: String, status: AppealV1.Status, answerDue: Date, topic: String = "housing", agency: String = "kursk-zhkh",
                       email: String = "") -> AppealV1.Appeal {
        AppealV1.Appeal(id: id, number: "2026-\(id.suffix(6))", channel: .portal, status: status,
                        author: CommonV1.Person(fullName: "Иванова Анна", email: email), title: "Нет отопления в подъезде",
                        topicCode: topic, agencyId: agency, deadlines: AppealV1.Deadlines(answerDueMs: ms(answerDue)),
                        answerText: status == .answered ? "Отопление восстановлено 2 декабря." : "")
    }

    static func event(_ type: AppealV1.EventType, _ appeal: AppealV1.Appeal, at: Date, comment: String = "", seq: Int64) -> AppealV1.AppealEvent {
        AppealV1.AppealEvent(eventId: UUID().uuidString.lowercased(), type: type, occurredAtMs: ms(at), actor: "test", comment: comment,
                             appeal: appeal, sequence: seq)
    }

    static func settings(smtpPort: Int?) -> NotificationSettings {
        var s = NotificationSettings(environment: smtpPort.map { ["VECHE_SMTP_PORT": "\($0)"] } ?? [:])
        s.retryBase = .zero
        return s
    }

    static func apply(_ built: AgencyServiceApp.Built, _ e: AppealV1.AppealEvent) async throws -> Bool {
        let notifier = built.notifications.notifier
        return try await built.notifications.sender.pool.transaction { conn in try notifier.apply(conn, event: e, appeal: e.appeal!) }
    }

    static func outbox(_ pool: PGPool, kind: String) async throws -> [(recipient: String, address: String, status: String)] {
        try await pool.query("SELECT recipient, address, status FROM notification_outbox WHERE kind = \(kind) ORDER BY id").rows
            .map { ($0.string("recipient"), $0.string("address"), $0.string("status")) }
    }

    /// AgencyService built (not running) on a fresh cluster, with its pool; e-mail through `smtpPort` if given.
    static func withAgency(smtpPort: Int?, _ body: (AgencyServiceApp.Built, PGPool, ServiceEnvironment) async throws -> Void) async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("agency", schema: AgencySchema.name)
            defer { env.close() }
            let built = try await AgencyServiceApp.build(env: env, notifications: settings(smtpPort: smtpPort))
            try await body(built, try env.requirePool(), env)
        }
    }

    @Test("A missed answer deadline alerts each level of the default chain once, when its delay has passed, and stops when the appeal is answered")
    func escalationFollowsTheChainOnce() async throws {
        try await Self.withAgency(smtpPort: nil) { built, pool, env in
            let ticker = built.notifications.ticker
            let deadline = Date(timeIntervalSince1970: Double(Self.ms(Date().addingTimeInterval(-Self.hour))) / 1000)
            let id = UUID().uuidString.lowercased()
            let working = Self.appeal(id, status: .inProgress, answerDue: deadline)
            #expect(try await Self.apply(built, Self.event(.deadlineMissed, working, at: deadline, comment: "answer deadline missed", seq: 5)))

            // Executor at once; nothing more on a second pass at the same instant.
            #expect(try await ticker.tick(now: deadline.addingTimeInterval(Self.hour)) == 1)
            #expect(try await ticker.tick(now: deadline.addingTimeInterval(Self.hour)) == 0)
            // After two days: head of agency (the agency's mailbox: no personal address) and the housing block's lead.
            #expect(try await ticker.tick(now: deadline.addingTimeInterval(2 * Self.day + Self.hour)) == 2)
            let alerts = try await Self.outbox(pool, kind: "escalation")
            #expect(alerts.map(\.recipient) == ["user:executor-zhkh", "agency:kursk-zhkh", "user:sector-housing"])
            #expect(alerts.map(\.address) == ["executor-zhkh@demo.veche.local", "demo-zhkh@example.ru", "sector-housing@demo.veche.local"])

            // Answered: the item is resolved and the later levels (руководитель ЦУР, куратор) are never alerted.
            var answered = working
            answered.status = .answered
            _ = try await Self.apply(built, Self.event(.answered, answered, at: deadline.addingTimeInterval(2 * Self.day + 2 * Self.hour), seq: 6))
            #expect(try await ticker.tick(now: deadline.addingTimeInterval(10 * Self.day)) == 0)
            #expect(try await Self.outbox(pool, kind: "escalation").count == 3)
            let resolved = try await pool.query("SELECT count(*) AS n FROM escalation_items WHERE resolved_at IS NOT NULL").first?.int("n")
            #expect(resolved == 1)

            // Redelivery of the deadline_missed event opens nothing new.
            #expect(try await Self.apply(built, Self.event(.deadlineMissed, working, at: deadline, comment: "answer deadline missed", seq: 5)) == false)
        }
    }

    @Test("A sector block's own chain replaces the default: the housing block alerts the curator after one hour, other blocks keep the default")
    func blockChainOverridesDefault() async throws {
        try await Self.withAgency(smtpPort: nil) { built, pool, env in
            let housing = try EscalationChain(block: "housing", levels: [.init(role: .executor, delay: 0), .init(role: .curator, delay: Self.hour)])
            try await pool.transaction { conn in try NotificationStore.saveChain(conn, housing) }
            #expect(try await pool.withConnection { conn in try NotificationStore.chain(conn, block: "housing") } == housing)
            #expect(try await pool.withConnection { conn in try NotificationStore.chain(conn, block: "roads") }.levels
                    == EscalationChain.standard(block: "roads").levels)

            let deadline = Date(timeIntervalSince1970: Double(Self.ms(Date().addingTimeInterval(-Self.day))) / 1000)
            let a = Self.appeal(UUID().uuidString.lowercased(), status: .inProgress, answerDue: deadline)
            _ = try await Self.apply(built, Self.event(.deadlineMissed, a, at: deadline, comment: "answer deadline missed", seq: 3))
            #expect(try await built.notifications.ticker.tick(now: deadline.addingTimeInterval(2 * Self.hour)) == 2)
            #expect(try await Self.outbox(pool, kind: "escalation").map(\.recipient) == ["user:executor-zhkh", "user:kurator"])
        }
    }

    @Test("Citizen notices reach a real SMTP server once: status change, answer and rating request; a redelivered event and a restarted sender send no second copy")
    func citizenMailDeliveredOnce() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        defer { sink.stop() }
        try await Self.withAgency(smtpPort: sink.port) { built, pool, env in
            let now = Date()
            let id = UUID().uuidString.lowercased()
            let registered = Self.appeal(id, status: .registered, answerDue: now.addingTimeInterval(30 * Self.day), email: "anna@example.org")
            var answered = registered
            answered.status = .answered
            answered.answerText = "Отопление восстановлено."
            let answerEvent = Self.event(.answered, answered, at: now, seq: 4)
            _ = try await Self.apply(built, Self.event(.registered, registered, at: now, seq: 2))
            _ = try await Self.apply(built, answerEvent)
            #expect(try await Self.apply(built, answerEvent) == false)   // redelivery
            // An old event (history replayed after an upgrade) tells the citizen nothing.
            #expect(try await Self.apply(built, Self.event(.started, registered, at: now.addingTimeInterval(-10 * Self.day), seq: 3)) == false)

            #expect(try await built.notifications.sender.sendBatch() == 3)
            let mail = try sink.messages()
            #expect(mail.count == 3)
            #expect(mail.allSatisfy { $0.to == "anna@example.org" })
            #expect(Set(mail.map(\.messageID)).count == 3)
            let subjects = Set(mail.map(\.subject))
            #expect(subjects.contains("Обращение № \(registered.number): готов ответ"))
            #expect(subjects.contains("Обращение № \(registered.number): оцените ответ"))
            #expect(mail.contains { $0.body.contains("Отопление восстановлено.") && $0.body.contains("Иванова Анна") })
            #expect(try await Self.outbox(pool, kind: "answer_ready").map(\.status) == ["sent"])

            // A restarted service (new sender on the same outbox) finds nothing to send.
            let restarted = try await AgencyServiceApp.build(env: env, notifications: Self.settings(smtpPort: sink.port))
            #expect(try await restarted.notifications.sender.sendBatch() == 0)
            #expect(try sink.messages().count == 3)
        }
    }

    @Test("While the SMTP relay is down a notification waits with the reason and one attempt counted; once it is up it is delivered once")
    func relayOutageIsRetried() async throws {
        let sink = try SMTPSink()   // not started yet: nothing listens on its port
        defer { sink.stop() }
        try await Self.withAgency(smtpPort: sink.port) { built, pool, env in
            let a = Self.appeal(UUID().uuidString.lowercased(), status: .registered, answerDue: Date().addingTimeInterval(Self.day), email: "petr@example.org")
            _ = try await Self.apply(built, Self.event(.registered, a, at: Date(), seq: 2))
            #expect(try await built.notifications.sender.sendBatch() == 1)
            let waiting = try #require(try await pool.query("SELECT status, attempts, last_error FROM notification_outbox").first)
            #expect(waiting.string("status") == "pending")
            #expect(waiting.int("attempts") == 1)
            #expect(waiting.string("last_error").contains("cannot connect"))

            try await sink.start()
            #expect(try await built.notifications.sender.sendBatch() == 1)
            #expect(try await built.notifications.sender.sendBatch() == 0)
            #expect(try sink.messages().map(\.to) == ["petr@example.org"])
            #expect(try await Self.outbox(pool, kind: "status_changed").map(\.status) == ["sent"])
        }
    }

    @Test("Preferences route a notice: a muted kind is not sent, a messenger with a bridge is preferred, an unknown messenger falls back to e-mail")
    func preferencesRoute() {
        let bridges: Set<String> = ["telegram"]
        let r = Recipient(key: "user:x", email: "x@example.org", messenger: "telegram", messengerAddress: "@x", muted: ["status_changed"])
        #expect(r.route(kind: .statusChanged, messengers: bridges) == nil)
        #expect(r.route(kind: .escalation, messengers: bridges)! == ("telegram", "@x"))
        #expect(r.route(kind: .escalation, messengers: [])! == ("email", "x@example.org"))
        #expect(Recipient(key: "user:y", email: "not an address").route(kind: .escalation, messengers: bridges) == nil)
    }
}
