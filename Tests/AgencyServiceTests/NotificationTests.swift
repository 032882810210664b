import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
import WorkCalendar
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

    static func settings(smtpPort: Int?, workspaceURL: String? = nil) -> NotificationSettings {
        var s = NotificationSettings(environment: smtpPort.map { ["VECHE_SMTP_PORT": "\($0)"] } ?? [:])
        s.retryBase = .zero
        s.workspaceURL = workspaceURL
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
    static func withAgency(smtpPort: Int?, workspaceURL: String? = nil,
                           _ body: (AgencyServiceApp.Built, PGPool, ServiceEnvironment) async throws -> Void) async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("agency", schema: AgencySchema.name)
            defer { env.close() }
            let built = try await AgencyServiceApp.build(env: env, notifications: settings(smtpPort: smtpPort, workspaceURL: workspaceURL))
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

    /// Three appeals' events interleaved in stream order: several events of one appeal, an appeal's events out of
    /// order with a stale answer after a newer one, a missed deadline resolved by an extension that moves it and
    /// missed again, and one answered after its missed deadline.
    static func interleavedHistory(_ ids: [String], base: Date) -> [AppealV1.AppealEvent] {
        let due = base.addingTimeInterval(-Self.day), later = base.addingTimeInterval(20 * Self.day)
        func a(_ i: Int, _ status: AppealV1.Status, due d: Date = due, answeredAt: Date? = nil) -> AppealV1.Appeal {
            var x = Self.appeal(ids[i], status: status, answerDue: d, topic: i == 1 ? "roads" : "housing")
            x.receivedAtMs = Self.ms(base.addingTimeInterval(-30 * Self.day))
            if let answeredAt { x.answeredAtMs = Self.ms(answeredAt) }
            return x
        }
        func at(_ h: Double) -> Date { base.addingTimeInterval(h * Self.hour - 29 * Self.day) }
        var answeredB = Self.event(.answered, a(1, .answered, answeredAt: at(9)), at: at(9), seq: 5); answeredB.actor = "executor-b"
        var staleB = Self.event(.answered, a(1, .answered, answeredAt: at(8)), at: at(8), seq: 4); staleB.actor = "executor-c"
        var answeredA = Self.event(.answered, a(0, .answered, answeredAt: at(30 * 24)), at: at(30 * 24), seq: 6); answeredA.actor = "executor-a"
        return [
            Self.event(.received, a(0, .received), at: at(0), seq: 1),
            Self.event(.received, a(1, .received), at: at(0.5), seq: 1),
            Self.event(.registered, a(0, .registered), at: at(1), seq: 2),
            Self.event(.assigned, a(1, .assigned), at: at(2), seq: 3),
            Self.event(.registered, a(1, .registered), at: at(1.5), seq: 2),
            Self.event(.assigned, a(0, .assigned), at: at(2), seq: 3),
            Self.event(.deadlineMissed, a(2, .inProgress), at: due, comment: "answer deadline missed", seq: 3),
            Self.event(.started, a(0, .inProgress), at: at(3), seq: 4),
            answeredB,
            Self.event(.deadlineMissed, a(0, .inProgress), at: due, comment: "answer deadline missed", seq: 5),
            staleB,
            Self.event(.extended, a(2, .extended, due: later), at: base, seq: 4),
            answeredA,
            Self.event(.deadlineMissed, a(2, .extended, due: later), at: later, comment: "answer deadline missed", seq: 5),
            Self.event(.closed, a(0, .closed, answeredAt: at(30 * 24)), at: at(31 * 24), seq: 7),
        ]
    }

    /// The workload facts and escalation items of `ids`, in the order of `ids`, without the ids themselves.
    static func projection(_ pool: PGPool, _ ids: [String]) async throws -> [String] {
        var out: [String] = []
        for id in ids {
            for r in try await pool.query("""
                SELECT last_sequence, topic_code, channel, status, received_at, taken_at, first_reaction_at, answered_at, closed_at, executor
                FROM workload_facts WHERE appeal_id = \(id)
                """).rows {
                out.append(["last_sequence", "topic_code", "channel", "status", "received_at", "taken_at", "first_reaction_at",
                            "answered_at", "closed_at", "executor"].map { "\($0)=\(r.string($0))" }.joined(separator: " "))
            }
            for r in try await pool.query("""
                SELECT deadline_kind, deadline, resolved_at, agency_id, topic_code FROM escalation_items WHERE appeal_id = \(id) ORDER BY deadline
                """).rows {
                out.append(["deadline_kind", "deadline", "resolved_at", "agency_id", "topic_code"].map { "\($0)=\(r.string($0))" }.joined(separator: " "))
            }
        }
        return out
    }

    @Test("An escalation pass reads an appeal's alerted levels through the appeal index, not the whole alert table")
    func alertedLevelsAreReadByIndex() async throws {
        try await Self.withAgency(smtpPort: nil) { _, pool, _ in
            try await pool.withConnection { conn in
                try conn.query("""
                    INSERT INTO escalation_alerts (key, appeal_id, role, due_at, recipients)
                    SELECT 'k-' || i, 'appeal-' || (i / 3), 'curator', now(), 1 FROM generate_series(1, 30000) i
                    """)
                try conn.unsafeExecute("ANALYZE escalation_alerts")
                let plan = try conn.query(SQL("EXPLAIN (FORMAT JSON) ") + EscalationTicker.alertedSQL(appealID: "appeal-77")).rows.first?.string("QUERY PLAN") ?? ""
                #expect(plan.contains("escalation_alerts_appeal_idx") && !plan.contains("Seq Scan"), "\(plan)")
                #expect(try conn.query(EscalationTicker.alertedSQL(appealID: "appeal-77")).rows.map { $0.string("key") }.sorted() == ["k-231", "k-232", "k-233"])
            }
        }
    }

    @Test("A batch of interleaved events in one transaction leaves exactly the workload facts and escalation items that applying them one by one leaves")
    func batchEqualsOneByOne() async throws {
        try await Self.withAgency(smtpPort: nil) { built, pool, env in
            let base = Date(timeIntervalSince1970: Double(Self.ms(Date())) / 1000)
            let single = (0..<3).map { _ in UUID().uuidString.lowercased() }, batched = (0..<3).map { _ in UUID().uuidString.lowercased() }
            for e in Self.interleavedHistory(single, base: base) { _ = try await Self.apply(built, e) }
            let notifier = built.notifications.notifier
            let events = Self.interleavedHistory(batched, base: base).map { ($0, $0.appeal!) }
            #expect(try await pool.transaction { conn in try notifier.apply(conn, events) })
            let one = try await Self.projection(pool, single), batch = try await Self.projection(pool, batched)
            // Facts and items per appeal: appeal 0 (facts, its item resolved by the answer), appeal 1 (facts only),
            // appeal 2 (facts, the item its extension resolved, the item of the moved deadline still open).
            #expect(one.count == 6)
            #expect(batch == one)
            #expect(one[2].contains("last_sequence=5") && one[2].contains("executor=executor-b"))   // the stale answer lost
            #expect(one[1].hasPrefix("deadline_kind=answer") && !one[1].contains("resolved_at= "))
            #expect(one[4].hasPrefix("deadline_kind=answer") && !one[4].contains("resolved_at= "))
            #expect(one[5].hasPrefix("deadline_kind=answer") && one[5].contains("resolved_at= "))
        }
    }

    @Test("An appeal's run of events folded into one workload row leaves what one-by-one upserts leave: a fresh run answered by its last event, a run older than the stored record, a run with an executor before its end")
    func foldedRunsEqualOneByOne() async throws {
        try await Self.withAgency(smtpPort: nil) { built, pool, env in
            let base = Date(timeIntervalSince1970: Double(Self.ms(Date())) / 1000)
            func at(_ h: Double) -> Date { base.addingTimeInterval(h * Self.hour - 10 * Self.day) }
            func history(_ ids: [String]) -> (stored: [AppealV1.AppealEvent], batch: [AppealV1.AppealEvent]) {
                func a(_ i: Int, _ status: AppealV1.Status) -> AppealV1.Appeal {
                    var x = Self.appeal(ids[i], status: status, answerDue: base.addingTimeInterval(20 * Self.day))
                    x.receivedAtMs = Self.ms(at(0))
                    return x
                }
                func answered(_ i: Int, by actor: String, at h: Double, seq: Int64) -> AppealV1.AppealEvent {
                    var e = Self.event(.answered, a(i, .answered), at: at(h), seq: seq)
                    e.actor = actor
                    return e
                }
                // Appeal 1 already has a newer record (answered by exec-new at seq 5) when its old run is redelivered.
                let stored = [answered(1, by: "exec-new", at: 9, seq: 5)]
                let batch = [
                    Self.event(.received, a(0, .received), at: at(0), seq: 1), Self.event(.registered, a(0, .registered), at: at(1), seq: 2),
                    Self.event(.assigned, a(0, .assigned), at: at(2), seq: 3), answered(0, by: "exec-z", at: 5, seq: 4),
                    Self.event(.registered, a(1, .registered), at: at(1), seq: 2), Self.event(.started, a(1, .inProgress), at: at(3), seq: 3),
                    answered(1, by: "exec-old", at: 4, seq: 4),
                    Self.event(.received, a(2, .received), at: at(0), seq: 1), answered(2, by: "exec-first", at: 2, seq: 2),
                    Self.event(.closed, a(2, .closed), at: at(6), seq: 3),
                ]
                return (stored, batch)
            }
            let single = (0..<3).map { _ in UUID().uuidString.lowercased() }, batched = (0..<3).map { _ in UUID().uuidString.lowercased() }
            let one = history(single), many = history(batched)
            for e in one.stored + one.batch { _ = try await Self.apply(built, e) }
            for e in many.stored { _ = try await Self.apply(built, e) }
            let notifier = built.notifications.notifier
            _ = try await pool.transaction { conn in try notifier.apply(conn, many.batch.map { ($0, $0.appeal!) }) }
            let expected = try await Self.projection(pool, single), got = try await Self.projection(pool, batched)
            #expect(got == expected)
            #expect(expected.first { $0.contains("last_sequence=4") }?.contains("executor=exec-z") == true)
            #expect(expected.contains { $0.contains("last_sequence=5") && $0.contains("executor=exec-new") })
            #expect(expected.contains { $0.contains("last_sequence=3") && $0.contains("executor=exec-first") })
            // The folding itself: one row for the fresh run, none for the run with an executor before its end.
            let rows = { (i: Int) in many.batch.filter { $0.appeal!.id == batched[i] }.map { ($0, $0.appeal!) } }
            #expect(WorkloadFacts.Row.folding(rows(0)) != nil && WorkloadFacts.Row.folding(rows(1)) != nil)
            #expect(WorkloadFacts.Row.folding(rows(2)) == nil)
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

    @Test("Escalation alerts due for one person at once reach them as one digest listing every appeal, sent once even by a restarted sender; fewer than the threshold go one by one")
    func bulkAlertsGoAsOneDigest() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        defer { sink.stop() }
        try await Self.withAgency(smtpPort: sink.port, workspaceURL: "https://cur.example.ru") { built, pool, env in
            let deadline = Date(timeIntervalSince1970: Double(Self.ms(Date().addingTimeInterval(-Self.hour))) / 1000)
            var numbers: [String] = []
            for i in 0..<14 {
                // Twelve for the housing agency's executor; two for the Kursk administration's: under the threshold of 5.
                let agency = i < 12 ? "kursk-zhkh" : KurskSeed.administrationID("38701000")
                let a = Self.appeal(UUID().uuidString.lowercased(), status: .inProgress, answerDue: deadline, agency: agency)
                if i < 12 { numbers.append(a.number) }
                #expect(try await Self.apply(built, Self.event(.deadlineMissed, a, at: deadline, comment: "answer deadline missed", seq: 5)))
            }
            #expect(try await built.notifications.ticker.tick(now: deadline.addingTimeInterval(Self.hour)) == 14)
            #expect(try await built.notifications.sender.sendBatch() == 14)

            let mail = try sink.messages()
            let zhkh = mail.filter { $0.to == "executor-zhkh@demo.veche.local" }
            let kursk = mail.filter { $0.to == "executor-kursk@demo.veche.local" }
            #expect(mail.count == 3)
            #expect(zhkh.count == 1)
            #expect(kursk.count == 2)
            #expect(kursk.allSatisfy { $0.subject.hasPrefix("Эскалация: нарушен срок ответа по обращению №") })
            let digest = try #require(zhkh.first)
            #expect(digest.subject == "Эскалация: 12 нарушений сроков")
            #expect(digest.messageID.contains("digest-"))
            // Bodies by name, not by code (before: "(орган kursk-zhkh)").
            for n in numbers {
                #expect(digest.body.contains("№ \(n) «Нет отопления в подъезде» (Министерство жилищно-коммунального хозяйства и ТЭК Курской области): срок ответа истёк"))
            }
            #expect(kursk.allSatisfy { !$0.body.contains("kursk-") && !$0.body.contains("блок: housing") })
            #expect(digest.body.contains("https://cur.example.ru/ws?queue=all"))

            // Every row is sent; the twelve carry the digest's Message-ID.
            let rows = try await pool.query("SELECT status, digest FROM notification_outbox WHERE kind = 'escalation'").rows
            #expect(rows.count == 14)
            #expect(rows.allSatisfy { $0.string("status") == "sent" })
            let digests = rows.map { $0.string("digest") }.filter { !$0.isEmpty }
            #expect(digests.count == 12)
            #expect(Set(digests).count == 1)
            #expect(digest.messageID.contains(digests[0]))

            // A restarted service sends nothing again.
            let restarted = try await AgencyServiceApp.build(env: env, notifications: Self.settings(smtpPort: sink.port))
            #expect(try await restarted.notifications.sender.sendBatch() == 0)
            #expect(try sink.messages().count == 3)
        }
    }

    @Test("A digest lists at most 200 alerts and counts the rest, its link comes before the list (a messenger cuts long texts), and its counted nouns agree with the number")
    func digestText() {
        let text = NotificationText(timeZone: TimeZone(identifier: "Europe/Moscow")!)
        let d = text.escalationDigest((1...31_154).map { "строка \($0)" }, workspaceURL: "https://cur.example.ru")
        #expect(d.subject == "Эскалация: 31154 нарушения сроков")
        #expect(d.body.contains("\n200. строка 200\n"))
        #expect(!d.body.contains("строка 201"))
        #expect(d.body.hasSuffix("… и ещё 30954.\n"))
        let link = d.body.range(of: "https://cur.example.ru/ws?queue=all"), firstLine = d.body.range(of: "1. строка 1\n")
        #expect(link != nil && firstLine != nil && link!.upperBound < firstLine!.lowerBound)
        #expect(!text.escalationDigest(["x", "y"], workspaceURL: "").body.contains("/ws?queue=all"))
        // One mailbox standing in for two levels of the same missed deadline: one line naming both, counted once.
        let both = text.escalationDigest(["№ 1 «Яма»: срок ответа истёк 01.12.2026 10:00; вы — исполнитель",
                                          "№ 2 «Свет»: срок ответа истёк 01.12.2026 11:00; вы — исполнитель",
                                          "№ 1 «Яма»: срок ответа истёк 01.12.2026 10:00; вы — руководитель органа"], workspaceURL: "")
        #expect(both.subject == "Эскалация: 2 нарушения сроков")
        #expect(both.body.contains("1. № 1 «Яма»: срок ответа истёк 01.12.2026 10:00; вы — исполнитель, руководитель органа\n2. № 2 «Свет»"))
        let forms = [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112, 121].map {
            RussianPlural.form($0, one: "нарушение", few: "нарушения", many: "нарушений")
        }
        #expect(forms == ["нарушение", "нарушения", "нарушения", "нарушений", "нарушений", "нарушений", "нарушений",
                          "нарушение", "нарушения", "нарушений", "нарушение", "нарушений", "нарушений", "нарушение"])
    }

    @Test("A citizen's letter names the last day of the term: a term ending at midnight is due at 00:00 of the next day, and the letter says 'до 31.03', not 'до 01.04'")
    func lettersNameTheTermsLastDay() throws {
        let moscow = try #require(TimeZone(identifier: "Europe/Moscow"))
        let text = NotificationText(timeZone: moscow)
        // 00:00 of 1 April 2027 in Moscow = 21:00 UTC on 31 March.
        let due = LocalClock.instant(try #require(CivilDate(year: 2027, month: 4, day: 1)), secondsOfDay: 0, in: moscow)
        var a = AppealV1.Appeal()
        a.number = "2027-000001"
        a.title = "Яма"
        a.deadlines = AppealV1.Deadlines(answerDueMs: Int64(due.timeIntervalSince1970 * 1000))
        let registered = text.citizenNotices(AppealV1.AppealEvent(eventId: "e1", type: .registered, appeal: a), agencyName: "")
        #expect(registered.first?.body.contains("ответ будет дан до 31.03.2027") == true)
        let extended = text.citizenNotices(AppealV1.AppealEvent(eventId: "e2", type: .extended, appeal: a), agencyName: "")
        #expect(extended.first?.body.contains("продлён до 31.03.2027") == true)
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
