import CNATS
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
        for _ in 0..<200 where pull.queuedCount < 12 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(pull.queuedCount == 12)

        var sizes: [Int] = []
        var sequences: [UInt64] = []
        for _ in 0..<10 where sequences.count < 40 {
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
            for _ in 0..<300 where seen.withLock({ $0.count }) < 101 { try await Task.sleep(for: .milliseconds(20)) }
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
}
