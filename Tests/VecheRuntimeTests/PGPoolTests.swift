import Contracts
import Foundation
import Synchronization
import Testing
@testable import VecheRuntime
import VecheTestSupport

/// PGPool against a real PostgreSQL (a fresh database per test).
@Suite("PGPool: leasing, cancellation, no closure re-runs, outcome unknown, reconnects", .serialized)
struct PGPoolTests {
    @Test func aQuickQueryNeverWaitsBehindABlockedOneWhileAConnectionIsIdle() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 2, logger: cluster.logger)
            let holder = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close(); holder.close() }
            let session = try await holder.makeSession()
            defer { session.close() }
            _ = try await session.run { try $0.query("SELECT pg_advisory_lock(42)") }
            // One of the pool's connections blocks on the lock until the session lets go (a watchdog does after 120 s).
            let blockedDone = Shared(false)
            async let blocked: Void = {
                _ = try await pool.query("SELECT pg_advisory_lock(42), pg_advisory_unlock(42)")
                blockedDone.update { $0 = true }
            }()
            let watchdog = Task {
                try? await Task.sleep(for: .seconds(120))
                _ = try? await session.run { try $0.query("SELECT pg_advisory_unlock(42)") }
            }
            // The pool's connection is now waiting for the lock (not merely about to ask for it).
            #expect(try await eventually(timeout: .seconds(60)) {
                try await session.run { try $0.query("""
                    SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 42 AND NOT granted
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """) }
                    .first?.int("n") == 1
            })
            // Round-robin dispatch would queue every second query behind the blocked connection.
            for i in 0..<6 {
                let n = try await pool.query("SELECT \(i)::int AS n").first?.int("n")
                #expect(n == Int64(i))
                let waited = blockedDone.value
                #expect(!waited, "query \(i) waited for the blocked one")
            }
            _ = try await session.run { try $0.query("SELECT pg_advisory_unlock(42)") }
            try await blocked
            watchdog.cancel()
        }
    }

    @Test func acquireTimesOutAsNotAppliedAndCancelledWaitersLeaveTheQueue() async throws {
        try await withCluster { cluster in
            // `hasty` times out quickly; `patient` waits long enough that only a cancellation ends its wait.
            let hasty = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger,
                                         acquireTimeout: .milliseconds(300))
            let patient = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger,
                                           acquireTimeout: .seconds(120))
            let locker = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { hasty.close(); patient.close(); locker.close() }
            // Each pool's only connection is held until the test lets it go (an advisory lock a session holds), not for
            // a fixed time: under load the steps below may take seconds.
            let session = try await locker.makeSession()
            defer { session.close() }
            _ = try await session.run { try $0.query("SELECT pg_advisory_lock(77)") }
            let leased = Shared(0)
            let hold: @Sendable (PGConnection) throws -> Void = { conn in
                leased.update { $0 += 1 }
                _ = try conn.query("SELECT pg_advisory_lock_shared(77), pg_advisory_unlock_shared(77)")
            }
            async let holdHasty: Void = hasty.withConnection(hold)
            async let holdPatient: Void = patient.withConnection(hold)
            while leased.value < 2 { try await Task.sleep(for: .milliseconds(10)) }
            do {
                _ = try await hasty.query("SELECT 1")
                Issue.record("the only connection is busy: acquire must time out")
            } catch let e as PGPoolError {
                #expect(e.rpcError?.code == .unavailable)
            }
            // A cancelled waiter gives up at once and never consumes a connection later.
            let ran = Shared(0)
            let waiter = Task { try await patient.withConnection { _ in ran.update { $0 += 1 } } }
            #expect(try await eventually(timeout: .seconds(60)) { patient.waitingCount == 1 })   // queued, then cancelled
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            _ = try await session.run { try $0.query("SELECT pg_advisory_unlock(77)") }
            _ = try await (holdHasty, holdPatient)
            #expect(try await patient.query("SELECT 2 AS n").first?.int("n") == 2)
            let ranCount = ran.value
            #expect(ranCount == 0)
        }
    }

    @Test func waitersAreServedInArrivalOrder() async throws {
        try await withPool(size: 1, acquireTimeout: .seconds(20)) { pool in
            let order = Shared<[Int]>([])
            let session = try await pool.makeSession()
            defer { session.close() }
            _ = try await session.run { try $0.query("SELECT pg_advisory_lock(7)") }
            async let holder = pool.query("SELECT pg_advisory_lock(7), pg_advisory_unlock(7)")
            // The pool's only connection is now blocked on the lock.
            #expect(try await eventually {
                try await session.run { try $0.query("""
                    SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7 AND NOT granted
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """) }
                    .first?.int("n") == 1
            })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask { try await pool.withConnection { _ in order.update { $0.append(i) } } }
                    // The next caller arrives only once this one is queued.
                    #expect(try await eventually { pool.waitingCount == i + 1 })
                }
                _ = try await session.run { try $0.query("SELECT pg_advisory_unlock(7)") }
                try await group.waitForAll()
            }
            _ = try await holder
            #expect(order.value == Array(0..<8))
        }
    }

    @Test func aClosureRunsOnceWhenItsConnectionDiesAndTheNextCallerGetsAFreshOne() async throws {
        try await withPool(size: 1) { pool in
            let runs = Shared(0)
            do {
                _ = try await pool.withConnection { conn in
                    runs.update { $0 += 1 }
                    return try conn.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
                Issue.record("the statement killed its own connection")
            } catch let e as PGError {
                #expect(e.isConnectionFailure)
                #expect(!e.outcomeUnknown || e.rpcError?.code == .deadlineExceeded)
            }
            let runCount = runs.value
            #expect(runCount == 1, "the pool must never re-run a caller's closure")
            // Reconnected before it is lent again.
            #expect(try await pool.query("SELECT 1 AS n").first?.int("n") == 1)
        }
    }

    @Test func aConnectionKilledWhileIdleIsReplacedBeforeItIsLent() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            let admin = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close(); admin.close() }
            let runs = Shared(0)
            let pid = try #require(try await pool.query("SELECT pg_backend_pid() AS pid").first?.int("pid"))
            _ = try await admin.query("SELECT pg_terminate_backend(\(Int(pid)))")
            // Killed, not merely signalled: the backend has exited (a fixed sleep was too short on a loaded machine,
            // and a connection whose backend is still exiting looks alive to any check).
            #expect(try await eventually {
                try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(Int(pid))").first?.int("n") == 0
            })
            try await Task.sleep(for: .milliseconds(100))
            // The dead connection is noticed and replaced before the closure gets it: the closure succeeds, once.
            let fresh = try await pool.withConnection { conn in
                runs.update { $0 += 1 }
                return try conn.query("SELECT pg_backend_pid() AS pid").first?.int("pid")
            }
            #expect(fresh != nil && fresh != pid)
            let runCount = runs.value
            #expect(runCount == 1)
        }
    }

    @Test func aLostCommitIsReportedAsOutcomeUnknownNotAsNotApplied() async throws {
        try await withPool(size: 2) { pool in
            // A deferred constraint trigger makes COMMIT itself slow, so the backend can be killed during COMMIT.
            _ = try await pool.withConnection { conn in
                try conn.unsafeExecute("""
                    CREATE TABLE t (id int PRIMARY KEY);
                    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
                    CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
                    """)
            }
            let runs = Shared(0)
            async let committing: Void = pool.transaction { conn in
                runs.update { $0 += 1 }
                try conn.query("INSERT INTO t VALUES (1)")
            }
            // COMMIT runs for 60 s unless killed; the kill ends it at once.
            var killed = false
            let deadline = ContinuousClock.now + .seconds(60)
            while !killed, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                killed = try await pool.query("""
                    SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
                    WHERE datname = current_database() AND query = 'COMMIT' AND pid <> pg_backend_pid()
                    """).first?.bool("ok") ?? false
            }
            #expect(killed)
            do {
                try await committing
                Issue.record("COMMIT lost its connection")
            } catch let e as PGError {
                #expect(e.outcomeUnknown)
                #expect(e.rpcError?.code == .deadlineExceeded)
            }
            let runCount = runs.value
            #expect(runCount == 1)
        }
    }

    @Test func aFailureBeforeCommitIsNotAppliedAndASwallowedErrorNeverCommitsSilently() async throws {
        try await withPool(size: 1) { pool in
            _ = try await pool.query("CREATE TABLE t (id int PRIMARY KEY)")
            await #expect(throws: PGError.self) {
                try await pool.transaction { conn in
                    try conn.query("INSERT INTO t VALUES (1)")
                    _ = try? conn.query("INSERT INTO t VALUES (1)")   // fails, error ignored: the transaction is aborted
                }
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first?.int("n") == 0)
            do {
                try await pool.transaction { conn in
                    try conn.query("INSERT INTO t VALUES (2)")
                    try conn.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
            } catch let e as PGError {
                #expect(e.connectionLost && !e.outcomeUnknown)
                #expect(e.rpcError?.code == .unavailable)
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first?.int("n") == 0)
        }
    }

    @Test func multiHostConninfoSkipsADeadHostAndKeepsTheReadWriteOne() async throws {
        try await withCluster { cluster in
            // libpq multi-host syntax: first host refuses connections, the second is the (read-write) server.
            let info = cluster.databaseAdminConninfo
            let port = try #require(info.split(separator: " ").first { $0.hasPrefix("port=") }.map { String($0.dropFirst(5)) })
            let multi = info.replacingOccurrences(of: "port=\(port)", with: "port=1,\(port)")
                .replacingOccurrences(of: "host=127.0.0.1", with: "host=127.0.0.1,127.0.0.1") + " target_session_attrs=read-write"
            let pool = try await PGPool(conninfo: multi, size: 1, logger: cluster.logger, connectTimeout: .seconds(5))
            defer { pool.close() }
            #expect(try await pool.query("SELECT current_setting('transaction_read_only') AS ro").first?.string("ro") == "off")
        }
    }
}

/// A pool on a fresh database of the test PostgreSQL.
func withPool(size: Int, acquireTimeout: Duration = .seconds(10), _ body: (PGPool) async throws -> Void) async throws {
    try await withCluster { cluster in
        let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: size, logger: cluster.logger, acquireTimeout: acquireTimeout)
        defer { pool.close() }
        try await body(pool)
    }
}
