import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AgencyService

/// Workload per sector block and notification preferences over the bus (real nats-server, PostgreSQL and
/// OIDC tokens): the figures come from the appeal events the service consumed.
@Suite("AgencyService workload, staffing and notification preferences (real servers)", .serialized)
struct WorkloadServiceTests {
    @Test("GetWorkload counts a block's intake by channel, backlog and time in work from the events; SetBlockStaff changes the recommendation")
    func workloadFromEvents() async throws {
        try await withAgency { cluster, env, built in
            let pool = try env.requirePool()
            // Three housing appeals received on the 10th of last month (2 portal, 1 e-mail); one answered 5 hours after it
            // was taken. A fixed day inside a past month keeps every figure in one period whatever the date today.
            let now = Date()
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let thisMonth = utc.dateComponents([.year, .month], from: now)
            let tenth = try #require(utc.date(from: DateComponents(year: thisMonth.year, month: thisMonth.month, day: 10, hour: 10)))
            let received = try #require(utc.date(byAdding: .month, value: -1, to: tenth))
            for (i, channel) in [AppealV1.Channel.portal, .portal, .email].enumerated() {
                var a = NotificationTests.appeal(UUID().uuidString.lowercased(), status: .registered, answerDue: now.addingTimeInterval(NotificationTests.day))
                a.channel = channel
                a.receivedAtMs = NotificationTests.ms(received)
                _ = try await NotificationTests.apply(built, NotificationTests.event(.registered, a, at: received, seq: 2))
                if i == 0 {
                    a.status = .inProgress
                    _ = try await NotificationTests.apply(built, NotificationTests.event(.started, a, at: received, seq: 3))
                    a.status = .answered
                    a.answeredAtMs = NotificationTests.ms(received.addingTimeInterval(5 * NotificationTests.hour))
                    var answer = NotificationTests.event(.answered, a, at: received.addingTimeInterval(5 * NotificationTests.hour), seq: 4)
                    answer.actor = "user:executor-zhkh"
                    _ = try await NotificationTests.apply(built, answer)
                }
            }
            // A fourth, received an hour ago: open now, but not at the end of last month's period.
            var recent = NotificationTests.appeal(UUID().uuidString.lowercased(), status: .registered, answerDue: now.addingTimeInterval(NotificationTests.day))
            recent.receivedAtMs = NotificationTests.ms(now.addingTimeInterval(-NotificationTests.hour))
            _ = try await NotificationTests.apply(built, NotificationTests.event(.registered, recent, at: now.addingTimeInterval(-NotificationTests.hour), seq: 2))
            #expect(try await pool.query("SELECT count(*) AS n FROM workload_facts").first?.int("n") == 4)

            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let head = try await cluster.agencies(as: .user("cur-head"))
                let w = try await head.getWorkload(.init(granularity: "month", fromMs: NotificationTests.ms(received) - 86_400_000,
                                                         toMs: NotificationTests.ms(received) + 86_400_000))
                let month = try #require(w.periods.filter { $0.topicCode == "housing" }.max { $0.periodStartMs < $1.periodStartMs })
                #expect(month.incoming == 3)
                #expect(Dictionary(uniqueKeysWithValues: month.incomingByChannel.map { ($0.key, $0.value) }) == ["portal": "2", "email": "1"])
                #expect(month.answered == 1)
                #expect(month.backlogAtEnd == 2)
                #expect(abs(month.medianHoursInWork - 5) < 0.01)
                #expect(month.activeExecutors == 1)
                let housing = try #require(w.staffing.first { $0.topicCode == "housing" })
                #expect(housing.recorded == 5)   // the demo seed
                #expect(housing.openBacklog == 2, "a past period's staffing is as of its end (before: as of today, 3)")
                #expect(w.staffing.count == 9)   // eight sector blocks and «Прочее»
                #expect(try await head.getWorkload(.init()).staffing.first { $0.topicCode == "housing" }?.openBacklog == 3, "as of now")

                // With nobody recorded, the block is short of exactly what the models need.
                _ = try await head.setBlockStaff(.init(topicCode: "housing", staff: 0))
                let after = try #require(try await head.getWorkload(.init()).staffing.first { $0.topicCode == "housing" })
                #expect(after.recorded == 0)
                #expect(after.needed >= 1)
                #expect(after.recommendation.hasPrefix("Блоку ЖКХ нужно +\(after.needed)"))
                await expectRPC(.invalidArgument, contains: "granularity") { _ = try await head.getWorkload(.init(granularity: "year")) }
                await expectRPC(.permissionDenied) {
                    _ = try await cluster.agencies(as: .user("operator")).setBlockStaff(.init(topicCode: "housing", staff: 9))
                }
            }
        }
    }

    @Test("GetWorkload answers are shared for a minute: a new record waits for the next answer, a change of block staff shows at once")
    func workloadAnswersAreSharedUntilTheRecordedInputsChange() async throws {
        try await withAgency { cluster, _, built in
            let received = Date().addingTimeInterval(-2 * NotificationTests.day)
            func register() async throws {
                var a = NotificationTests.appeal(UUID().uuidString.lowercased(), status: .registered, answerDue: Date().addingTimeInterval(NotificationTests.day))
                a.receivedAtMs = NotificationTests.ms(received)
                _ = try await NotificationTests.apply(built, NotificationTests.event(.registered, a, at: received, seq: 2))
            }
            try await register()
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let head = try await cluster.agencies(as: .user("cur-head"))
                func housing() async throws -> AgencyV1.BlockStaffing {
                    try #require(try await head.getWorkload(.init(granularity: "week")).staffing.first { $0.topicCode == "housing" })
                }
                let first = try await housing()
                #expect(first.openBacklog == 1 && first.recorded == 5)
                try await register()
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(200))
                    #expect(try await housing().openBacklog == 1, "the answer of a moment ago is shared, not computed again")
                }
                #expect(built.handlers.workloadAnswers.computations == 1, "one answer computed for four requests")
                _ = try await head.setBlockStaff(.init(topicCode: "housing", staff: 7))
                let changed = try await housing()
                #expect(changed.recorded == 7, "recorded staff is part of the answer's key")
                #expect(changed.openBacklog == 2, "a new answer reads the records again")
                #expect(built.handlers.workloadAnswers.computations == 2)
            }
        }
    }

    @Test("Each person sets their own notification preferences (validated); only the head of the ЦУР sets someone else's")
    func preferencesOverTheBus() async throws {
        try await withAgency { cluster, _, built in
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let executor = try await cluster.agencies(as: .user("executor-zhkh"))
                let seeded = try await executor.getNotificationPreferences(.init())
                #expect(seeded.preferences?.principal == "user:executor-zhkh")
                #expect(seeded.preferences?.email == "executor-zhkh@demo.veche.local")
                #expect(seeded.messengers == ["telegram"])

                let set = try await executor.setNotificationPreferences(.init(preferences: .init(
                    email: "ivanov@example.org", messenger: "telegram", messengerAddress: "@ivanov", mutedKinds: ["status_changed"])))
                #expect(set.preferences?.email == "ivanov@example.org")
                let mine = try await executor.getNotificationPreferences(.init()).preferences
                #expect(mine?.messenger == "telegram")
                #expect(mine?.mutedKinds == ["status_changed"])

                await expectRPC(.invalidArgument, contains: "messenger") {
                    _ = try await executor.setNotificationPreferences(.init(preferences: .init(messenger: "pigeon")))
                }
                await expectRPC(.invalidArgument, contains: "e-mail") {
                    _ = try await executor.setNotificationPreferences(.init(preferences: .init(email: "a@b\r\nBcc: x@y.z")))
                }
                await expectRPC(.permissionDenied) {
                    _ = try await executor.setNotificationPreferences(.init(preferences: .init(principal: "user:kurator", email: "x@example.org")))
                }
                let head = try await cluster.agencies(as: .user("cur-head"))
                _ = try await head.setNotificationPreferences(.init(preferences: .init(principal: "user:kurator", email: "kurator@example.org")))
                #expect(try await head.getNotificationPreferences(.init(principal: "user:kurator")).preferences?.email == "kurator@example.org")

                // Escalation chains: the default is listed; a block's own chain is validated and stored.
                #expect(try await head.listEscalationChains(.init()).chains.first?.levels.map(\.role)
                        == ["executor", "agencyHead", "blockLead", "curHead", "curator"])
                await expectRPC(.invalidArgument, contains: "delays") {
                    _ = try await head.setEscalationChain(.init(chain: .init(topicCode: "roads", levels: [
                        .init(role: "executor", delaySeconds: 3600), .init(role: "curator", delaySeconds: 60)])))
                }
                _ = try await head.setEscalationChain(.init(chain: .init(topicCode: "roads", levels: [.init(role: "executor"), .init(role: "blockLead", delaySeconds: 7200)])))
                #expect(try await head.listEscalationChains(.init()).chains.map(\.topicCode) == ["", "roads"])
            }
        }
    }
}

/// AgencyService built on a fresh test cluster (no SMTP relay), with its environment for direct database access.
private func withAgency(_ label: String = #function,
                        _ body: (TestCluster, ServiceEnvironment, AgencyServiceApp.Built) async throws -> Void) async throws {
    try await withCluster(label) { cluster in
        let env = try await cluster.environment("agency", schema: AgencySchema.name)
        defer { env.close() }
        try await body(cluster, env, try await AgencyServiceApp.build(env: env, notifications: NotificationTests.settings(smtpPort: nil)))
    }
}
