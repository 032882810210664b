import Foundation
import Logging
import Testing
@testable import VecheRuntime
import VecheTestSupport

/// `PGConnection`'s prepared statements (`PGStatementCache`) against a real PostgreSQL.
@Suite("PGConnection prepares repeated statements: reuse, opt-out, capacity, migrations, reconnects")
struct PGStatementCacheTests {
    /// How many statements this session has prepared with exactly `text` (asked unprepared, so asking changes nothing).
    static func serverCount(_ conn: PGConnection, _ text: String? = nil) throws -> Int64 {
        let sql: SQL = text.map { "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = \($0)" }
            ?? "SELECT count(*) AS n FROM pg_prepared_statements"
        return try conn.query(sql.plannedEachCall()).first?.int("n") ?? -1
    }

    /// Runs `body` with a connection to the test cluster (statement cache of `capacity`) and a way to open another
    /// one (the administrator changing tables, ending sessions), on a thread of its own: libpq calls never run on
    /// Swift's cooperative pool, which the other tests running in parallel need.
    static func withConnection(capacity: Int = 256, _ body: @escaping @Sendable (PGConnection, () throws -> PGConnection) throws -> Void) async throws {
        try await withCluster { cluster in
            let info = cluster.databaseAdminConninfo, logger = cluster.logger
            let thread = BlockingExecutor(name: "pg-statement-test", threads: 1)
            defer { thread.shutdown() }
            try await thread.run {
                let open = { try PGConnection(conninfo: info, schema: nil, logger: logger) }
                try body(try PGConnection(conninfo: info, schema: nil, logger: logger, statementCacheCapacity: capacity), open)
            }
        }
    }

    /// A statement of a text built by the test (table names), with its binds.
    static func statement(_ text: String, _ binds: [String]) -> SQL {
        var s = SQL(stringLiteral: text)
        s.binds = binds
        return s
    }

    @Test("A statement is prepared at its second use and run prepared after, each call with its own values; one marked planEachCall and utility statements never are")
    func preparedAtSecondUseWithItsOwnValues() async throws {
        try await Self.withConnection { conn, _ in
            let text = "SELECT $1::int + 1 AS n"
            #expect(try conn.query("SELECT \(1)::int + 1 AS n").first?.int("n") == 2)
            #expect(try Self.serverCount(conn, text) == 0)
            #expect(try conn.query("SELECT \(2)::int + 1 AS n").first?.int("n") == 3)
            #expect(try Self.serverCount(conn, text) == 1)
            for v in 3..<10 { #expect(try conn.query("SELECT \(v)::int + 1 AS n").first?.int("n") == Int64(v + 1)) }
            #expect(try Self.serverCount(conn, text) == 1)

            let custom: SQL = "SELECT $1::int * 2 AS n"
            for v in 0..<4 {
                var s = custom
                s.binds = [String(v)]
                #expect(try conn.query(s.plannedEachCall()).first?.int("n") == Int64(v * 2))
            }
            #expect(try Self.serverCount(conn, custom.text) == 0)
            for _ in 0..<3 { _ = try conn.query("SET application_name = 'veche-statement-test'") }
            #expect(try Self.serverCount(conn) == 1)
        }
    }

    @Test("Beyond its capacity the least recently used statement is deallocated on the server; the ones in use stay")
    func capacityDeallocatesTheLeastRecentlyUsed() async throws {
        try await Self.withConnection(capacity: 3) { conn, _ in
            let texts = (1...5).map { "SELECT $1::int + \($0) AS n" }
            func run(_ i: Int) throws { #expect(try conn.query(Self.statement(texts[i], ["1"])).first?.int("n") == Int64(2 + i)) }
            for i in 0..<3 { try run(i); try run(i) }
            #expect(try Self.serverCount(conn) == 3)
            try run(0)                 // used again: now the most recent
            for i in 3..<5 { try run(i); try run(i) }
            #expect(try Self.serverCount(conn) == 3)
            #expect(try Self.serverCount(conn, texts[0]) == 1)
            #expect(try Self.serverCount(conn, texts[1]) == 0)
            #expect(try Self.serverCount(conn, texts[2]) == 0)
            #expect(conn.preparedStatementCount == 3)
        }
    }

    @Test("After a migration changes a table's columns a prepared SELECT * gives the new columns: at once in autocommit, inside a transaction from the next call (the transaction's error is the caller's)")
    func aMigrationIsFollowed() async throws {
        try await Self.withConnection { conn, open in
            let admin = try open()
            let table = "stmt_cache_\(UInt32.random(in: 0...UInt32.max))"
            try admin.unsafeExecute("CREATE TABLE \(table) (a int); INSERT INTO \(table) VALUES (1)")
            defer { _ = try? admin.unsafeExecute("DROP TABLE \(table)") }
            let select = Self.statement("SELECT * FROM \(table) WHERE a = $1", ["1"])
            for _ in 0..<2 { #expect(try conn.query(select).first?.int("a") == 1) }
            #expect(try Self.serverCount(conn, select.text) == 1)
            try admin.unsafeExecute("ALTER TABLE \(table) ADD COLUMN b int DEFAULT 7")
            #expect(try conn.query(select).first?.int("b") == 7)
            for _ in 0..<2 { _ = try conn.query(select) }   // prepared again
            #expect(try Self.serverCount(conn, select.text) == 1)

            try admin.unsafeExecute("ALTER TABLE \(table) ADD COLUMN c int DEFAULT 8")
            try conn.unsafeExecute("BEGIN")
            #expect(throws: PGError.self) { try conn.query(select) }
            try conn.unsafeExecute("ROLLBACK")
            try conn.unsafeExecute("BEGIN")
            #expect(try conn.query(select).first?.int("c") == 8)
            try conn.unsafeExecute("COMMIT")
            #expect(try Self.serverCount(conn, select.text) == 0)   // the stale one deallocated, the text not yet prepared again
        }
    }

    @Test("A reconnected connection starts with nothing prepared: a statement prepared before runs inside a transaction without 'prepared statement does not exist'")
    func aReconnectStartsEmpty() async throws {
        try await Self.withConnection { conn, open in
            let admin = try open()
            let select: SQL = "SELECT pg_backend_pid() AS pid, \(5)::int AS n"
            let pid = try #require(try conn.query(select).first?.int("pid"))
            _ = try conn.query(select)
            #expect(conn.preparedStatementCount == 1)
            try admin.query("SELECT pg_terminate_backend(\(pid)::int)")
            // Killed, not merely signalled: the backend has exited and the connection has seen it close (polled on
            // this thread, the test's own; 60 s guard against a hang, not a timing).
            let deadline = ContinuousClock.now + .seconds(60)
            while try admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(pid)::int").first?.int("n") != 0,
                  ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            while conn.isHealthy, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
            #expect(!conn.isHealthy, "the terminated backend's connection still looks alive")
            try conn.ensureHealthy()
            #expect(conn.preparedStatementCount == 0)
            try conn.unsafeExecute("BEGIN")
            #expect(try conn.query(select).first?.int("n") == 5)
            try conn.unsafeExecute("COMMIT")
        }
    }
}
