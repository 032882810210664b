import Contracts
import Foundation
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AppealService

/// Synthetic appeals written straight into `appeals` (generate_series): 70 % closed, 5 % answered, the rest
/// open in five statuses; received ones have no agency (triage); 20 agencies, 8 topics × 3 categories,
/// 30 municipalities, 6 channels, 1 % flagged, drawn from a multiplicative hash of the row number (independent
/// of status and time); one appeal every 2 minutes back from 2026-11-30; ids from md5 (reproducible).
private func insertSynthetic(_ pool: PGPool, count: Int) async throws {
    try await pool.withConnection { conn in
        try conn.query("""
            INSERT INTO appeals (id, number, channel, external_id, status, body, redacted_body, topic_code, category_code, agency_id,
                                 municipality_oktmo, monitoring_flags, received_at, registered_at, register_due, forward_due, answer_due,
                                 answered_at, closed_at)
            SELECT md5('scale-' || i)::uuid, 'S-' || i, (ARRAY['pos','portal','email','letter','social','messenger'])[1 + ((h / 14400) % 6)::int], 'scale-' || i,
                   s.status, 'Синтетическое обращение ' || i, 'Синтетическое обращение ' || i, t.topic, t.topic || '.c' || (h / 8) % 3,
                   CASE WHEN s.status = 'received' THEN '' ELSE 'agency-' || (h / 24) % 20 END,
                   '387' || lpad(((h / 480) % 30)::text, 5, '0'), CASE WHEN (h / 86400) % 100 = 0 THEN ARRAY['corruption'] ELSE '{}' END,
                   r.at, r.at, r.at + interval '3 days', r.at + interval '7 days', r.at + interval '30 days',
                   CASE WHEN s.status IN ('answered', 'closed') THEN r.at + (i % 40) * interval '1 day' END,
                   CASE WHEN s.status = 'closed' THEN r.at + (i % 40) * interval '1 day' END
            FROM generate_series(1, \(count)) i,
                 LATERAL (SELECT i::bigint * 2654435761 % 4294967296 AS h) k,
                 LATERAL (SELECT (ARRAY['housing','roads','transport','health','education','energy','waste','social'])[1 + (h % 8)::int] AS topic) t,
                 LATERAL (SELECT CASE WHEN i % 20 < 14 THEN 'closed' WHEN i % 20 = 14 THEN 'answered'
                                      ELSE (ARRAY['received','registered','assigned','in_progress','extended'])[i % 20 - 14] END AS status) s,
                 LATERAL (SELECT timestamptz '2026-11-30 12:00+00' - i * interval '2 minutes' AS at) r
            """)
        // Statistics from every row (not a random sample) and fixed ids: the same plans on every run.
        try conn.unsafeExecute("SET default_statistics_target = 1000")
        try conn.unsafeExecute("ANALYZE appeals")
        try conn.unsafeExecute("RESET default_statistics_target")
    }
}

/// What a plan read from `appeals`: rows visited (returned or filtered out), scan kinds, index names.
private struct PlanWork {
    var rowsVisited = 0
    /// Index or table entries read and then discarded by a filter that is not an index condition.
    var removedByFilter = 0
    var nodeTypes: [String] = []
    var indexes: [String] = []

    init(_ json: String) throws {
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        visit(try #require(list.first?["Plan"] as? [String: Any]))
    }

    mutating func visit(_ node: [String: Any]) {
        let type = node["Node Type"] as? String ?? ""
        nodeTypes.append(type)
        if node["Relation Name"] as? String == "appeals" || type == "Bitmap Index Scan" {
            if let name = node["Index Name"] as? String { indexes.append(name) }
            if type != "Bitmap Index Scan" {
                let loops = (node["Actual Loops"] as? Int) ?? 1
                rowsVisited += ((node["Actual Rows"] as? Int) ?? 0) * loops
                rowsVisited += (node["Rows Removed by Filter"] as? Int) ?? 0
                removedByFilter += (node["Rows Removed by Filter"] as? Int) ?? 0
                rowsVisited += (node["Rows Removed by Index Recheck"] as? Int) ?? 0
            } else {
                rowsVisited += (node["Actual Rows"] as? Int) ?? 0
            }
        }
        for child in node["Plans"] as? [[String: Any]] ?? [] { visit(child) }
    }
}

@Suite("Appeal lists and aggregates at scale", .serialized)
struct AppealReadsAtScaleTests {
    static let rows = 60_000

    /// The list filters of the API and the workspace queues (first and later pages), with the caller scopes
    /// the services add (everything; one agency).
    static let cases: [(String, AppealV1.ListAppealsRequest, SQL)] = {
        let open: [AppealV1.Status] = [.received, .registered, .assigned, .forwarded, .inProgress, .extended, .reopened]
        return [
            ("newest, no filter", .init(), "TRUE"),
            ("status", .init(statuses: [.received]), "TRUE"),
            ("topic", .init(topicCode: "roads"), "TRUE"),
            ("category", .init(categoryCode: "health.c1"), "TRUE"),
            ("municipality", .init(municipalityOktmo: "38700007"), "TRUE"),
            ("agency", .init(agencyId: "agency-7"), "TRUE"),
            ("channel", .init(channels: [.letter]), "TRUE"),
            ("flag", .init(monitoringFlag: "corruption"), "TRUE"),
            ("deadline, overdue", .init(overdueOnly: true, order: .deadline), "TRUE"),
            ("deadline, topic + overdue", .init(topicCode: "roads", overdueOnly: true, order: .deadline), "TRUE"),
            ("deadline, everything", .init(order: .deadline), "TRUE"),
            ("deadline, triage queue", .init(unassignedOnly: true, order: .deadline), "TRUE"),
            ("deadline, sector block queue", .init(statuses: open, topicCode: "housing", order: .deadline), "TRUE"),
            ("deadline, executor's own agency", .init(order: .deadline), "a.agency_id = 'agency-3'"),   // AppealViews.condition of one agency
            ("deadline, answered and closed", .init(statuses: [.answered, .closed], order: .deadline), "TRUE"),
            ("topic + overdue, newest", .init(topicCode: "roads", overdueOnly: true), "TRUE"),
            ("deadline, agency queue of working statuses", .init(statuses: [.assigned, .inProgress, .extended], agencyId: "agency-7", order: .deadline), "TRUE"),
            ("text search, a word of every appeal", .init(textQuery: "обращения"), "TRUE"),
        ]
    }()

    @Test func listPagesUseIndexesAndNeverScanTheTableAtSixtyThousandAppeals() async throws {
        try await withAppealService { _, env, _, _ in
            let pool = try #require(env.pool)
            try await insertSynthetic(pool, count: Self.rows)
            try await pool.withConnection { conn in
                for (name, request, scope) in Self.cases {
                    var query = try AppealQuery(request)
                    query.conditions.append(scope)
                    // The first page, then the page after its last row (keyset condition).
                    let first = try conn.query(query.pageSQL).rows.map(AppealStore.appeal(from:))
                    #expect(first.count == Int(AppealQuery.defaultPageSize) + 1, "\(name): a full page exists")
                    var next = query
                    if let last = first.dropLast().last {
                        next.after = AppealPageToken(order: request.order, ms: request.order == .deadline ? AppealQuery.nextDueMs(last) : last.receivedAtMs,
                                                     id: last.id, total: nil)
                    }
                    // Only a page whose filter binds no value, or an overdue page (the same partial indexes whatever
                    // the values), runs prepared (one plan for every call).
                    #expect(query.pageStatement.planEachCall == !["newest, no filter", "topic + overdue, newest"].contains(name), "\(name)")
                    for (page, q) in [("first page", query), ("next page", next)] {
                        let plan = try conn.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + q.pageSQL).rows.first?.string("QUERY PLAN") ?? ""
                        let work = try PlanWork(plan)
                        #expect(!work.nodeTypes.contains("Seq Scan"), "\(name), \(page): \(work.nodeTypes)")
                        // Most filters read about one page; where the planner prefers a bitmap over a filter's
                        // matches, or walks the primary key for the answered and closed part of deadline order,
                        // it still reads a fraction of the table.
                        #expect(work.rowsVisited <= Self.rows / 4, "\(name), \(page): read \(work.rowsVisited) rows of \(Self.rows) (\(work.indexes))\n\(plan)")
                    }
                }
            }
        }
    }

    /// Plan guarantees of migrations 12, 13 and 25 (after VACUUM, as autovacuum leaves a settled table): an overdue
    /// list takes its page's ids and its count from an index alone, a queue of working statuses counts from its
    /// index alone, and text search matches the stored vector of the redacted text through its GIN index.
    @Test func overdueListsQueueCountsAndTextSearchReadIndexesNotRows() async throws {
        try await withAppealService { _, env, _, _ in
            let pool = try #require(env.pool)
            try await insertSynthetic(pool, count: Self.rows)
            try await pool.withConnection { conn in
                try conn.unsafeExecute("VACUUM ANALYZE appeals")
                func plan(_ sql: SQL) throws -> (PlanWork, String) {
                    let json = try conn.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + sql).rows.first?.string("QUERY PLAN") ?? ""
                    return (try PlanWork(json), json)
                }
                func countSQL(_ q: AppealQuery) -> SQL {
                    "SELECT count(*) FROM (SELECT 1 FROM appeals a WHERE \(q.countFilter) LIMIT \(AppealQuery.exactCountLimit + 1)) s"
                }
                // Migration 25: an overdue page walks the watcher's marks in page order (plus the few appeals overdue
                // since its last pass); before, it read every overdue appeal of the filter and sorted them. The count
                // still comes from the open appeals' answer deadline index (migration 15), index-only.
                let overdueTotal = try conn.query("SELECT count(*) AS n FROM appeals a WHERE \(AppealQuery.open) AND a.answer_due < now()")
                    .first?.int("n") ?? 0
                try conn.query("""
                    UPDATE appeals a SET answer_missed_due = a.answer_due WHERE \(AppealQuery.open) AND a.answer_due < now()
                      AND a.received_at < (SELECT max(received_at) - interval '1 day' FROM appeals b WHERE b.answer_due < now())
                    """)
                try conn.unsafeExecute("VACUUM ANALYZE appeals")
                for (label, request) in [("topic", AppealV1.ListAppealsRequest(topicCode: "roads", overdueOnly: true)),
                                         ("all topics", AppealV1.ListAppealsRequest(overdueOnly: true))] {
                    let overdue = try AppealQuery(request)
                    let (page, pageJSON) = try plan(overdue.pageSQL)
                    let marks = label == "topic" ? "appeals_overdue_topic_received_idx" : "appeals_overdue_received_idx"
                    #expect(page.indexes.contains(marks) && page.indexes.contains("appeals_unmarked_answer_due_idx"),
                            "overdue page, \(label): \(page.indexes)\n\(pageJSON)")
                    // A page of 51 from the marks, the unmarked day of overdue appeals, 51 rows by primary key.
                    #expect(!page.nodeTypes.contains("Seq Scan") && page.rowsVisited < 400 && overdueTotal > 5_000,
                            "overdue page, \(label): \(page.rowsVisited) rows of \(overdueTotal) overdue\n\(pageJSON)")
                    let index = label == "topic" ? "appeals_open_topic_answer_due_idx" : "appeals_answer_due_idx"
                    let (count, countJSON) = try plan(countSQL(overdue))
                    #expect(count.nodeTypes.contains("Index Only Scan") && count.indexes.contains(index),
                            "overdue count, \(label): \(count.nodeTypes) \(count.indexes)\n\(countJSON)")
                    #expect(!count.nodeTypes.contains("Seq Scan") && count.removedByFilter == 0, "overdue count, \(label)\n\(countJSON)")
                }
                // Migration 16: autovacuum keeps the visibility map these index-only reads depend on fresh at 1 % change.
                let options = try conn.query("SELECT array_to_string(reloptions, ',') AS o FROM pg_class WHERE oid = 'appeals'::regclass")
                    .first?.string("o") ?? ""
                #expect(options.contains("autovacuum_vacuum_scale_factor=0.01") && options.contains("autovacuum_vacuum_insert_scale_factor=0.01"),
                        "\(options)")
                let queue = try AppealQuery(.init(statuses: [.assigned, .inProgress, .extended], agencyId: "agency-7", order: .deadline))
                let (queueCount, queueJSON) = try plan(countSQL(queue))
                #expect(queueCount.nodeTypes.contains("Index Only Scan") && queueCount.indexes.contains("appeals_open_agency_due_idx"),
                        "queue count: \(queueCount.nodeTypes) \(queueCount.indexes)\n\(queueJSON)")
                // A word of one appeal (its number in the text): the GIN index of the stored vector finds it.
                let search = try AppealQuery(.init(textQuery: "12345"))
                let (found, searchJSON) = try plan(search.pageSQL)
                #expect(found.indexes.contains("appeals_search_day_idx"), "text search: \(found.indexes)\n\(searchJSON)")
                #expect(searchJSON.contains("search_vector") && !searchJSON.contains("to_tsvector"), "the stored vector is matched")
                #expect(try conn.query(search.pageSQL).rows.map { $0.string("number") } == ["S-12345"])
                // Migration 21: the vector's lexeme statistics keep 1,000 entries per sample unit, whatever the server's
                // default (at a million appeals the default 100 made a word in no appeal read every row: README).
                let target = try conn.query("""
                    SELECT attstattarget AS t FROM pg_attribute WHERE attrelid = 'appeals'::regclass AND attname = 'search_vector'
                    """).first?.int("t")
                #expect(target == 1000)
            }
        }
    }

    /// The deadline watcher runs its four checks every 30 s: each reads the partial index of its deadline (migration
    /// 19 added the first-reaction one; before, that check read the whole table on every pass).
    @Test func theDeadlineWatchersChecksReadTheirIndexesNotTheTable() async throws {
        try await withAppealService { _, env, _, _ in
            let pool = try #require(env.pool)
            try await insertSynthetic(pool, count: Self.rows)
            try await pool.withConnection { conn in
                try conn.query("""
                    UPDATE appeals SET first_reaction_due = received_at + interval '1 day'
                    WHERE status IN ('received', 'registered', 'assigned', 'forwarded')
                    """)
                try conn.unsafeExecute("VACUUM ANALYZE appeals")
                let expected = ["register": "appeals_register_due_idx", "forward": "appeals_forward_due_idx",
                                "answer": "appeals_answer_due_idx", "first_reaction": "appeals_first_reaction_due_idx"]
                #expect(Set(DeadlineWatcher.checks.map(\.kind)) == Set(expected.keys))
                for check in DeadlineWatcher.checks {
                    let sql = DeadlineWatcher.candidatesSQL(check, now: Date(timeIntervalSince1970: 1_796_000_000))
                    let json = try conn.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + sql).rows.first?.string("QUERY PLAN") ?? ""
                    let work = try PlanWork(json)
                    #expect(!work.nodeTypes.contains("Seq Scan"), "\(check.kind): \(work.nodeTypes)\n\(json)")
                    #expect(work.indexes.contains(expected[check.kind] ?? ""), "\(check.kind): \(work.indexes)\n\(json)")
                }
            }
        }
    }

    /// The periodic loop: every check on the first pass and on every `dayScaleEvery`-th, the first reaction (hours on
    /// a working-hours clock) on every pass; a check the rules add later is a day-scale one unless listed here.
    @Test func theWatcherChecksTheFirstReactionOnEveryPassAndDayScaleDeadlinesEveryTenth() {
        let all = Set(DeadlineWatcher.checks.map(\.kind))
        #expect(DeadlineWatcher.kinds(forPass: 0) == all)
        #expect(DeadlineWatcher.kinds(forPass: DeadlineWatcher.dayScaleEvery) == all)
        for pass in 1..<DeadlineWatcher.dayScaleEvery { #expect(DeadlineWatcher.kinds(forPass: pass) == ["first_reaction"]) }
        #expect(all.contains("first_reaction"), "the kind checked on every pass is one the rules define")
        // A check whose last pass found as many misses as a pass takes up runs again at the next pass.
        #expect(DeadlineWatcher.kinds(forPass: 1, saturated: ["answer"]) == ["first_reaction", "answer"])
        #expect(DeadlineWatcher.kinds(forPass: DeadlineWatcher.dayScaleEvery, saturated: ["answer"]) == all)
    }

    /// After a bulk import of appeals already past their answer deadline, a pass takes up `candidateLimit` misses, says
    /// more are waiting, and the next pass takes up the rest — each miss alerted once, earliest first.
    @Test func aPassThatFoundItsLimitOfMissesSaysMoreAreWaiting() async throws {
        try await withAppealService { _, env, built, _ in
            let pool = try #require(env.pool)
            try await pool.withConnection { conn in
                for i in 0..<3 {
                    try conn.query("""
                        INSERT INTO appeals (id, number, channel, external_id, status, agency_id, body, redacted_body, received_at, answer_due)
                        VALUES (gen_random_uuid(), \("IMP-\(i)"), 'portal', \("imp-\(i)"), 'assigned', 'kursk-zhkh', 'Архивное обращение',
                                'Архивное обращение', now() - interval '90 days', now() - interval '60 days' + \(i) * interval '1 hour')
                        """)
                }
            }
            let watcher = DeadlineWatcher(pool: pool, relay: built.relay, logger: env.logger, candidateLimit: 2)
            let first = try await watcher.pass(kinds: ["answer"])
            // Every appeal past its answer deadline is marked for the overdue lists in the first pass, whatever the
            // alert limit (OverdueMarks), and only once.
            #expect(first == .init(alerts: 2, saturated: ["answer"], marked: 3))
            let second = try await watcher.pass(kinds: DeadlineWatcher.kinds(forPass: 1, saturated: first.saturated))
            #expect(second.alerts == 1 && second.saturated.isEmpty)
            #expect(try await watcher.pass(kinds: ["answer"]) == .init(), "each miss is alerted once")
            let alerted = try await pool.withConnection { conn in
                try conn.query("""
                    SELECT a.number FROM deadline_alerts d JOIN appeals a ON a.id = d.appeal_id WHERE d.kind = 'answer' ORDER BY d.alerted_at, a.number
                    """).rows.map { $0.string("number") }
            }
            #expect(alerted == ["IMP-0", "IMP-1", "IMP-2"], "earliest deadline first")
        }
    }

    /// Only the redacted text is searchable (a name the redaction removed finds nothing), with Russian stemming.
    /// Migration 26: a word common in older appeals but rare among the newest (as `отопление` in summer) fills its first
    /// page from the day-by-day matches of the (vector, day) index, not by checking every newest appeal; paging on
    /// keyset tokens returns exactly the matches, newest first, across the end of the recent days and the older part.
    @Test func textSearchTakesTheNewestMatchesDayByDayAndPagesOnIntoOlderAppeals() async throws {
        try await withAppealService { _, env, _, client in
            let pool = try #require(env.pool)
            try await insertSynthetic(pool, count: Self.rows)   // 720 a day back from 30 November, 83 days
            let truth = try await pool.withConnection { conn in
                // Every 25th appeal older than ten days, every 400th of the newest ten (the trigger recomputes the vector).
                try conn.query("""
                    UPDATE appeals SET redacted_body = redacted_body || ' нет отопления'
                    WHERE (received_at < timestamptz '2026-11-20 12:00+00' AND substr(number, 3)::int % 25 = 0)
                       OR (received_at >= timestamptz '2026-11-20 12:00+00' AND substr(number, 3)::int % 400 = 0)
                    """)
                // And a rare word in three appeals, one of them among the newest: its matches are read and sorted.
                try conn.query("""
                    UPDATE appeals SET redacted_body = redacted_body || ' сломан шлагбаум' WHERE number IN ('S-5', 'S-20000', 'S-40000')
                    """)
                try conn.unsafeExecute("VACUUM ANALYZE appeals")
                let truth = try conn.query("""
                    SELECT number FROM appeals WHERE search_vector @@ plainto_tsquery('russian', 'отопление') ORDER BY received_at DESC, id DESC
                    """).rows.map { $0.string("number") }
                #expect(truth.count > 2_000)
                let query = try AppealQuery(.init(textQuery: "отопление"))
                let plan = try conn.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + query.pageSQL).rows.first?.string("QUERY PLAN") ?? ""
                let work = try PlanWork(plan)
                // 18 matches in the newest ten days, 29 a day before them: about 80 matches sorted, 51 rows by key.
                // Checking the newest appeals one by one would read at least the 7,200 of those ten days.
                #expect(work.indexes.contains("appeals_search_day_idx") && work.rowsVisited < 600, "read \(work.rowsVisited) rows\n\(plan)")
                // A word of few appeals: all its matches, then sorted — prepared, and even the plan PostgreSQL makes for
                // any words (a generic plan) cannot walk the newest appeals instead.
                var rare = try AppealQuery(.init(textQuery: "шлагбаум"))
                rare.textSearch = .allMatches
                let statement = rare.pageStatement
                #expect(!statement.planEachCall && statement.binds == ["шлагбаум", "шлагбаум"])
                try conn.unsafeExecute("SET plan_cache_mode = force_generic_plan")
                try conn.unsafeExecute("PREPARE rare_page AS " + statement.text)
                let generic = try conn.query("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE rare_page('шлагбаум', 'шлагбаум')").rows.first?.string("QUERY PLAN") ?? ""
                let rareWork = try PlanWork(generic)
                #expect(rareWork.indexes.contains("appeals_search_day_idx") && rareWork.rowsVisited < 100, "read \(rareWork.rowsVisited) rows\n\(generic)")
                try conn.unsafeExecute("DEALLOCATE rare_page")
                try conn.unsafeExecute("RESET plan_cache_mode")
                // The same shape planned for a common word: its matches are collected and sorted — never the walk along
                // the newest appeals that PostgreSQL would choose for it without the fence (8,000 rows above).
                var collected = try AppealQuery(.init(textQuery: "отопление"))
                collected.textSearch = .allMatches
                let collectedJSON = try conn.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + collected.pageSQL).rows.first?.string("QUERY PLAN") ?? ""
                let collectedWork = try PlanWork(collectedJSON)
                #expect(!collectedWork.indexes.contains("appeals_received_idx") && collectedWork.indexes.contains("appeals_search_day_idx"),
                        "\(collectedWork.indexes)\n\(collectedJSON)")
                return truth
            }
            // Through the service: pages of 100 on its tokens, across the end of the recent days into the older part.
            var listed: [String] = [], token = ""
            repeat {
                let page = try await client.listAppeals(.init(textQuery: "отопление", page: .init(pageSize: 100, pageToken: token)))
                listed += page.appeals.map(\.number)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(listed == truth, "pages: \(listed.count) appeals, \(Set(listed).count) distinct; matches: \(truth.count)")
            #expect(try await client.listAppeals(.init(textQuery: "шлагбаум")).appeals.map(\.number) == ["S-5", "S-20000", "S-40000"])
        }
    }

    /// Migration 26 needs `btree_gin`, which only the administrator may create (`veche-tool db-setup` does). A database
    /// prepared without it stops AppealService's migrations with a message naming the extension and the command, and
    /// nothing is applied; once the administrator has created it, the same migrations apply.
    @Test func aDatabaseWithoutBtreeGinStopsTheMigrationsWithAMessageNamingTheExtension() async throws {
        try await withCluster { cluster in
            let admin = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { admin.close() }
            try await admin.withConnection { _ = try $0.unsafeExecute("DROP EXTENSION btree_gin") }
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let pool = try env.requirePool()
            do {
                try await Migrator.migrate(pool: pool, schema: AppealSchema.name, migrations: AppealSchema.migrations)
                Issue.record("the migrations ran without btree_gin")
            } catch {
                #expect("\(error)".contains("btree_gin") && "\(error)".contains("veche-tool db-setup"), "\(error)")
            }
            #expect(try await pool.query("SELECT 1 AS one FROM pg_tables WHERE schemaname = 'appeal' AND tablename = 'appeals'").first == nil,
                    "the migrations are one transaction: nothing was applied")
            try await admin.withConnection { _ = try $0.unsafeExecute("CREATE EXTENSION btree_gin") }
            let applied = try await Migrator.migrate(pool: pool, schema: AppealSchema.name, migrations: AppealSchema.migrations)
            #expect(applied.contains(26) && applied.count == AppealSchema.migrations.count)
        }
    }

    @Test func textSearchMatchesTheRedactedTextOnly() async throws {
        try await withAppealService { _, env, _, client in
            let pool = try #require(env.pool)
            try await pool.withConnection { conn in
                try conn.query("""
                    INSERT INTO appeals (id, number, channel, external_id, status, body, redacted_body, received_at)
                    VALUES (gen_random_uuid(), 'FTS-1', 'portal', 'fts-1', 'registered', 'Пишет Сидоров Пётр Ильич: в доме нет отопления',
                            'Пишет [ФИО]: в доме нет отопления', now())
                    """)
            }
            #expect(try await client.listAppeals(.init(textQuery: "отоплении")).appeals.map(\.number) == ["FTS-1"])
            #expect(try await client.listAppeals(.init(textQuery: "Сидоров")).appeals.isEmpty)
            #expect(try await client.listAppeals(.init(textQuery: "FTS-1")).appeals.map(\.number) == ["FTS-1"])
        }
    }

    /// A list total is counted once while no appeal changes and counted again after any statement that writes
    /// `appeals` — here one from another connection, as another instance or a tool would — so a shared total is never
    /// older than the last committed change it could have seen.
    @Test func listTotalsAreSharedUntilAnAppealChanges() async throws {
        try await withAppealService { _, env, _, client in
            let pool = try #require(env.pool)
            try await insertSynthetic(pool, count: 3_000)
            let totals = ListCounts(ttl: .seconds(600))
            let statement: SQL = "SELECT count(*) AS n FROM appeals a WHERE a.agency_id = 'agency-3'"
            let (first, second) = try await pool.withConnection { conn in (try totals.count(conn, statement), try totals.count(conn, statement)) }
            #expect(first == second && first > 0 && totals.counted == 1, "the second request shares the first count")

            let listed = try await client.listAppeals(.init(agencyId: "agency-3", page: .init(pageSize: 10)))
            #expect(listed.totalCount == first && !listed.totalIsEstimate)
            try await pool.withConnection { conn in
                try conn.query("UPDATE appeals SET agency_id = 'agency-3' WHERE id = (SELECT id FROM appeals WHERE agency_id = 'agency-4' LIMIT 1)")
            }
            let after = try await pool.withConnection { conn in try totals.count(conn, statement) }
            #expect(after == first + 1 && totals.counted == 2, "a change of any appeal is counted again")
            #expect(try await client.listAppeals(.init(agencyId: "agency-3", page: .init(pageSize: 10))).totalCount == first + 1,
                    "the service's own shared total follows the change at once")
            // A writer whose search path does not name the schema (an administrator's psql, the read bench's bulk load):
            // the trigger still finds its counter (migration 24), and the change is counted too.
            try await pool.transaction { conn in
                _ = try conn.unsafeExecute("SET LOCAL search_path TO public")
                try conn.query("""
                    UPDATE appeal.appeals SET agency_id = 'agency-3' WHERE id = (SELECT id FROM appeal.appeals WHERE agency_id = 'agency-4' LIMIT 1)
                    """)
            }
            let outside = try await pool.withConnection { conn in try totals.count(conn, statement) }
            #expect(outside == first + 2 && totals.counted == 3, "a change from outside the schema's search path is counted again")
        }
    }

    @Test func keysetPagesAreCompleteDisjointAndInOrderAcrossOpenAndFinishedAppeals() async throws {
        try await withAppealService { _, env, _, client in
            let pool = try #require(env.pool)
            // 30,000 appeals, two minutes apart back from 30 November: the oldest twelve days' open ones are overdue.
            try await insertSynthetic(pool, count: 30_000)
            // The deadline watcher's overdue marks (OverdueMarks), then what happens between its passes: appeals
            // overdue since (every third roads one unmarked), a marked appeal given a new deadline still to come (no
            // longer overdue), and one given another deadline already past (overdue, its mark now stale).
            #expect(try await OverdueMarks.markPending(pool) > 1_000)
            try await pool.withConnection { conn in
                try conn.query("""
                    UPDATE appeals SET answer_missed_due = NULL
                    WHERE topic_code = 'roads' AND answer_missed_due IS NOT NULL AND ('x' || substr(md5(id::text), 1, 8))::bit(32)::int % 3 = 0
                    """)
                try conn.query("""
                    UPDATE appeals SET answer_due = now() + interval '20 days' WHERE id = (SELECT id FROM appeals
                        WHERE topic_code = 'roads' AND answer_missed_due = answer_due ORDER BY received_at DESC LIMIT 1)
                    """)
                try conn.query("""
                    UPDATE appeals SET answer_due = answer_due - interval '1 day' WHERE id = (SELECT id FROM appeals
                        WHERE topic_code = 'roads' AND answer_missed_due = answer_due ORDER BY received_at DESC LIMIT 1)
                    """)
            }
            let due = AppealQuery.nextDue
            let checks: [(AppealV1.ListAppealsRequest, SQL)] = [
                (.init(agencyId: "agency-3", order: .deadline), "SELECT a.id::text AS id FROM appeals a WHERE a.agency_id = 'agency-3' ORDER BY \(due), a.id"),
                (.init(statuses: [.closed, .registered], municipalityOktmo: "38700004"),
                 "SELECT a.id::text AS id FROM appeals a WHERE a.status IN ('closed','registered') AND a.municipality_oktmo = '38700004' ORDER BY a.received_at DESC, a.id DESC"),
                // Overdue pages come from the marks and the unmarked overdue appeals (migration 25), still newest first.
                (.init(topicCode: "roads", overdueOnly: true),
                 "SELECT a.id::text AS id FROM appeals a WHERE a.topic_code = 'roads' AND a.status NOT IN ('answered','closed') AND a.answer_due < now() ORDER BY a.received_at DESC, a.id DESC"),
            ]
            for (request, expectedSQL) in checks {
                let expected = try await pool.withConnection { conn in try conn.query(expectedSQL).rows.map { $0.string("id") } }
                #expect(expected.count > 150)
                var seen: [String] = []
                var totals: Set<Int64> = []
                var token = ""
                var r = request
                repeat {
                    r.page = CommonV1.PageRequest(pageSize: 97, pageToken: token)
                    let page = try await client.listAppeals(r)
                    seen += page.appeals.map(\.id)
                    totals.insert(page.totalCount)
                    #expect(!page.totalIsEstimate)
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(seen == expected, "pages are complete, disjoint and in order")
                #expect(totals == [Int64(expected.count)], "every page carries the first page's exact total")
            }
            // Beyond the exact-count limit the total is the planner's estimate, and says so.
            let all = try await client.listAppeals(.init(page: .init(pageSize: 10)))
            #expect(all.totalIsEstimate)
            #expect(all.totalCount > Int64(AppealQuery.exactCountLimit))
            let second = try await client.listAppeals(.init(page: .init(pageSize: 10, pageToken: all.nextPageToken)))
            #expect(second.totalCount == all.totalCount && second.totalIsEstimate)
            // Tokens issued before totals were carried still page (and recount).
            let legacy = Data("\(second.appeals.last!.receivedAtMs)/\(second.appeals.last!.id)".utf8).base64EncodedString()
            let third = try await client.listAppeals(.init(page: .init(pageSize: 10, pageToken: legacy)))
            #expect(third.appeals.count == 10 && Set(third.appeals.map(\.id)).isDisjoint(with: second.appeals.map(\.id)))
        }
    }

    @Test func activityAndStatsAreAggregatedByTheServiceForTheWindowAndTimeZone() async throws {
        try await withAppealService { _, env, _, client in
            let pool = try #require(env.pool)
            try await pool.withConnection { conn in
                // (external id, topic, status, received, answered, answer due, flags)
                let rows: [(String, String, String, String, String?, String?, String)] = [
                    ("r1", "housing", "answered", "2026-11-02 10:00+00", "2026-11-02 20:00+00", "2026-12-02 00:00+00", "{corruption}"),
                    ("r2", "housing", "closed", "2026-11-02 22:30+00", "2026-11-06 22:30+00", "2026-11-05 00:00+00", "{}"),
                    ("r3", "roads", "assigned", "2026-11-03 09:00+00", nil, "2026-11-10 00:00+00", "{}"),
                    ("r4", "", "in_progress", "2026-11-04 09:00+00", nil, "2099-01-01 00:00+00", "{}"),
                    ("r5", "roads", "closed", "2026-11-05 09:00+00", nil, "2026-12-05 00:00+00", "{}"),
                    ("r6", "roads", "received", "2026-10-31 09:00+00", nil, "2026-11-30 00:00+00", "{}"),
                    // Answered, but it never had an answer deadline: neither on time nor late (RatingService's rule).
                    ("r7", "housing", "answered", "2026-11-04 09:00+00", "2026-11-06 14:00+00", nil, "{}"),
                ]
                for (ext, topic, status, received, answered, due, flags) in rows {
                    try conn.query("""
                        INSERT INTO appeals (id, number, channel, external_id, status, body, topic_code, received_at, registered_at,
                                             answered_at, answer_due, monitoring_flags)
                        VALUES (gen_random_uuid(), \(ext), 'portal', \(ext), \(status), 'текст', \(topic), \(received)::timestamptz,
                                \(received)::timestamptz, \(answered)::timestamptz, \(due)::timestamptz, \(flags)::text[])
                        """)
                }
            }
            let from = Int64(1_793_491_200_000), to = Int64(1_796_083_200_000)   // 2026-11-01 .. 2026-12-01 UTC
            let a = try await client.getActivity(.init(fromMs: from, toMs: to, timeZone: "Europe/Moscow"))
            #expect(a.appeals == 6)
            #expect((a.answered, a.onTime, a.late, a.overdueOpen, a.inProgress) == (3, 1, 1, 1, 1))
            #expect(a.medianAnswerHours == 53)                     // 10 h, 53 h and 96 h
            #expect(a.answerTimeBuckets.map(\.count) == [1, 1, 1, 0, 0])
            #expect(a.answerTimeBuckets.map(\.key) == ["24", "72", "168", "720", ""])
            #expect(a.flags == [AppealV1.CountByKey(key: "corruption", count: 1)])
            // Days in Moscow time: r2 arrived 01:30 on 3 November and was answered 01:30 on 7 November.
            #expect(a.daily.map(\.date) == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07"])
            #expect(a.daily.map(\.received) == [1, 2, 2, 1, 0, 0])
            #expect(a.daily.map(\.answered) == [1, 0, 0, 0, 1, 1])
            let topics = Dictionary(uniqueKeysWithValues: a.byTopic.map { ($0.topicCode, $0) })
            let housing = try #require(topics["housing"]), roads = try #require(topics["roads"])
            #expect(housing.onTime == 1 && housing.late == 1 && housing.answered == 3 && housing.medianAnswerHours == 53)
            #expect(roads.late == 1 && roads.inProgress == 0)   // r3 is past its answer deadline
            #expect(topics["other"]?.inProgress == 1)
            await #expect(throws: RPCError.self) { _ = try await client.getActivity(.init(fromMs: from, toMs: to, timeZone: "Mars/Olympus")) }

            let stats = try await client.getStats(.init(fromMs: from, toMs: to))
            #expect((stats.total, stats.open, stats.overdue, stats.answered) == (6, 2, 1, 3))
            #expect(stats.byStatus == [.init(key: "answered", count: 2), .init(key: "closed", count: 2),
                                       .init(key: "assigned", count: 1), .init(key: "in_progress", count: 1)])
            #expect(stats.byTopic == [.init(key: "housing", count: 3), .init(key: "roads", count: 2), .init(key: "", count: 1)])
            #expect(try await client.getStats(.init()).total == 7)
        }
    }
}
