import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import AppealService

/// The whole path of a citizen's notice with every component under its own least-privilege identity:
/// AppealService's events on JetStream → AgencyService's notification consumer → outbox → aiosmtpd.
@Suite("Notifications end to end (real nats-server, PostgreSQL, glewlwyd, aiosmtpd)", .serialized)
struct NotificationFlowTests {
    @Test("A citizen who gave an e-mail is mailed about their appeal once per event; AgencyService's bus user may consume the appeal events")
    func citizenIsMailedFromTheEventStream() async throws {
        let sink = try SMTPSink()
        try await sink.start()
        defer { sink.stop() }
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let appealEnv = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer {
                agencyEnv.close()
                appealEnv.close()
            }
            let agency = try await AgencyServiceApp.build(env: agencyEnv, notifications: NotificationSettings(environment: ["VECHE_SMTP_PORT": "\(sink.port)"]))
            let appeal = try await AppealServiceApp.build(env: appealEnv)
            try await withServices(agency.services + appeal.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                await appeal.host.waitUntilReady()
                let incoming = AppealV1.IncomingAppeal(channel: .pos, externalId: "notify-1",
                                                       author: CommonV1.Person(fullName: "Сидорова Мария", email: "maria@example.org"),
                                                       text: "Во дворе не вывозят мусор уже неделю, контейнеры переполнены", municipalityOktmo: "38701000")
                let submitted = try #require(try await cluster.appeals(as: .client("veche-integration-pos")).submitAppeal(.init(appeal: incoming)).appeal)
                let pool = try agencyEnv.requirePool()
                let events = try await appealEnv.requirePool().query("SELECT count(*) AS n FROM appeal_events WHERE appeal_id = \(submitted.id)::uuid").first?.int("n") ?? 0
                // Every event of the appeal reached the consumer (workload facts), and each notice went out once.
                #expect(try await eventually(timeout: .seconds(30)) {
                    try await pool.query("SELECT last_sequence FROM workload_facts WHERE appeal_id = \(submitted.id)").first?.int("last_sequence") ?? 0 >= events
                })
                #expect(try await eventually(timeout: .seconds(30)) {
                    let pending = try await pool.query("SELECT count(*) AS n FROM notification_outbox WHERE status <> 'sent'").first?.int("n")
                    let queued = try await pool.query("SELECT count(*) AS n FROM notification_outbox").first?.int("n") ?? 0
                    let delivered = try sink.messages().count
                    return pending == 0 && queued > 0 && delivered == Int(queued)
                })
                let mail = try sink.messages()
                #expect(mail.allSatisfy { $0.to == "maria@example.org" && $0.subject.hasPrefix("Обращение ") })
                #expect(Set(mail.map(\.messageID)).count == mail.count)
                #expect(mail.contains { $0.subject.hasSuffix("получено") })
            }
        }
    }
}
