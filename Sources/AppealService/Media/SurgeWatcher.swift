import Contracts
import Foundation
import Logging
import MediaMonitoring
import ServiceLifecycle
import VecheRuntime

/// Watches for surges of posts: every `interval` it counts the stored posts per (topic, territory) and hour,
/// tests the previous and the current hour against each series' last 7 days with `SurgeDetector` (negative
/// binomial exceedance, daily rhythm, Benjamini–Hochberg across series) and opens one incident per surge —
/// none while an incident of the same topic and territory still waits for a reaction (its posts are linked
/// to it instead). Each new incident becomes an appeal on the social channel (`MediaAppeals`), routed to the
/// sector block of its topic with the working-hours first-reaction deadline.
final class SurgeWatcher: Service, @unchecked Sendable {
    let pool: PGPool
    let appeals: MediaAppeals
    let logger: Logger
    let interval: Duration

    /// Hourly buckets, a 7-day baseline with a daily rhythm.
    static let options: SurgeOptions = {
        var o = SurgeOptions()
        o.baselineWindow = 7 * 24
        o.guardBuckets = 1
        o.seasonPeriod = 24
        return o
    }()

    init(pool: PGPool, appeals: MediaAppeals, logger: Logger, interval: Duration = .seconds(60)) {
        self.pool = pool
        self.appeals = appeals
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        await Periodic.run(every: interval, logger: logger, failure: "surge watcher failed, will retry") {
            let opened = try await self.tick()
            if !opened.isEmpty { self.logger.notice("media incidents opened", metadata: ["incidents": "\(opened)"]) }
        }
    }

    /// The surges of the hours before and at `now` over the stored posts.
    static func surges(_ counts: [(topic: String, territory: String, hour: Int64, count: Int)], currentHour: Int64) -> [Surge] {
        let o = options
        let length = SurgeDetector.firstTestableBucket(o) + 2
        let first = currentHour - Int64(length - 1)
        var series: [String: CountSeries] = [:]
        for c in counts where c.hour >= first && c.hour <= currentHour {
            let key = c.topic + "\u{0}" + c.territory
            var s = series[key] ?? CountSeries(topic: c.topic, territory: c.territory, counts: [Int](repeating: 0, count: length))
            s.counts[Int(c.hour - first)] += c.count
            series[key] = s
        }
        let all = series.keys.sorted().compactMap { series[$0] }
        return SurgeDetector.detect(all, at: length - 2, options: o) + SurgeDetector.detect(all, at: length - 1, options: o)
    }

    /// One pass; returns the ids of the incidents opened. Decisions are taken under a transaction-scoped
    /// advisory lock, so two instances never open two incidents for one surge.
    @discardableResult
    func tick(now: Date = Date()) async throws -> [String] {
        let hour = Int64(floor(now.timeIntervalSince1970 / 3600))
        let length = SurgeDetector.firstTestableBucket(Self.options) + 2
        let from = Date(timeIntervalSince1970: Double(hour - Int64(length - 1)) * 3600)
        let to = Date(timeIntervalSince1970: Double(hour + 1) * 3600)
        let opened = try await pool.transaction { conn -> [String] in
            try conn.query("SELECT pg_advisory_xact_lock(hashtext('veche.media.surges'))")
            let surges = Self.surges(try IncidentStore.hourlyCounts(conn, from: from, to: to), currentHour: hour)
            var out: [String] = []
            for s in surges {
                let start = Date(timeIntervalSince1970: Double(hour - Int64(length - 1 - s.bucket)) * 3600)
                let end = start.addingTimeInterval(3600)
                let incident: String
                if let open = try IncidentStore.openIncident(conn, topic: s.topic, territory: s.territory) {
                    incident = open
                } else if let new = try IncidentStore.insert(conn, s, start: start, end: end, now: now) {
                    incident = new
                    out.append(new)
                } else {
                    continue
                }
                try IncidentStore.link(conn, incident: incident, topic: s.topic, territory: s.territory, start: start, end: end)
            }
            return out
        }
        try await fileAppeals(now: now)
        return opened
    }

    /// Files the appeal of every incident that has none yet (idempotent on the incident id).
    func fileAppeals(now: Date) async throws {
        let pending = try await pool.withConnection { try IncidentStore.withoutAppeal($0) }
        for p in pending {
            let posts = try await pool.withConnection { try IncidentStore.posts($0, incident: p.id, limit: 5) }
            let snapshot = await appeals.handlers.directory.latest()
            let name = snapshot.municipalities.first { $0.oktmo == p.territory }?.name ?? p.territory
            let draft = MediaAppeals.draft(incidentID: p.id, topic: p.topic, municipality: p.territory, municipalityName: name,
                                           observed: p.observed, expected: p.expected, bucketStart: p.start, posts: posts, now: now,
                                           timeZone: appeals.handlers.timeZone)
            let (appeal, _) = try await appeals.file(draft, by: MediaAppeals.monitor)
            try await pool.withConnection { try IncidentStore.setAppeal($0, incident: p.id, appeal: appeal.id) }
        }
    }
}
