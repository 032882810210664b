import Contracts
import Foundation
import VecheRuntime

/// Region-wide aggregates without personal data (GetStats, GetActivity): one GROUP BY statement each over
/// the window's appeals, served from a cache shared by all callers for `AppealAggregates.ttl`, or ten times as
/// long as the aggregate took (a dashboard watched by many people costs one aggregation per few seconds, not one
/// per viewer, and at a million appeals — 1.6 s per aggregate — at most a tenth of one connection).
struct AppealAggregates: Sendable {
    /// How long an aggregate is served before it is recomputed (stale values keep being served meanwhile).
    static let ttl: Duration = .seconds(2)
    /// An aggregate is served for at least this many times its computing time.
    static let costFactor = 10

    let stats: FreshCache<AppealV1.GetStatsRequest, AppealV1.GetStatsResponse>
    let activity: FreshCache<AppealV1.GetActivityRequest, AppealV1.GetActivityResponse>

    /// `refresher`: recomputes stale aggregates off the callers' requests (nil: the caller that finds one stale does).
    init(refresher: BackgroundRefresher? = nil) {
        stats = FreshCache(ttl: Self.ttl, costFactor: Self.costFactor, refresher: refresher)
        activity = FreshCache(ttl: Self.ttl, costFactor: Self.costFactor, refresher: refresher)
    }

    /// The period's condition; statements using it are planned for their period at every call (an open end
    /// folds away only when the planner sees the value).
    static func window(_ fromMs: Int64, _ toMs: Int64) -> SQL {
        let from = AppealStore.date(fromMs), to = AppealStore.date(toMs)
        let condition: SQL = "received_at >= coalesce(\(from)::timestamptz, '-infinity') AND received_at < coalesce(\(to)::timestamptz, 'infinity')"
        return condition.plannedEachCall()
    }

    /// Totals and counts by status, channel and topic in one pass (grouping sets).
    static func stats(_ conn: PGConnection, _ r: AppealV1.GetStatsRequest) throws -> AppealV1.GetStatsResponse {
        let rows = try conn.query("""
            SELECT GROUPING(status, channel, topic_code) AS g, status, channel, topic_code, count(*) AS n,
                   count(*) FILTER (WHERE status NOT IN ('answered','closed')) AS open,
                   count(*) FILTER (WHERE status NOT IN ('answered','closed') AND answer_due < now()) AS overdue,
                   count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
                   coalesce(avg(satisfaction) FILTER (WHERE satisfaction > 0), 0) AS sat
            FROM appeals WHERE \(window(r.fromMs, r.toMs))
            GROUP BY GROUPING SETS ((status), (channel), (topic_code), ())
            """).rows
        var out = AppealV1.GetStatsResponse()
        func counts(_ grouping: Int64, _ column: String) -> [AppealV1.CountByKey] {
            rows.filter { $0.int("g") == grouping }.map { AppealV1.CountByKey(key: $0.string(column), count: $0.int("n")) }
                .sorted { ($0.count, $1.key) > ($1.count, $0.key) }
        }
        if let t = rows.first(where: { $0.int("g") == 7 }) {
            out.total = t.int("n")
            out.open = t.int("open")
            out.overdue = t.int("overdue")
            out.answered = t.int("answered")
            out.meanSatisfaction = t.double("sat")
        }
        // GROUPING bits: status 4, channel 2, topic_code 1 (set = not grouped by that column).
        out.byStatus = counts(3, "status")
        out.byChannel = counts(5, "channel")
        out.byTopic = counts(6, "topic_code")
        return out
    }

    /// Upper bounds (hours) of the answer-time buckets; the last bucket is open.
    static let bucketHours = [24, 72, 168, 720]

    /// The window's activity in one statement over its appeals (materialised once): timeliness by topic and
    /// overall (grouping sets), intake and answers by day in `time_zone`, special-monitoring flags. On time and late
    /// count only answers to appeals that had an answer deadline, as RatingService's `onTimeShare` does (an answer
    /// without a deadline was counted on time before).
    static func activity(_ conn: PGConnection, _ r: AppealV1.GetActivityRequest) throws -> AppealV1.GetActivityResponse {
        let zone = r.timeZone.isEmpty ? "UTC" : r.timeZone
        guard TimeZone(identifier: zone) != nil else { throw RPCError.invalidArgument("time_zone \(zone) is not an IANA time zone") }
        let b = bucketHours
        let rows = try conn.query("""
            WITH w AS MATERIALIZED (
                SELECT CASE WHEN topic_code = '' THEN 'other' ELSE topic_code END AS topic, monitoring_flags,
                       (received_at AT TIME ZONE \(zone))::date AS rday, (answered_at AT TIME ZONE \(zone))::date AS aday,
                       answered_at IS NOT NULL AS answered,
                       answered_at IS NOT NULL AND answered_at <= answer_due AS on_time,
                       answered_at IS NOT NULL AND answered_at > answer_due AS late,
                       answered_at IS NULL AND status <> 'closed' AND answer_due < now() AS overdue_open,
                       answered_at IS NULL AND status <> 'closed' AND (answer_due IS NULL OR answer_due >= now()) AS in_progress,
                       CASE WHEN answered_at IS NOT NULL
                            THEN greatest(0, extract(epoch FROM answered_at - coalesce(registered_at, received_at)) / 3600) END AS hours
                FROM appeals WHERE \(window(r.fromMs, r.toMs)))
            SELECT CASE WHEN GROUPING(topic) = 1 THEN 'all' ELSE 'topic' END AS kind, topic AS key, count(*) AS n,
                   count(*) FILTER (WHERE answered) AS answered, count(*) FILTER (WHERE on_time) AS on_time,
                   count(*) FILTER (WHERE late) AS late, count(*) FILTER (WHERE overdue_open) AS overdue_open,
                   count(*) FILTER (WHERE in_progress) AS in_progress,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
                   count(*) FILTER (WHERE hours < \(b[0])) AS b0,
                   count(*) FILTER (WHERE hours >= \(b[0]) AND hours < \(b[1])) AS b1,
                   count(*) FILTER (WHERE hours >= \(b[1]) AND hours < \(b[2])) AS b2,
                   count(*) FILTER (WHERE hours >= \(b[2]) AND hours < \(b[3])) AS b3,
                   count(*) FILTER (WHERE hours >= \(b[3])) AS b4
            FROM w GROUP BY GROUPING SETS ((topic), ())
            UNION ALL
            SELECT 'received', rday::text, count(*), 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0 FROM w GROUP BY rday
            UNION ALL
            SELECT 'answered_day', aday::text, count(*), 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0 FROM w WHERE aday IS NOT NULL GROUP BY aday
            UNION ALL
            SELECT 'flag', f, count(*), 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0 FROM w, unnest(w.monitoring_flags) f GROUP BY f
            """).rows
        var out = AppealV1.GetActivityResponse()
        var days: [String: AppealV1.ActivityDay] = [:]
        for row in rows {
            let key = row.string("key"), n = row.int("n")
            switch row.string("kind") {
            case "all":
                out.appeals = n
                out.answered = row.int("answered")
                out.onTime = row.int("on_time")
                out.late = row.int("late")
                out.overdueOpen = row.int("overdue_open")
                out.inProgress = row.int("in_progress")
                out.medianAnswerHours = row.double("median")
                out.answerTimeBuckets = (0...b.count).map { i in
                    AppealV1.CountByKey(key: i < b.count ? String(b[i]) : "", count: row.int("b\(i)"))
                }
            case "topic":
                out.byTopic.append(AppealV1.TopicTimeliness(topicCode: key, onTime: row.int("on_time"),
                                                            late: row.int("late") + row.int("overdue_open"), inProgress: row.int("in_progress"),
                                                            medianAnswerHours: row.double("median"), answered: row.int("answered")))
            case "received": days[key, default: AppealV1.ActivityDay(date: key)].received = n
            case "answered_day": days[key, default: AppealV1.ActivityDay(date: key)].answered = n
            default: out.flags.append(AppealV1.CountByKey(key: key, count: n))
            }
        }
        out.daily = days.values.sorted { $0.date < $1.date }
        out.flags.sort { ($0.count, $1.key) > ($1.count, $0.key) }
        out.byTopic.sort { ($0.onTime + $0.late + $0.inProgress, $1.topicCode) > ($1.onTime + $1.late + $1.inProgress, $0.topicCode) }
        return out
    }
}

/// GetStats / GetActivity: aggregates only (no personal data), so every caller the method rules admit gets
/// the same figures, from the shared cache.
extension AppealHandlers {
    func getStats(request: AppealV1.GetStatsRequest, context: RPCContext) async throws -> AppealV1.GetStatsResponse {
        let pool = self.pool
        return try await aggregates.stats.value(request) {
            try await pool.withConnection { conn in try AppealAggregates.stats(conn, request) }
        }
    }

    func getActivity(request: AppealV1.GetActivityRequest, context: RPCContext) async throws -> AppealV1.GetActivityResponse {
        let pool = self.pool
        return try await aggregates.activity.value(request) {
            try await pool.withConnection { conn in try AppealAggregates.activity(conn, request) }
        }
    }
}
