import Foundation
import Testing
@testable import VecheRuntime
import VecheTestSupport

/// Rows read in place from libpq's result (`PGRow`): every accessor gives what the text form means, by column name,
/// and the rows stay readable after the query's connection is gone.
@Suite("PGRow: values read in place from the libpq result", .serialized)
struct PGRowTests {
    @Test func everyAccessorReadsTheTextFormByName() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            let row = try #require(try await pool.query("""
                SELECT 'Яма на дороге, ул. Ленина 5' AS t, NULL::text AS nothing, '' AS empty,
                       42 AS i, -7 AS neg, 9223372036854775807 AS max, -9223372036854775808 AS min,
                       3000000000 AS big, 12.5 AS frac, 0.9869996273968462::float8 AS d,
                       true AS yes, false AS no, NULL::bool AS unknown,
                       '2026-11-23 16:11:30.123+00'::timestamptz AS ts, '1969-12-31 23:59:59.5+00'::timestamptz AS before1970,
                       '2026-11-23 19:11:30.123456+03'::timestamptz AS micro, NULL::timestamptz AS never,
                       ARRAY['a', 'b c', NULL, 'ЖКХ, кв. 5', 'x"y\\z'] AS arr, '{}'::text[] AS none,
                       1 AS twice, 2 AS twice
                """).first)
            #expect(row.string("t") == "Яма на дороге, ул. Ленина 5")
            #expect(row["nothing"] == nil && row.string("nothing") == "" && row.isNull("nothing"))
            #expect(row["empty"] == "" && !row.isNull("empty"))
            #expect(row["no such column"] == nil && row.isNull("no such column") && row.int("no such column") == 0)
            #expect(row.int("i") == 42 && row.int32("i") == 42 && row.int("neg") == -7)
            #expect(row.int("max") == Int64.max && row.int("min") == Int64.min)
            // Out of Int32's range, and not an integer at all: 0, as Int32(String) and Int64(String) read them.
            #expect(row.int("big") == 3_000_000_000 && row.int32("big") == 0 && row.int("frac") == 0)
            #expect(row.double("d") == 0.9869996273968462 && row.double("frac") == 12.5)
            #expect(row.bool("yes") && !row.bool("no") && !row.bool("unknown") && !row.bool("t"))
            #expect(row.epochMs("ts") == 1_795_450_290_123)
            #expect(row.epochMs("before1970") == -500)
            #expect(row.epochMs("micro") == 1_795_450_290_123 && row.date("micro") == PGTime.parse("2026-11-23 16:11:30.123456+00"))
            #expect(row.epochMs("never") == 0 && row.date("never") == nil)
            #expect(row.stringArray("arr") == ["a", "b c", "ЖКХ, кв. 5", #"x"y\z"#] && row.stringArray("none") == [])
            // Two columns with one name: the later one, as before rows were read in place.
            #expect(row.int("twice") == 2)
        }
    }

    /// bytea values and joined hex runs (a lookup's history) are decoded from libpq's bytes, as PostgreSQL wrote them.
    @Test func byteaAndHexRunsAreDecodedInPlace() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            let payloads: [[UInt8]] = [[0x0A, 0x24, 0xFF, 0x00], Array(0...255), [0x01]]
            let hex = payloads.map { PGBytes.hexDigits($0) }
            let row = try #require(try await pool.query("""
                SELECT decode(\(hex[1]), 'hex') AS b, ''::bytea AS empty, NULL::bytea AS nothing, 'not bytea' AS text,
                       (SELECT string_agg(encode(decode(h, 'hex'), 'hex'), ',' ORDER BY n)
                          FROM unnest(\(hex)::text[]) WITH ORDINALITY AS u(h, n)) AS runs,
                       (SELECT string_agg(h, ',') FROM unnest(ARRAY[]::text[]) AS u(h)) AS no_runs,
                       'ab,0g' AS bad_runs, 'ab,abc' AS odd_runs
                """).first)
            #expect(row.bytes("b") == payloads[1])
            #expect(row.bytes("empty") == [] && row.bytes("nothing") == nil && row.bytes("text") == nil)
            #expect(row.hexRuns("runs") == payloads)
            #expect(row.hexRuns("no_runs") == [] && row.hexRuns("no such column") == [])
            #expect(row.hexRuns("bad_runs") == nil && row.hexRuns("odd_runs") == nil)
        }
    }

    @Test func manyColumnsAreEachFoundByName() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            // More columns than the lookup table's first size, with names sharing prefixes (collisions probe on).
            let names = (0..<70).map { "column_\($0)" } + ["c", "co", "col"]
            let sql = SQL(stringLiteral: "SELECT " + names.enumerated().map { "\($0.offset) AS \($0.element)" }.joined(separator: ", "))
            let row = try #require(try await pool.query(sql).first)
            for (i, name) in names.enumerated() { #expect(row.int(name) == Int64(i), "\(name)") }
            #expect(row["column_70"] == nil && row["colu"] == nil && row[""] == nil)
        }
    }

    @Test func rowsStayReadableAfterTheirConnectionIsGoneFromManyThreads() async throws {
        let rows = try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            return try await pool.query("SELECT n, 'строка ' || n AS label FROM generate_series(1, 2000) n").rows
        }
        // The pool, its connection and the database are gone; the result lives as long as its rows.
        let sums = await withTaskGroup(of: Int64.self) { group in
            for part in 0..<4 {
                group.addTask {
                    rows.enumerated().filter { $0.offset % 4 == part }.reduce(Int64(0)) { sum, item in
                        item.element.string("label") == "строка \(item.element.int("n"))" ? sum + item.element.int("n") : sum
                    }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(rows.count == 2000 && sums == 2000 * 2001 / 2)
    }
}
