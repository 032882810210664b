import Foundation
import Testing
@testable import VecheRuntime
import VecheTestSupport

/// `PGConnection.forEachRow` against a real PostgreSQL.
@Suite("PGConnection.forEachRow: every row once, in order, one chunk at a time")
struct PGCursorTests {
    @Test("Rows come in order, each once, whatever the chunk (smaller, equal to or larger than the result), with binds; two cursors of one transaction do not collide; outside a transaction it is refused")
    func everyRowOnceInOrder() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            for chunk in [1, 7, 25, 1_000] {
                let seen = try await pool.transaction { conn -> [Int64] in
                    var out: [Int64] = []
                    try conn.forEachRow("SELECT n FROM generate_series(1, \(25)) AS n WHERE n % \(1) = 0 ORDER BY n", chunk: chunk) {
                        out.append($0.int("n"))
                    }
                    return out
                }
                #expect(seen == Array(1...25), "chunk \(chunk)")
            }
            let pairs = try await pool.transaction { conn -> [String] in
                var out: [String] = []
                try conn.forEachRow("SELECT n FROM generate_series(1, 3) AS n", chunk: 2) { outer in
                    try conn.forEachRow("SELECT m FROM generate_series(1, 2) AS m", chunk: 1) { inner in
                        out.append("\(outer.int("n")).\(inner.int("m"))")
                    }
                }
                return out
            }
            #expect(pairs == ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2"])
            await #expect(throws: PGError.self) {
                try await pool.withConnection { conn in try conn.forEachRow("SELECT 1") { _ in } }
            }
        }
    }
}
