import Contracts
import Foundation
import TextAnalysis
import VecheAuth
import VecheRuntime

/// End-to-end intake against a running platform (`scripts/veche run`): real appeal texts (St Petersburg, see
/// /work/shared/data/README.md) published to JetStream with asynchronous acks, timed until AppealService stored them
/// all; then the very rows it stored, COPY'd into a scratch copy of `appeal.appeals` with all its indexes (with the
/// search vector as stored and as PostgreSQL computes it, without full-text search, and with the primary key only),
/// side by side in the same run.
struct IntakeBench {
    let count: Int
    let dataDirectory: String
    /// Administrator conninfo of the database holding schema `appeal`.
    let appealDatabase: String
    let stateDirectory: String?

    func run(_ nats: NatsConnection, token: String) async throws {
        let texts = try AppealDatasets.loadSPb(dataDirectory: dataDirectory)
        guard !texts.isEmpty else { throw RPCError.failedPrecondition("no St Petersburg appeal texts in \(dataDirectory)") }
        let runID = "bench-" + UUID().uuidString.prefix(8).lowercased()
        let subject = Subjects.Intake.subject(for: .portal)
        let messages = (0..<count).map { i -> NatsMessage in
            let r = texts[i % texts.count]
            var a = AppealV1.IncomingAppeal(channel: .portal, externalId: "\(runID)-\(String(format: "%07d", i))", text: r.text)
            a.topicHint = r.rubric   // the portal's kind of object, as its adapter sends it
            if let lat = r.latitude, let lon = r.longitude { a.location = CommonV1.GeoPoint(latitude: lat, longitude: lon) }
            return NatsMessage(subject: subject, headers: [RPCHeader.authorization: "Bearer " + token, "Nats-Msg-Id": "portal:\(a.externalId)"],
                               payload: a.serializedBytes())
        }
        let pool = try await PGPool(conninfo: appealDatabase, size: 2, logger: .init(label: "veche.bench.intake"))
        defer { pool.close() }
        let js = try JetStream(connection: nats)
        let cpu = stateDirectory.map { ProcessCPU(stateDirectory: $0) }
        let cpuBefore = cpu?.sample() ?? [:]
        let startedAt = Date()
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: messages.count, by: 2_000) {
            for r in await js.publish(Array(messages[chunk..<min(messages.count, chunk + 2_000)]), timeout: .seconds(30)) { _ = try r.get() }
        }
        let published = ContinuousClock.now - start
        var stored = 0, rejected = 0, lastProgress = ContinuousClock.now, lastStored = -1
        // Counting the run's rows reads up to `count` index entries, which the intake figure then pays for (polling it
        // every 250 ms was 11 % of PostgreSQL's time, pg_stat_statements; every second still read 400,000 entries in a
        // 20,000-appeal run): it runs every 10 s, and every second only once the last message's appeal is stored (a
        // unique-index lookup each second until then).
        let lastID = "\(runID)-\(String(format: "%07d", count - 1))"
        var polls = 0
        while stored + rejected < count {
            try await Task.sleep(for: .seconds(1))
            polls += 1
            let lastStoredYet = try await pool.query("""
                SELECT 1 AS one FROM appeal.appeals WHERE channel = 'portal' AND external_id = \(lastID)
                """).first != nil
            guard lastStoredYet || polls % 10 == 0 else { continue }
            (stored, rejected) = try await progress(pool, runID: runID, since: startedAt)
            if stored != lastStored { lastStored = stored; lastProgress = .now }
            if ContinuousClock.now - lastProgress > .seconds(120) {
                throw RPCError.unavailable("intake stalled at \(stored) of \(count) appeals (is `scripts/veche run` up?)")
            }
        }
        let total = ContinuousClock.now - start
        let cpuAfter = cpu?.sample() ?? [:]
        let intakeRate = Bench.rate(stored, total)
        print(String(format: "intake end-to-end, %d real-text appeals (JetStream → enrichment → PostgreSQL → outbox): published %.0f msg/s, stored %.0f appeals/s",
                     count, Bench.rate(count, published), intakeRate) + (rejected > 0 ? " (\(rejected) rejected)" : ""))
        if !cpuAfter.isEmpty { print(ProcessCPU.report(before: cpuBefore, after: cpuAfter, appeals: stored)) }
        let copy = try await copyRates(pool, runID: runID)
        print(String(format: "COPY of the same %d rows into a copy of appeal.appeals: all indexes %.0f rows/s (search vector as stored); "
                     + "all indexes with the vector computed by PostgreSQL (to_tsvector('russian'), as before migration 18) %.0f rows/s; "
                     + "without full-text search %.0f rows/s; primary key only %.0f rows/s",
                     copy.rows, copy.all, copy.computedVector, copy.withoutFTS, copy.none))
        print(String(format: "full-text search cost of storing a row: vector as stored %.2f×, computed by PostgreSQL %.2f× the time without full-text search",
                     copy.all > 0 ? copy.withoutFTS / copy.all : 0, copy.computedVector > 0 ? copy.withoutFTS / copy.computedVector : 0))
        print(String(format: "intake / COPY (all indexes) = %.3f (target ≥ 0.25); intake target ≥ 5,000 appeals/s", copy.all > 0 ? intakeRate / copy.all : 0))
        if let rss = appealServicePeakRSS() { print(String(format: "appeal-service peak RSS: %.1f MiB", rss)) }
    }

    private func progress(_ pool: PGPool, runID: String, since: Date) async throws -> (Int, Int) {
        let stored = try await pool.query("""
            SELECT count(*) AS n FROM appeal.appeals WHERE channel = 'portal' AND external_id > \(runID) AND external_id < \(runID + ".")
            """).first.map { Int($0.int("n")) } ?? 0
        let rejected = try await pool.query("""
            SELECT count(*) AS n FROM appeal.rejected_intake WHERE received_at >= \(since)
            """).first.map { Int($0.int("n")) } ?? 0
        return (stored, rejected)
    }

    struct CopyRates { var rows = 0, all = 0.0, computedVector = 0.0, withoutFTS = 0.0, none = 0.0 }

    /// Reads this run's stored rows (not timed) and COPYs them into a scratch table four ways: as stored (the search
    /// vector included, as intake now supplies it), with the vector computed by PostgreSQL, without full-text search
    /// (no vector, no GIN index) — these three twice, the better kept — and with the primary key only.
    private func copyRates(_ pool: PGPool, runID: String) async throws -> CopyRates {
        try await pool.withConnection { conn in
            let columns = try conn.query("""
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = 'appeal' AND table_name = 'appeals' AND is_generated = 'NEVER' ORDER BY ordinal_position
                """).rows.map { $0.string("column_name") }
            let select = SQL(stringLiteral: columns.map { SQL.quoteIdentifier($0) + "::text AS " + SQL.quoteIdentifier($0) }.joined(separator: ", "))
            var rows: [[String?]] = []
            var last = runID
            while true {
                let page = try conn.query("""
                    SELECT \(select) FROM appeal.appeals WHERE channel = 'portal' AND external_id > \(last) AND external_id < \(runID + ".")
                    ORDER BY external_id LIMIT 10000
                    """).rows
                guard let tail = page.last else { break }
                last = tail.string("external_id")
                rows += page.map { r in columns.map { r.isNull($0) ? nil : r.string($0) } }
            }
            var out = CopyRates(rows: rows.count)
            let vectorAt = columns.firstIndex(of: "search_vector")
            let plainColumns = columns.filter { $0 != "search_vector" }
            let plainRows = vectorAt.map { at in rows.map { r in var r = r; r.remove(at: at); return r } } ?? rows
            func timedCopy(vector: Bool) throws -> Double {
                try conn.unsafeExecute("TRUNCATE bench_intake_copy")
                let t0 = ContinuousClock.now
                try conn.copyIn(table: "bench_intake_copy", columns: vector ? columns : plainColumns, rows: vector ? rows : plainRows)
                return Bench.rate(rows.count, ContinuousClock.now - t0)
            }
            defer { _ = try? conn.unsafeExecute("DROP TABLE IF EXISTS bench_intake_copy") }
            // Two rounds, the better of each kept: the first COPY of a run otherwise pays for the event consumers
            // still working through the intake's events.
            for _ in 0..<2 {
                try conn.unsafeExecute("DROP TABLE IF EXISTS bench_intake_copy")
                try conn.unsafeExecute("CREATE TABLE bench_intake_copy (LIKE appeal.appeals INCLUDING ALL)")
                out.all = max(out.all, try timedCopy(vector: true))
                // The vector computed by PostgreSQL from the redacted text for every row, as the generated column of
                // migration 12 did (the intake's cost of full-text search before migration 18).
                try conn.unsafeExecute("ALTER TABLE bench_intake_copy DROP COLUMN search_vector")
                try conn.unsafeExecute("""
                    ALTER TABLE bench_intake_copy ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('russian', redacted_body)) STORED
                    """)
                try conn.unsafeExecute("CREATE INDEX bench_intake_copy_search ON bench_intake_copy USING gin (search_vector)")
                out.computedVector = max(out.computedVector, try timedCopy(vector: false))
                // Without full-text search: no search vector, no text-search index.
                try conn.unsafeExecute("ALTER TABLE bench_intake_copy DROP COLUMN search_vector")
                out.withoutFTS = max(out.withoutFTS, try timedCopy(vector: false))
            }
            let rest = try conn.query("""
                SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = 'bench_intake_copy' AND NOT x.indisprimary
                """).rows.map { $0.string("name") }
            for name in rest { try conn.unsafeExecute("ALTER TABLE bench_intake_copy DROP CONSTRAINT IF EXISTS " + SQL.quoteIdentifier(name)) }
            for name in rest { try conn.unsafeExecute("DROP INDEX IF EXISTS " + SQL.quoteIdentifier(name)) }
            out.none = try timedCopy(vector: false)
            return out
        }
    }

    /// VmHWM of the appeal-service `scripts/veche run` started (its pid file in the state directory).
    private func appealServicePeakRSS() -> Double? {
        guard let dir = stateDirectory, let pid = ProcessCPU(stateDirectory: dir).pid(of: "appeal-service"),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
    }
}
