import Contracts
import Foundation
import Logging
import Synchronization
import Testing
import VecheRuntime
import VecheTestSupport

/// The generic idempotency mechanism (IdempotencyStore + interceptor + shared transaction) on a small
/// service with a real database and nats-server.
@Suite("Idempotency keys: first outcome stored with the change and replayed", .serialized)
struct IdempotencyTests {
    static let subject = "test.v1.Add"

    /// `Add` inserts its payload into `items` (in a transaction, as handlers do) and answers the row count.
    /// Payload "bad": 400 after touching the database; "flaky": 503 on the first call; "slow": 0.6 s inside.
    final class Adder: Sendable {
        let pool: PGPool
        let calls = Mutex<[String: Int]>([:])
        init(pool: PGPool) { self.pool = pool }

        var endpoint: RPCEndpoint {
            RPCEndpoint(name: "Add", subject: IdempotencyTests.subject) { payload, _ in
                let text = String(decoding: payload, as: UTF8.self)
                let n = self.calls.withLock { c -> Int in c[text, default: 0] += 1; return c[text, default: 0] }
                if text == "flaky" && n == 1 { throw RPCError.unavailable("try again") }
                let count = try await self.pool.transaction { conn -> Int64 in
                    try conn.query("INSERT INTO items (body) VALUES (\(text))")
                    if text == "slow" { try conn.query("SELECT pg_sleep(0.6)") }
                    if text == "bad" { throw RPCError.failedPrecondition("bad item") }
                    return try conn.query("SELECT count(*) AS n FROM items").first?.int("n") ?? 0
                }
                return Array(String(count).utf8)
            }
        }

        func calls(_ text: String) -> Int { calls.withLock { $0[text, default: 0] } }
    }

    struct Rig {
        var nats: NatsConnection
        var pool: PGPool
        var adder: Adder

        func add(_ text: String, key: String?, as caller: String = "test", timeout: Duration = .seconds(30)) async throws -> String {
            var headers: [String: String] = [HeaderAuthenticator.header: caller]
            if let key { headers[RPCHeader.idempotencyKey] = key }
            let bytes = try await nats.request(subject: IdempotencyTests.subject, payload: Array(text.utf8), headers: headers, timeout: timeout)
            return String(decoding: bytes, as: UTF8.self)
        }

        func rows(_ text: String) async throws -> Int64 {
            try await pool.query("SELECT count(*) AS n FROM items WHERE body = \(text)").first?.int("n") ?? -1
        }
    }

    func withRig(ttl: Duration = .seconds(3600), _ body: (Rig) async throws -> Void) async throws {
        try await withCluster { cluster in
            let nats = try await cluster.connectBus(as: TestCluster.unrestrictedUser.name)
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 3, schema: "svc", logger: cluster.logger)
            defer { pool.close(); nats.close() }
            try await Migrator.migrate(pool: pool, schema: "svc", migrations: [
                Migration(1, "items", "CREATE TABLE items (id bigserial PRIMARY KEY, body text NOT NULL)"),
                Migration(2, "idempotency keys", IdempotencyStore.migrationSQL),
            ])
            let store = IdempotencyStore(pool: pool, ttl: ttl, sweepInterval: .milliseconds(200), logger: cluster.logger)
            let adder = Adder(pool: pool)
            let host = NatsServiceHost(info: .init(name: "Adder", version: "0", description: "idempotency test"), endpoints: [adder.endpoint],
                                       connection: nats, authenticator: HeaderAuthenticator(), logger: cluster.logger, interceptors: [IdempotencyInterceptor(store: store)])
            try await withServices([host, store], logger: cluster.logger) {
                await host.waitUntilReady()
                try await body(Rig(nats: nats, pool: pool, adder: adder))
            }
        }
    }

    @Test func aRetryWithTheSameKeyReturnsTheFirstOutcomeAndAppliesNothing() async throws {
        try await withRig { rig in
            let first = try await rig.add("a", key: "k-1")
            let again = try await rig.add("a", key: "k-1")
            #expect(first == again)
            #expect(try await rig.rows("a") == 1)
            #expect(rig.adder.calls("a") == 1, "the handler must not run for a replay")
            // Without a key the same request is a new request.
            _ = try await rig.add("a", key: nil)
            #expect(try await rig.rows("a") == 2)
        }
    }

    @Test func keysBelongToTheirCallerSoAnotherCallersKeyNeverReplaysItsOutcome() async throws {
        try await withRig { rig in
            _ = try await rig.add("a", key: "k-shared", as: "alice")
            let bob = try await rig.add("a", key: "k-shared", as: "bob")
            #expect(bob == "2", "bob's request runs: alice's stored outcome is not his")
            #expect(try await rig.rows("a") == 2)
            let aliceAgain = try await rig.add("a", key: "k-shared", as: "alice")
            #expect(aliceAgain == "1", "alice still gets her first outcome")
        }
    }

    @Test func aReplyLostToATimeoutIsRecoveredByRetryingWithTheKey() async throws {
        try await withRig { rig in
            // The caller gives up before the server finishes — as after a 504 — but the change commits.
            await #expect(throws: RPCError.self) { _ = try await rig.add("slow", key: "k-lost", timeout: .milliseconds(200)) }
            #expect(try await eventually { try await rig.rows("slow") == 1 })
            let retried = try await rig.add("slow", key: "k-lost")
            #expect(retried == "1")
            #expect(try await rig.rows("slow") == 1, "the retry must not apply the change twice")
        }
    }

    @Test func theSameKeyWithADifferentRequestIsRefusedWith422() async throws {
        try await withRig { rig in
            _ = try await rig.add("a", key: "k-2")
            await #expect(throws: RPCError.self) {
                do { _ = try await rig.add("b", key: "k-2") } catch let e as RPCError {
                    #expect(e.code == .unprocessable)
                    #expect(e.message.contains("different request"))
                    throw e
                }
            }
            #expect(try await rig.rows("b") == 0)
        }
    }

    @Test func aDeterministicErrorIsStoredAndReplayedButATransientOneIsNot() async throws {
        try await withRig { rig in
            for _ in 0..<2 {
                await #expect(throws: RPCError(.failedPrecondition, "bad item")) { _ = try await rig.add("bad", key: "k-bad") }
            }
            #expect(rig.adder.calls("bad") == 1, "a stored error is replayed without running the handler")
            let badRows = try await rig.rows("bad")
            #expect(badRows == 0, "the failed request's changes were rolled back")
            await #expect(throws: RPCError.self) { _ = try await rig.add("flaky", key: "k-flaky") }
            let flaky = try await rig.add("flaky", key: "k-flaky")
            #expect(flaky == "1", "a 503 is not an outcome: the retry runs")
        }
    }

    @Test func aConcurrentDuplicateWaitsForTheFirstAndGetsItsOutcome() async throws {
        try await withRig { rig in
            async let one = rig.add("slow", key: "k-race")
            try await Task.sleep(for: .milliseconds(150))
            async let two = rig.add("slow", key: "k-race")
            let (a, b) = try await (one, two)
            #expect(a == b)
            #expect(try await rig.rows("slow") == 1)
        }
    }

    @Test func keysExpireAfterTheirTTLAndAreDeleted() async throws {
        try await withRig(ttl: .seconds(1)) { rig in
            _ = try await rig.add("a", key: "k-exp")
            try await Task.sleep(for: .milliseconds(1300))
            _ = try await rig.add("a", key: "k-exp")
            #expect(try await rig.rows("a") == 2, "an expired key no longer deduplicates")
            #expect(try await eventually {
                try await rig.pool.query("SELECT count(*) AS n FROM idempotency_keys WHERE expires_at <= now()").first?.int("n") == 0
            })
        }
    }

    @Test func malformedKeysAreRejected() async throws {
        try await withRig { rig in
            await #expect(throws: RPCError.self) { _ = try await rig.add("a", key: String(repeating: "x", count: 300)) }
            let rows = try await rig.rows("a")
            #expect(rows == 0)
        }
    }
}
