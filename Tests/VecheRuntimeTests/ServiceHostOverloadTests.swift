import Contracts
import Foundation
import Synchronization
import Testing
import VecheRuntime
import VecheTestSupport

/// NatsServiceHost with a real nats-server: overload answers, default deadlines, dropping abandoned work.
@Suite("NatsServiceHost: 429 / 503 under overload, default deadlines, abandoned requests dropped", .serialized)
struct ServiceHostOverloadTests {
    static let subject = "test.v1.Work"

    /// A host whose one endpoint records what it executed and sleeps `work` (or until released for "block", or
    /// for every request when `holdAll`).
    final class Worker: Sendable {
        let executed = Mutex<[String]>([])
        let released = Atomic<Bool>(false)
        let work: Duration
        let holdAll: Bool
        init(work: Duration, holdAll: Bool = false) { self.work = work; self.holdAll = holdAll }

        var endpoint: RPCEndpoint {
            RPCEndpoint(name: "Work", subject: ServiceHostOverloadTests.subject) { payload, _ in
                let tag = String(decoding: payload, as: UTF8.self)
                self.executed.withLock { $0.append(tag) }
                if tag == "block" || self.holdAll {
                    // Cancelled (its deadline passed): stop holding at once rather than spin on a sleep that throws.
                    while !self.released.load(ordering: .acquiring) {
                        do { try await Task.sleep(for: .milliseconds(10)) } catch { break }
                    }
                } else {
                    try await Task.sleep(for: self.work)
                }
                return payload
            }
        }
    }

    static func code(_ reply: NatsMessage) -> String { reply.headers[RPCHeader.serviceErrorCode] ?? "ok" }

    @Test func threeThousandRequestsWithoutDeadlinesGetPrompt429sAndTheServiceAnswersAtOnceAfterwards() async throws {
        try await withCluster { cluster in
            // Every request is held in the handler until the burst has been answered: the 8 workers and the queue of
            // 32 fill up however fast the machine is, and the rest must be refused (429) while the workers are busy.
            let worker = Worker(work: .zero, holdAll: true)
            let (concurrency, queueCapacity, burst) = (8, 32, 3000)
            let server = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
            let client = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
            defer { client.close(); server.close() }
            let host = NatsServiceHost(info: .init(name: "Work", version: "0", description: "overload test"), endpoints: [worker.endpoint],
                                       connection: server, authenticator: HeaderAuthenticator(), logger: cluster.logger,
                                       concurrency: concurrency, queueCapacity: queueCapacity, defaultDeadline: .seconds(300))
            try await withServices([host], logger: cluster.logger) {
                await host.waitUntilReady()
                let outcomes = Shared<[String: Int]>([:])
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<burst {
                        group.addTask {
                            // No deadline header: the server's default (300 s, longer than any wait here) applies, so
                            // the held requests are never cancelled while the burst is counted.
                            let code: String
                            do {
                                code = Self.code(try await client.requestMessage(subject: Self.subject, payload: Array("r\(i)".utf8),
                                                                                 headers: [:], timeout: .seconds(120)))
                            } catch {
                                code = "client timeout"
                            }
                            outcomes.update { $0[code, default: 0] += 1 }
                        }
                    }
                    // ADR-32 discovery is still answered in the middle of the burst.
                    let ping = try await client.requestMessage(subject: "$SRV.PING.Work", payload: [], headers: [:], timeout: .seconds(20))
                    #expect(String(decoding: ping.payload, as: UTF8.self).contains("io.nats.micro.v1.ping_response"))
                    // Every request is accounted for while the workers are still held: answered, in a handler or queued.
                    let settled = try await eventually(timeout: .seconds(60)) {
                        outcomes.value.values.reduce(0, +) + worker.executed.withLock { $0.count } + host.queuedRequests == burst
                    }
                    #expect(settled, "\(outcomes.value), \(worker.executed.withLock { $0.count }) held, \(host.queuedRequests) queued")
                    let refusedWhileHeld = outcomes.value["429", default: 0]
                    #expect(refusedWhileHeld >= burst - concurrency - queueCapacity, "\(outcomes.value)")
                    worker.released.store(true, ordering: .releasing)
                    try await group.waitForAll()
                }
                let seen = outcomes.value
                #expect(seen["429", default: 0] >= burst - concurrency - queueCapacity, "\(seen)")
                #expect(seen["client timeout", default: 0] == 0, "\(seen)")
                #expect(worker.executed.withLock { $0.count } <= concurrency + queueCapacity, "only what fitted into the bounded queue ran")
                // Right after the burst the service answers a normal request within a tight deadline.
                let after = try await AppealLikeClient(client).call("after", timeout: .seconds(5))
                #expect(after == "after")
            }
        }
    }

    /// A host with twelve endpoints (a service's RPCs) shuts down promptly after its NATS server went away: its
    /// subscriptions cannot drain without a server, and draining them one by one waited 5 s each (60 s here).
    @Test func shutdownWithoutTheServerIsPromptWhateverTheNumberOfEndpoints() async throws {
        try await withCluster { cluster in
            let worker = Worker(work: .milliseconds(1))
            let endpoints = (0..<12).map { i in
                RPCEndpoint(name: "Work\(i)", subject: "test.v1.Work\(i)", handle: worker.endpoint.handle)
            }
            let server = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
            defer { server.close() }
            let host = NatsServiceHost(info: .init(name: "Work", version: "0", description: "shutdown test"), endpoints: endpoints,
                                       connection: server, authenticator: HeaderAuthenticator(), logger: cluster.logger)
            let clock = ContinuousClock()
            let stoppedAt = try await withServices([host], logger: cluster.logger) { () async throws -> ContinuousClock.Instant in
                await host.waitUntilReady()
                cluster.stopNats()
                let disconnected = try await eventually { !server.isConnected }
                #expect(disconnected)
                return clock.now
            }
            let shutdown = clock.now - stoppedAt
            // Draining one by one took 60 s here (5 s each); draining all at once without a server would end only at
            // cnats' 30 s drain timeout. A prompt shutdown takes well under a second, so 20 s leaves room for a slow machine.
            #expect(shutdown < .seconds(20), "graceful shutdown took \(shutdown)")
        }
    }

    @Test func aRequestWhoseDefaultDeadlinePassedWhileQueuedIsDroppedWithoutRunning() async throws {
        try await withCluster { cluster in
            let worker = Worker(work: .milliseconds(1))
            let nats = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
            defer { nats.close() }
            let host = NatsServiceHost(info: .init(name: "Work", version: "0", description: "deadline test"), endpoints: [worker.endpoint],
                                       connection: nats, authenticator: HeaderAuthenticator(), logger: cluster.logger, concurrency: 1, queueCapacity: 8,
                                       defaultDeadline: .milliseconds(300))
            try await withServices([host], logger: cluster.logger) {
                await host.waitUntilReady()
                let longDeadline = String(Int64((Date().timeIntervalSince1970 + 30) * 1000))
                async let blocker = nats.requestMessage(subject: Self.subject, payload: Array("block".utf8),
                                                        headers: [RPCHeader.deadline: longDeadline], timeout: .seconds(30))
                // The one worker is busy before the second request is sent (no sleep guesses how long that takes).
                #expect(try await eventually { worker.executed.withLock { $0 } == ["block"] })
                // No deadline header: the server's default (300 ms) applies from its arrival; it waits behind the blocker.
                async let queued = nats.requestMessage(subject: Self.subject, payload: Array("abandoned".utf8), headers: [:], timeout: .seconds(30))
                #expect(try await eventually { host.queuedRequests == 1 }, "the second request arrived and waits")
                // Its default deadline passes while it waits.
                try await Task.sleep(for: .milliseconds(600))
                worker.released.store(true, ordering: .releasing)
                #expect(Self.code(try await blocker) == "ok")
                let reply = try await queued
                #expect(Self.code(reply) == "504")
                #expect(!worker.executed.withLock { $0 }.contains("abandoned"), "expired work must not run")
            }
        }
    }
}

/// A minimal typed caller of the test endpoint with a deadline header, as the generated clients do.
struct AppealLikeClient {
    let nats: NatsConnection
    init(_ nats: NatsConnection) { self.nats = nats }

    func call(_ text: String, timeout: Duration) async throws -> String {
        let deadline = String(Int64((Date().timeIntervalSince1970 + Double(timeout.components.seconds)) * 1000))
        let bytes = try await nats.request(subject: ServiceHostOverloadTests.subject, payload: Array(text.utf8),
                                           headers: [RPCHeader.deadline: deadline], timeout: timeout)
        return String(decoding: bytes, as: UTF8.self)
    }
}
