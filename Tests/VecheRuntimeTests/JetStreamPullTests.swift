import CNATS
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VecheTestSupport
@testable import VecheRuntime

/// The hand-made pull of JetStream consumers (`JetStreamPull`, replacing cnats 3.4.1's `natsSubscription_Fetch`,
/// which wrote past its message array when more than half a batch was already queued and so corrupted the heap
/// of every consumer service under a backlog).
@Suite("JetStream pull: queued answers of an earlier request, batches, acks")
struct JetStreamPullTests {
    static let stream = "PULLTEST"

    /// A stream on the test bus holding `count` messages `pulltest.<n>` (payload n).
    static func fill(_ cluster: TestCluster, messages count: Int) async throws -> (NatsConnection, JetStream) {
        let nats = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
        let js = try JetStream(connection: nats)
        try await js.ensureStream(.init(name: stream, subjects: ["pulltest.>"]))
        for n in 1...count {
            try await js.publish(subject: "pulltest.\(n)", payload: Array("\(n)".utf8))
        }
        return (nats, js)
    }

    /// The exact situation that overflowed cnats' array: 12 answers of an earlier request already queued when a
    /// batch of 16 is asked for (more than half of it). Every batch stays within 16 and each of the 40 messages
    /// comes once, with its stream sequence read from the reply subject.
    @Test func moreThanHalfABatchQueuedFromAnEarlierRequestIsHandedOutWithoutOverrunningTheBatch() async throws {
        try await withCluster { cluster in
        let (nats, js) = try await Self.fill(cluster, messages: 40)
        defer { nats.close() }
        try await JetStreamConsumer.ensureDurable(jetStream: js, stream: Self.stream, durable: "pull-a", filterSubject: "pulltest.>")
        let pull = try JetStreamPull(connection: nats, stream: Self.stream, durable: "pull-a")
        defer { pull.close() }
        // An earlier request (as a fetch that gave up would leave one) answered into the inbox: 12 queued.
        try nats.publish(NatsMessage(subject: pull.nextSubject, reply: pull.inbox, payload: Array("{\"batch\":12,\"expires\":5000000000}".utf8)))
        try await nats.flush()
        #expect(try await eventually(timeout: .seconds(60)) { pull.queuedCount >= 12 })
        #expect(pull.queuedCount == 12)

        var sizes: [Int] = []
        var sequences: [UInt64] = []
        let deadline = ContinuousClock.now + .seconds(60)   // a fetch may come back empty on a loaded machine
        while sequences.count < 40, ContinuousClock.now < deadline {
            let (messages, ended) = try pull.fetch(batch: 16, wait: .milliseconds(300))
            #expect(ended == .empty)
            sizes.append(messages.count)
            for msg in messages {
                let delivery = JetStreamPull.delivery(of: msg)
                #expect(delivery?.stream == Self.stream)
                #expect(delivery?.deliveries == 1)
                sequences.append(delivery?.streamSequence ?? 0)
                pull.ack(msg)
                natsMsg_Destroy(msg)
            }
        }
        #expect(sizes.first == 12)   // the queued answers first, without a new request
        #expect(sizes.allSatisfy { $0 <= 16 })
        #expect(sequences.sorted() == Array(1...40).map(UInt64.init))
        }
    }

    /// Acks, delayed naks and terms reach the server: a retried message comes again (second delivery), a
    /// terminated one never, every other one exactly once; an empty stream just yields empty fetches.
    @Test func consumerAcksRetriesAndTerminatesThroughTheHandMadePull() async throws {
        try await withCluster { cluster in
        let (nats, js) = try await Self.fill(cluster, messages: 100)
        defer { nats.close() }
        let seen = Mutex<[(UInt64, UInt64)]>([])
        let consumer = JetStreamConsumer(jetStream: js, stream: Self.stream, durable: "pull-b", filterSubject: "pulltest.>",
                                         batch: 8, logger: cluster.logger) { item in
            seen.withLock { $0.append((item.streamSequence, item.deliveries)) }
            #expect(item.stream == Self.stream)
            #expect(item.message.payload == Array("\(item.streamSequence)".utf8))
            if item.streamSequence == 5 && item.deliveries == 1 { return .retry(after: .milliseconds(200)) }
            if item.streamSequence == 7 { return .terminate }
            return .ack
        }
        let group = ServiceGroup(services: [consumer], logger: cluster.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await eventually(timeout: .seconds(60)) { seen.withLock { $0.count } >= 101 })
            // Time for a wrong redelivery of 7 (or of anything acked) to show up.
            try await Task.sleep(for: .milliseconds(800))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let all = seen.withLock { $0 }
        #expect(all.filter { $0.0 == 5 }.map(\.1) == [1, 2])
        #expect(all.filter { $0.0 == 7 }.count == 1)
        #expect(all.filter { $0.0 != 5 }.map(\.0).sorted() == (1...100).filter { $0 != 5 }.map(UInt64.init))
        }
    }

    /// Two pullers on one durable keep two batches in flight: while one batch is held in its handler the other
    /// puller fetches and handles more, and every message is handled exactly once.
    @Test func twoPullersOverlapBatchesAndHandleEveryMessageOnce() async throws {
        try await withCluster { cluster in
        let (nats, js) = try await Self.fill(cluster, messages: 120)
        defer { nats.close() }
        let seen = Mutex<[UInt64]>([])
        let inHandler = Atomic<Int>(0), overlapped = Atomic<Bool>(false)
        let consumer = JetStreamConsumer(jetStream: js, stream: Self.stream, durable: "pull-two", filterSubject: "pulltest.>",
                                         batch: 10, pullers: 2, logger: cluster.logger) { items in
            if inHandler.add(1, ordering: .relaxed).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
            // Held until the other puller's batch is in a handler too (at most 10 s: pullers that never overlap
            // fail the test below instead of hanging it).
            let holdUntil = ContinuousClock.now + .seconds(10)
            while !overlapped.load(ordering: .relaxed), ContinuousClock.now < holdUntil, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            seen.withLock { $0.append(contentsOf: items.map(\.streamSequence)) }
            inHandler.subtract(1, ordering: .relaxed)
            return items.map { _ in .ack }
        }
        let group = ServiceGroup(services: [consumer], logger: cluster.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await eventually(timeout: .seconds(60)) { seen.withLock { $0.count } >= 120 })
            try await Task.sleep(for: .milliseconds(300))   // time for a wrong redelivery to show up
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(seen.withLock { $0 }.sorted() == (1...120).map(UInt64.init))
        let didOverlap = overlapped.load(ordering: .relaxed)
        #expect(didOverlap, "the two pullers never had batches in flight at the same time")
        }
    }

    /// Services (users that answer requests) acknowledge JetStream messages as responses — no explicit `$JS.ACK`
    /// publish permission, which made nats-server 2.9 rescan every remembered reply subject at each delivery — and
    /// those acks are accepted under the real permissions: nothing stays pending or is redelivered.
    @Test func servicesAcknowledgeAsResponsesUnderTheirRealPermissions() async throws {
        let users = BusPermissions.users(integrations: TestCluster.integrations, teams: TestCluster.teams)
        for user in users where user.allowResponses {
            #expect(!user.publish.contains { $0.hasPrefix("$JS.ACK.") }, "\(user.name)")
        }
        #expect(users.first { $0.name == BusPermissions.messengerBridge }?.publish.contains { $0.hasPrefix("$JS.ACK.") } == true)

        try await withCluster { cluster in
            let (admin, adminJS) = try await cluster.jetStream(as: TestCluster.unrestrictedUser.name)
            defer { admin.close() }
            try await adminJS.ensureStream(Streams.surveyBatches)
            let (team, teamJS) = try await cluster.jetStream(as: BusPermissions.surveyTeam("team-1"))
            defer { team.close() }
            for n in 1...30 {
                try await teamJS.publish(subject: Subjects.SurveyBatches.subject(team: "team-1"), payload: Array("\(n)".utf8))
            }
            let (service, serviceJS) = try await cluster.jetStream(as: BusPermissions.surveyService)
            defer { service.close() }
            let handled = Atomic<Int>(0)
            let consumer = JetStreamConsumer(jetStream: serviceJS, stream: Subjects.SurveyBatches.stream, durable: Subjects.SurveyBatches.durable,
                                             filterSubject: Subjects.SurveyBatches.wildcard, batch: 8, logger: cluster.logger) { _ in
                handled.add(1, ordering: .relaxed)
                return .ack
            }
            let group = ServiceGroup(services: [consumer], logger: cluster.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await eventually(timeout: .seconds(60)) { handled.load(ordering: .relaxed) >= 30 })
                try await service.flush()
                try await Task.sleep(for: .milliseconds(300))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(handled.load(ordering: .relaxed) == 30)
            let (ackPending, redelivered) = try await admin.blocking.run { () throws -> (Int64, Int64) in
                var info: UnsafeMutablePointer<jsConsumerInfo>?
                var err = jsErrCode(0)
                let s = js_GetConsumerInfo(&info, adminJS.js, Subjects.SurveyBatches.stream, Subjects.SurveyBatches.durable, nil, &err)
                guard s == NATS_OK, let info else { throw NatsError(status: s, context: "consumer info") }
                defer { jsConsumerInfo_Destroy(info) }
                return (info.pointee.NumAckPending, info.pointee.NumRedelivered)
            }
            #expect(ackPending == 0)
            #expect(redelivered == 0)
        }
    }

    /// Both reply-subject forms JetStream uses are read (without and with domain and account hash), anything else is
    /// not a delivery.
    @Test func replySubjectsOfBothFormsAreRead() throws {
        let v1 = try #require(JetStreamDelivery(replySubject: "$JS.ACK.VECHE_EVENTS.rating.2.815.14.1733300000123456789.7"))
        #expect(v1.stream == "VECHE_EVENTS" && v1.consumer == "rating" && v1.deliveries == 2 && v1.streamSequence == 815)
        #expect(abs(v1.storedAt.timeIntervalSince1970 - 1_733_300_000.123456789) < 1e-3)
        let v2 = try #require(JetStreamDelivery(replySubject: "$JS.ACK.hub.ACCHASH.VECHE_EVENTS.agency.1.9.9.1733300000000000000.0.rnd"))
        #expect(v2.stream == "VECHE_EVENTS" && v2.consumer == "agency" && v2.deliveries == 1 && v2.streamSequence == 9)
        for bad in ["", "$JS.ACK", "$JS.NAK.S.c.1.2.3.4.5", "$JS.ACK.S.c.x.2.3.4.5", "_INBOX.abc.def.1.2.3.4.5.6"] {
            #expect(JetStreamDelivery(replySubject: bad) == nil, "\(bad)")
        }
    }
}
