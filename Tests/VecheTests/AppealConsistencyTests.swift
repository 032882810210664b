import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import Gateway
@testable import RatingService

/// AppealService under retries and concurrency (real nats-server + PostgreSQL).
@Suite("AppealService: idempotent retries, row-locked sequences, ordered relay", .serialized)
struct AppealConsistencyTests {
    static func incoming(_ ext: String, channel: AppealV1.Channel = .pos, receivedAt: Date? = nil) -> AppealV1.IncomingAppeal {
        var a = AppealServiceTests.incoming(ext, channel: channel)
        if let receivedAt { a.receivedAtMs = Int64(receivedAt.timeIntervalSince1970 * 1000) }
        return a
    }

    static func keyed(_ key: String) -> CallOptions { CallOptions(metadata: [RPCHeader.idempotencyKey: key]) }

    /// The import client: may file on any channel and take every lifecycle step (the tests are about
    /// concurrency, not about who may do what); reads go through the operator.
    static let importer = TestPrincipal.client("veche-import")
    /// The import client as the handlers see it, for calls made without the bus.
    static let importPrincipal = Principal(kind: .client, name: "veche-import", grants: [Grant(role: .importer)])

    /// An appeal that names no municipality (nothing for the directory to confirm when AgencyService is not running).
    static func unplaced(_ ext: String, receivedAt: Date? = nil) -> AppealV1.IncomingAppeal {
        var a = incoming(ext, receivedAt: receivedAt)
        a.municipalityOktmo = ""
        a.address = ""
        return a
    }

    @Test func aTransitionRetriedWithItsKeyIsAppliedOnceAndAnswersTheSame() async throws {
        try await withAppealService { cluster, _, _, reader in
            let client = try await cluster.appeals(as: Self.importer)
            let a = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("idem-1"))).appeal)
            let request = AppealV1.TransitionRequest(id: a.id, action: .assign, agencyId: "kursk-zhkh")
            let first = try await client.transition(request, options: Self.keyed("assign-1"))
            let retry = try await client.transition(request, options: Self.keyed("assign-1"))
            #expect(first == retry)
            let history = try await reader.getAppeal(.init(id: a.id)).history
            // Routing at intake assigned it once already (actor system:routing); the keyed assignment is the import's.
            #expect(history.filter { $0.type == .assigned && $0.actor == "client:veche-import" }.count == 1,
                    "a retried assignment must not be applied twice")
            // The same key for another change is refused.
            do {
                _ = try await client.transition(.init(id: a.id, action: .start), options: Self.keyed("assign-1"))
                Issue.record("a reused key must be refused")
            } catch let e as RPCError {
                #expect(e.code == .unprocessable)
            }
            // A deterministic refusal is the first outcome too: replayed, even after the state changed.
            let close = AppealV1.TransitionRequest(id: a.id, action: .close)
            await #expect(throws: RPCError.self) { _ = try await client.transition(close, options: Self.keyed("close-early")) }
            _ = try await client.answerAppeal(.init(id: a.id, answerText: "Сделано"))
            do {
                _ = try await client.transition(close, options: Self.keyed("close-early"))
                Issue.record("the stored refusal must be replayed")
            } catch let e as RPCError {
                #expect(e.code == .failedPrecondition)
            }
        }
    }

    @Test func concurrentMixedTransitionsNeverSeeASpuriousEffectiveTimeErrorAndSequencesStayContiguous() async throws {
        try await withAppealService { cluster, _, _, reader in
            let client = try await cluster.appeals(as: Self.importer)
            var ids: [String] = []
            for i in 0..<5 {
                let a = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("mix-\(i)"))).appeal)
                _ = try await client.transition(.init(id: a.id, action: .assign, agencyId: "kursk-zhkh"))
                ids.append(a.id)
            }
            let spurious = Shared<[String]>([])
            let other = Shared<[String]>([])
            let applied = Shared(0)
            let patient = CallOptions(timeout: .seconds(30))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<300 {
                    let id = ids[i % ids.count]
                    group.addTask {
                        do {
                            switch i % 6 {
                            case 0: _ = try await client.answerAppeal(.init(id: id, answerText: "Ответ \(i)"), options: patient)
                            case 1: _ = try await client.transition(.init(id: id, action: .reopen), options: patient)
                            case 2: _ = try await client.transition(.init(id: id, action: .start), options: patient)
                            case 3: _ = try await client.transition(.init(id: id, action: .assign, agencyId: i % 4 == 1 ? "kursk-zhkh" : "rpn-kursk"),
                                                                    options: patient)
                            case 4: _ = try await client.rateAppeal(.init(id: id, satisfaction: 4), options: patient)
                            default: _ = try await client.transition(.init(id: id, action: .close), options: patient)
                            }
                            applied.update { $0 += 1 }
                        } catch let e as RPCError where e.message.contains("earlier than the appeal's last change") {
                            spurious.update { $0.append(e.message) }
                        } catch let e as RPCError where [.failedPrecondition, .unavailable, .resourceExhausted].contains(e.code) {
                            // Not allowed in the status another call just produced, or shed under load: legitimate.
                        } catch {
                            other.update { $0.append("\(error)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(spurious.value.isEmpty, "no header was sent: no effective-time error is possible")
            #expect(other.value.isEmpty, "\(other.value.prefix(3))")
            #expect(applied.value >= 50)
            for id in ids {
                let history = try await reader.getAppeal(.init(id: id)).history
                #expect(history.map(\.sequence) == Array(1...Int64(history.count)))
                let times = history.map(\.occurredAtMs)
                #expect(times == times.sorted(), "event times follow the sequence")
            }
        }
    }

    @Test func theDeadlineWatcherWaitsForTheAppealRowLockAndTakesTheNextSequence() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let built = try await AppealServiceApp.build(env: env, autoRegister: false)
            let pool = try env.requirePool()
            // Received ten days ago and never registered: its registration deadline has passed.
            let a = try #require(try await built.handlers.submit(Self.unplaced("late-1", receivedAt: Date().addingTimeInterval(-10 * 86_400)),
                                                                 by: Self.importPrincipal).appeal)
            // An operator's transition holds the row lock while the watcher runs (the watcher starts once the lock is
            // held: on a loaded machine 100 ms were once not enough for the operator to get there first).
            let holding = LockHeld()
            let operatorTx = Task {
                try await pool.transaction { conn in
                    let locked = try #require(try AppealStore.lock(conn, idOrNumber: a.id))
                    holding.flag.store(true, ordering: .releasing)
                    _ = try AppealStore.appendEvent(conn, appeal: locked.appeal, type: .started, from: locked.appeal.status,
                                                    actor: "operator", comment: "", at: Date())
                    try conn.query("SELECT pg_sleep(0.5)")
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while !holding.flag.load(ordering: .acquiring), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let held = holding.flag.load(ordering: .acquiring)
            #expect(held, "the operator holds the row lock")
            let alerts = try await built.watcher.tick()
            try await operatorTx.value
            #expect(alerts >= 1)
            let events = try await pool.query("SELECT seq, type FROM appeal.appeal_events WHERE appeal_id = \(a.id)::uuid ORDER BY seq").rows
            #expect(events.map { $0.int("seq") } == Array(1...Int64(events.count)))
            #expect(events.map { $0.string("type") }.suffix(2) == ["started", "deadline_missed"])
            #expect(try await built.watcher.tick() == 0, "each miss is alerted once")
        }
    }

    /// Set by the operator's transaction once it holds the appeal's row lock.
    final class LockHeld: Sendable {
        let flag = Atomic<Bool>(false)
    }

    /// Wraps JetStream and fails the first publish of chosen events (a lost ack), to check the retry order.
    final class FlakyPublisher: EventPublishing, @unchecked Sendable {
        let inner: JetStreamEventPublisher
        let failOnce: Mutex<Set<String>>
        init(_ js: JetStream, failOnce: Set<String>) {
            inner = JetStreamEventPublisher(jetStream: js)
            self.failOnce = Mutex(failOnce)
        }

        func publish(_ messages: [NatsMessage]) async -> [Result<JetStream.PublishAck, any Error>] {
            let failing = failOnce.withLock { set in messages.map { set.remove($0.headers["Nats-Msg-Id"] ?? "") != nil } }
            let passing = zip(messages, failing).filter { !$0.1 }.map(\.0)
            var acks = await inner.publish(passing).makeIterator()
            return failing.map { $0 ? .failure(RPCError.unavailable("injected: no ack")) : (acks.next() ?? .failure(RPCError.internalError("missing"))) }
        }
    }

    /// AgencyService running (the directory confirms the agency) and AppealService built but not run, so its relay
    /// does not publish: `body` drives a relay of its own and reads the stream as `reader`.
    func withUnrelayedAppealService(_ body: @escaping @Sendable (TestCluster, AppealServiceApp.Built, ServiceEnvironment, ServiceEnvironment) async throws -> Void) async throws {
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            let reader = try await cluster.environment("rating", schema: nil)
            defer { agencyEnv.close(); env.close(); reader.close() }
            let agency = try await AgencyServiceApp.build(env: agencyEnv)
            try await withServices(agency.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                try await body(cluster, try await AppealServiceApp.build(env: env), env, reader)
            }
        }
    }

    /// Appeal numbers past 999,999 are written out in full: padded with `lpad(…, 6)` the millionth appeal was numbered
    /// like the 100,000th, its insert broke the unique number, and intake redelivered it for ever.
    @Test func appealNumbersPastAMillionAreWrittenOutAndStayUnique() async throws {
        try await withUnrelayedAppealService { _, built, env, _ in
            let pool = try env.requirePool()
            _ = try await pool.query("SELECT setval('appeal.appeal_number_seq', 99999)")
            let hundredThousandth = try #require(try await built.handlers.submit(Self.incoming("number-100000"), by: Self.importPrincipal).appeal)
            #expect(hundredThousandth.number.hasSuffix("-100000"))
            _ = try await pool.query("SELECT setval('appeal.appeal_number_seq', 999998)")
            var numbers: [String] = []
            for i in 0..<3 {
                numbers.append(try #require(try await built.handlers.submit(Self.incoming("number-\(i)"), by: Self.importPrincipal).appeal).number)
            }
            let year = String(hundredThousandth.number.prefix(5))
            #expect(numbers == [year + "999999", year + "1000000", year + "1000001"])
        }
    }

    @Test func aFailedPublishIsRetriedWithoutBeingOvertakenByTheAppealsLaterEvents() async throws {
        try await withUnrelayedAppealService { cluster, built, env, reader in
            let pool = try env.requirePool()
            // Events written without the relay running: received, registered, assigned, started, answered.
            let a = try #require(try await built.handlers.submit(Self.incoming("relay-1"), by: Self.importPrincipal).appeal)
            var ctx = RPCContext(subject: "test", logger: cluster.logger)
            ctx.principal = Self.importPrincipal
            _ = try await built.handlers.transition(request: .init(id: a.id, action: .assign, agencyId: "kursk-zhkh"), context: ctx)
            _ = try await built.handlers.transition(request: .init(id: a.id, action: .start), context: ctx)
            _ = try await built.handlers.answerAppeal(request: .init(id: a.id, answerText: "Готово"), context: ctx)
            let ids = try await pool.query("SELECT id::text AS id FROM appeal.appeal_events WHERE appeal_id = \(a.id)::uuid ORDER BY seq")
                .rows.map { $0.string("id") }
            #expect(ids.count >= 4)
            let relay = EventRelay(pool: pool, publisher: FlakyPublisher(env.jetStream, failOnce: [ids[1]]), logger: cluster.logger)
            var rounds = 0
            while try await pool.query("SELECT count(*) AS n FROM appeal.appeal_outbox").first?.int("n") ?? 0 > 0 {
                _ = try? await relay.publishBatch()
                rounds += 1
                #expect(rounds < 10)
            }
            let seen = try await readAppealEvents(reader, cluster: cluster, count: ids.count)
            #expect(seen.map(\.eventId) == ids, "stream order must be the commit order despite the failed publish")
        }
    }

    /// The relay admits a few appeals per wave, so each appeal's events are published in sequence order and close
    /// together in the stream (a projection's batch then holds all of them); admitting every appeal of the batch
    /// in the first wave spreads them over the whole batch, and the span check fails.
    @Test func eachAppealsEventsArePublishedInOrderAndCloseTogether() async throws {
        try await withUnrelayedAppealService { cluster, built, env, reader in
            let pool = try env.requirePool()
            for i in 0..<60 { _ = try await built.handlers.submit(Self.incoming("spread-\(i)"), by: Self.importPrincipal) }
            let pending = Int(try await pool.query("SELECT count(*) AS n FROM appeal.appeal_outbox").first?.int("n") ?? 0)
            #expect(pending >= 120)
            let admitted = 4
            let relay = EventRelay(pool: pool, publisher: JetStreamEventPublisher(jetStream: env.jetStream), logger: cluster.logger,
                                   admittedPerWave: admitted)
            #expect(try await relay.publishBatch() == pending)
            let seen = try await readAppealEvents(reader, cluster: cluster, count: pending)
            var positions: [String: [(seq: Int64, at: Int)]] = [:]
            for (i, e) in seen.enumerated() { positions[e.appeal?.id ?? "", default: []].append((e.sequence, i)) }
            #expect(positions.count == 60)
            // With runs of at most k events a wave holds at most k × `admitted` events, and a run spans k waves.
            let k = positions.values.map(\.count).max() ?? 0
            #expect(k >= 2)
            for (appeal, events) in positions {
                #expect(events.map(\.seq) == events.map(\.seq).sorted(), "\(appeal): out of sequence order")
                let span = (events.map(\.at).max() ?? 0) - (events.map(\.at).min() ?? 0)
                #expect(span < k * k * admitted, "\(appeal): events \(span) positions apart")
            }
        }
    }

    @Test func theOutboxUpgradeKeepsEveryUnpublishedEventPendingInOrderAndEveryPublishedOneDone() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let pool = try env.requirePool()
            _ = try await Migrator.migrate(pool: pool, schema: AppealSchema.name, migrations: AppealSchema.migrations.filter { $0.version < 14 })
            // Before the upgrade: two appeals' events, the first of each published, the rest pending (inserted out of order).
            let a = UUID().uuidString.lowercased(), b = UUID().uuidString.lowercased()
            var pending: [String] = []
            for (appeal, seqs) in [(b, [3, 1, 2]), (a, [2, 1])] {
                try await pool.query("""
                    INSERT INTO appeals (id, number, channel, external_id, status, body, received_at)
                    VALUES (\(appeal)::uuid, \(appeal), 'portal', \(appeal), 'registered', 'Текст', now())
                    """)
                for seq in seqs {
                    let id = UUID().uuidString.lowercased()
                    try await pool.query("""
                        INSERT INTO appeal_events (id, appeal_id, seq, type, occurred_at, actor, to_status, payload, published_at)
                        VALUES (\(id)::uuid, \(appeal)::uuid, \(seq), 'registered', now(), 'test', 'registered', ''::bytea,
                                \(seq == 1 ? Date() : nil)::timestamptz)
                        """)
                    if seq > 1 { pending.append("\(appeal)/\(seq)") }
                }
            }
            _ = try await Migrator.migrate(pool: pool, schema: AppealSchema.name, migrations: AppealSchema.migrations)
            let rows = try await pool.query(EventOutbox.pending(limit: 100)).rows.map { "\($0.string("appeal"))/\($0.int("seq"))" }
            #expect(rows == pending.sorted(), "pending events, each appeal's in sequence order, nothing published")
            // After the upgrade every inserted event is pending at once, after the older ones.
            try await pool.query("""
                INSERT INTO appeal_events (id, appeal_id, seq, type, occurred_at, actor, to_status, payload)
                VALUES (\(UUID().uuidString.lowercased())::uuid, \(a)::uuid, 3, 'assigned', now(), 'test', 'assigned', ''::bytea)
                """)
            let after = try await pool.query(EventOutbox.pending(limit: 100)).rows.map { "\($0.string("appeal"))/\($0.int("seq"))" }
            #expect(after.last == "\(a)/3" && after.count == pending.count + 1)
        }
    }

    @Test func twoInstancesPublishEveryAppealsEventsInOrderAndRatingSeesNoStaleOrMissingEvents() async throws {
        try await withCluster { cluster in
            // AgencyService, one AppealService instance and RatingService, plus a second AppealService instance.
            let platform = try await TestPlatform.start(cluster, appeal: true, rating: true)
            let env2 = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { platform.close(); env2.close() }
            let two = try await AppealServiceApp.build(env: env2)
            try await withServices(platform.services + two.services, logger: cluster.logger) {
                await platform.ready()
                await two.host.waitUntilReady()
                let env1 = try #require(platform.envs["appeal"]), envR = try #require(platform.envs["rating"])
                let client = try await cluster.appeals(as: Self.importer)
                var ids: [String] = []
                for i in 0..<12 {
                    ids.append(try #require(try await client.submitAppeal(.init(appeal: Self.incoming("two-\(i)"))).appeal).id)
                }
                // Many changes per appeal, concurrently, spread over both instances by the queue group.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for id in ids {
                        group.addTask {
                            for round in 0..<6 {
                                _ = try await client.transition(.init(id: id, action: .assign, agencyId: round % 2 == 0 ? "kursk-zhkh" : "rpn-kursk"))
                            }
                            _ = try await client.answerAppeal(.init(id: id, answerText: "Ответ"))
                            _ = try await client.rateAppeal(.init(id: id, satisfaction: 5))
                        }
                    }
                    try await group.waitForAll()
                }
                let total = try #require(try await env1.requirePool().query("SELECT count(*) AS n FROM appeal.appeal_events").first?.int("n"))
                let seen = try await readAppealEvents(envR, cluster: cluster, count: Int(total))
                var last: [String: Int64] = [:]
                for e in seen {
                    let id = e.appeal?.id ?? ""
                    #expect(e.sequence == (last[id] ?? 0) + 1, "appeal \(id): event \(e.sequence) after \(last[id] ?? 0)")
                    last[id] = e.sequence
                }
                #expect(seen.count == Int(total))
                let progress = try await cluster.ratings(as: .user("kurator"))
                #expect(try await eventually(timeout: .seconds(60)) {
                    try await progress.getProgress(.init()).eventsApplied == total
                })
                let p = try await progress.getProgress(.init())
                #expect(p.staleSkipped == 0)
                #expect(p.gapsDetected == 0, "no event arrived before an earlier one of its appeal")
                #expect(p.deferredEvents == 0)
            }
        }
    }

    @Test func theGatewayForwardsIdempotencyKeysOfMutatingRoutes() async throws {
        try await withPlatform { platform in
            let client = try await platform.cluster.appeals(as: Self.importer)
            let a = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("http-1"))).appeal)
            let auth = try await bearer(operatorUser)
            try await platform.gateway().test(.router) { http in
                func post(_ body: String, key: String) async throws -> (HTTPResponse.Status, String) {
                    var headers = auth
                    headers[HTTPField.Name("Idempotency-Key")!] = key
                    let r = try await http.execute(uri: "/api/v1/appeals/\(a.id)/transitions", method: .post, headers: headers,
                                                   body: ByteBuffer(string: body))
                    return (r.status, String(buffer: r.body))
                }
                let first = try await post(#"{"action":"forward","agencyId":"rpn-kursk"}"#, key: "web-1")
                let retry = try await post(#"{"action":"forward","agencyId":"rpn-kursk"}"#, key: "web-1")
                #expect(first.0 == .ok)
                #expect(retry == first)
                let reused = try await post(#"{"action":"start"}"#, key: "web-1")
                #expect(reused.0 == .unprocessableContent)
                #expect(reused.1.contains("Idempotency-Key"))
            }
            let history = try await platform.cluster.appeals(as: operatorUser).getAppeal(.init(id: a.id)).history
            #expect(history.filter { $0.type == .forwarded }.count == 1)
        }
    }
}

/// Reads `count` appeal events from the start of the stream, in stream order.
func readAppealEvents(_ env: ServiceEnvironment, cluster: TestCluster, count: Int) async throws -> [AppealV1.AppealEvent] {
    let seen = EventsSeen()
    let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.AppealEvents.stream, durable: "reader-" + NUID.next(length: 8),
                                     filterSubject: Subjects.AppealEvents.wildcard, logger: cluster.logger) { msg in
        if let e = try? AppealV1.AppealEvent(serializedBytes: msg.message.payload) { seen.add(e, subject: msg.message.subject) }
        return .ack
    }
    _ = try await withServices([consumer], logger: cluster.logger) {
        try await eventually(timeout: .seconds(60)) { seen.count >= count }
    }
    return seen.all
}
