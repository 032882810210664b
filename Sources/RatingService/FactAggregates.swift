import Foundation
import RatingEngine
import VecheRuntime

/// The rating's figures counted in PostgreSQL: one aggregate query per request returns a `GroupTally` per group
/// instead of every fact of the period (a month at a million appeals was 270,000 facts, over 600 MiB in the
/// service and 2 s per ranking). The definitions are `GroupTally`'s and `RatingHandlers`' (repeat appeals);
/// `FactAggregatesTests` checks the query against `MetricsCalculator` over the same facts.
enum FactAggregates {
    /// Which facts: registered in [start, end) — the window repeats are found in (an appeal is a repeat of an earlier
    /// one in the window) — of one topic ("" = all); counted when registered before `countBefore` (nil: `end`).
    struct Scope: Hashable, Sendable {
        var start: Date
        var end: Date
        var topic = ""
        var countBefore: Date?
    }

    /// One group's counts and its unanswered appeals past their deadline at `asOf`.
    struct Group: Sendable {
        var key: String
        var tally: GroupTally
        var overdueOpen: Int
    }

    /// The counts of a scope for every grouping at once: per agency, municipality, topic and category, and overall
    /// (key nil). Each grouping's facts without a value of its dimension are its group "" (the handlers leave it out
    /// of rankings: nobody's record is not ranked).
    struct Counts: Sendable {
        var byDimension: [RatingEngine.Dimension: [Group]] = [:]
        /// Every fact of the scope as one group; nil when the scope has none.
        var overall: Group?

        /// The groups of one dimension (nil: overall), without the facts lacking its value when `skipEmptyKeys`.
        func groups(by dimension: RatingEngine.Dimension?, skipEmptyKeys: Bool) -> [Group] {
            guard let dimension else { return overall.map { [$0] } ?? [] }
            return (byDimension[dimension] ?? []).filter { !skipEmptyKeys || !$0.key.isEmpty }
        }
    }

    /// Counts every grouping of the facts in `scope` as of `asOf` in one query: the repeat flags (two window sorts
    /// over the scope, most of the cost) are found once for all of them (`GROUPING SETS`).
    /// Text is sorted and grouped byte-wise (`COLLATE "C"`): equality is the same in every collation, and the
    /// window sorts take half the time of the database's default collation.
    static func counts(_ conn: PGConnection, scope: Scope, asOf: Date, satisfiedThreshold: Int) throws -> Counts {
        var windowFilter: SQL = "registered_at >= \(scope.start)::timestamptz AND registered_at < \(scope.end)::timestamptz"
        if !scope.topic.isEmpty { windowFilter = windowFilter + " AND topic_code = \(scope.topic)" }
        let answered: SQL = "answered_at <= \(asOf)::timestamptz"
        let sql: SQL = """
            WITH facts AS (
                SELECT agency_id COLLATE "C" AS agency, municipality_oktmo COLLATE "C" AS municipality,
                       topic_code COLLATE "C" AS topic, category_code COLLATE "C" AS category,
                       registered_at, answered_at, answer_due, extension_count, reopen_count, satisfaction, answer_complete,
                       author_key <> '' AND (
                           row_number() OVER (PARTITION BY author_key COLLATE "C", topic_code COLLATE "C", category_code COLLATE "C"
                                              ORDER BY registered_at, appeal_id COLLATE "C") > 1
                           OR (problem_group_id <> ''
                               AND row_number() OVER (PARTITION BY author_key COLLATE "C", problem_group_id COLLATE "C"
                                                  ORDER BY registered_at, appeal_id COLLATE "C") > 1)
                       ) AS is_repeat
                FROM appeal_facts
                WHERE \(windowFilter)
            )
            SELECT CASE WHEN GROUPING(agency) = 0 THEN 'agency' WHEN GROUPING(municipality) = 0 THEN 'municipality'
                        WHEN GROUPING(topic) = 0 THEN 'topic' WHEN GROUPING(category) = 0 THEN 'category' ELSE '' END AS dimension,
                   coalesce(agency, municipality, topic, category, '') AS key, count(*) AS volume,
                   count(*) FILTER (WHERE \(answered)) AS answered,
                   count(*) FILTER (WHERE answer_due IS NOT NULL AND (\(answered) OR answer_due < \(asOf)::timestamptz)) AS due,
                   count(*) FILTER (WHERE \(answered) AND answered_at <= answer_due) AS on_time,
                   count(*) FILTER (WHERE satisfaction BETWEEN 1 AND 5) AS rated,
                   count(*) FILTER (WHERE satisfaction BETWEEN \(satisfiedThreshold) AND 5) AS satisfied,
                   coalesce(sum(satisfaction) FILTER (WHERE satisfaction BETWEEN 1 AND 5), 0) AS satisfaction_sum,
                   count(answer_complete) AS completeness_count,
                   count(*) FILTER (WHERE answer_complete) AS completeness_sum,
                   count(*) FILTER (WHERE \(answered) AND reopen_count > 0) AS reopened,
                   count(*) FILTER (WHERE is_repeat) AS repeats,
                   count(*) FILTER (WHERE extension_count > 0) AS extended,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM answered_at) - extract(epoch FROM registered_at))::float8 / 3600)
                       FILTER (WHERE \(answered)) AS median_hours,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY (extract(epoch FROM answered_at) - extract(epoch FROM registered_at))::float8 / 3600)
                       FILTER (WHERE \(answered)) AS p90_hours,
                   count(*) FILTER (WHERE answer_due < \(asOf)::timestamptz AND NOT coalesce(\(answered), false)) AS overdue_open
            FROM facts
            WHERE registered_at < \((scope.countBefore ?? scope.end))::timestamptz
            GROUP BY GROUPING SETS ((agency), (municipality), (topic), (category), ())
            """
        var out = Counts()
        for r in try conn.query(sql.plannedEachCall()).rows {
            var t = GroupTally()
            t.volume = Int(r.int("volume"))
            t.answered = Int(r.int("answered"))
            t.due = Int(r.int("due"))
            t.onTime = Int(r.int("on_time"))
            t.rated = Int(r.int("rated"))
            t.satisfied = Int(r.int("satisfied"))
            t.satisfactionSum = r.double("satisfaction_sum")
            t.completenessCount = Int(r.int("completeness_count"))
            t.completenessSum = r.double("completeness_sum")
            t.reopened = Int(r.int("reopened"))
            t.repeats = Int(r.int("repeats"))
            t.extended = Int(r.int("extended"))
            t.medianAnswerHours = r["median_hours"].flatMap(Double.init)
            t.p90AnswerHours = r["p90_hours"].flatMap(Double.init)
            let group = Group(key: r.string("key"), tally: t, overdueOpen: Int(r.int("overdue_open")))
            if let d = RatingEngine.Dimension(rawValue: r.string("dimension")) {
                out.byDimension[d, default: []].append(group)
            } else if t.volume > 0 {
                out.overall = group    // the empty grouping set answers one row even for no facts
            }
        }
        return out
    }

    /// Appeals registered in [start, end) counted per topic, category and — for categories that are "other"
    /// (`otherCodes` or a code ending in ".other") — sub-reason as written.
    static func problemCounts(_ conn: PGConnection, start: Date, end: Date, otherCodes: Set<String>) throws -> [ProblemTally] {
        let others = Array(otherCodes).sorted()
        return try conn.query("""
            SELECT topic_code, category_code,
                   CASE WHEN category_code = ANY(\(others)::text[]) OR category_code LIKE '%.other' THEN sub_reason END AS sub_reason,
                   count(*) AS n
            FROM appeal_facts
            WHERE registered_at >= \(start)::timestamptz AND registered_at < \(end)::timestamptz
            GROUP BY 1, 2, 3
            """).rows.map { r in
            ProblemTally(topic: r.string("topic_code"), category: r.string("category_code"), subReason: r["sub_reason"], count: Int(r.int("n")))
        }
    }
}
