import Contracts
import Foundation
import Logging
import RatingEngine
import VecheRuntime

/// Rating behaviour that is configuration, not data (the weights live in the schema).
struct RatingSettings: Sendable {
    /// Metrics, normalisation, shrinkage, minimum volume for ranking; pillar weights are replaced by the stored ones.
    var base: RatingConfig = .standard
    var kpiTargets: [KPITarget] = KPITarget.defaults
    var satisfiedThreshold: Int = 4
    /// Sub-reasons listed under each "other" category.
    var subReasonLimit: Int = 3
    /// Root-cause detection: window, thresholds, interval.
    var rootCauses = RootCauseSettings()
    /// How long a row of the applied-event ledger is kept, and how often older ones are deleted (`LedgerPruner`).
    var ledgerRetention: Duration = .seconds(30 * 86_400)
    var ledgerPruneInterval: Duration = .seconds(3_600)

    func config(_ w: RatingV1.Weights) -> RatingConfig {
        var c = base
        c.pillarWeights = [.quantity: w.quantity, .speed: w.speed, .quality: w.quality, .completeness: w.completeness]
        return c
    }
}

/// RatingService handlers (`RatingV1.RatingService.Handler`). All figures are computed from the
/// projection: counted in PostgreSQL (`FactAggregates`), turned into metrics, ranks and statuses with RatingEngine
/// (`GroupMetrics`, `CompositeRating`, `ProblemAnalysis`, `KPIEvaluator`).
///
/// Period semantics: an appeal belongs to the calendar month (region time zone) of its registration
/// (receipt if never registered); every period is evaluated as of now, so answers given after the
/// month ended still count, and an unanswered appeal is late only once its deadline has passed.
///
/// Repeat appeal: an appeal is a repeat when, earlier in the same period, the same author (same
/// normalised e-mail, else phone, else social handle, else full name; anonymous appeals never repeat)
/// filed an appeal about the same problem: the same topic and category, or the same non-empty
/// `problem_group_id` (AppealService's duplicate grouping). The first appeal of a chain is not a repeat.
struct RatingHandlers: RatingV1.RatingService.Handler {
    let pool: PGPool
    let directory: DirectoryCache
    let periods: PeriodCalendar
    let settings: RatingSettings
    var now: @Sendable () -> Date = { Date() }
    let audit = AuditLog(service: RatingV1.RatingService.name)
    /// One aggregate query for concurrent requests of the same scope's counts.
    let sharedCounts = SharedRead<FactAggregates.Scope, FactAggregates.Counts>()
    /// The year-long counts behind computed indicators, kept for `indicatorCountsTTL` or ten times as long as they took
    /// (`FreshCache`: served stale to everyone while one request recomputes them). Yearly figures move slowly, and
    /// counting a year of facts takes seconds at a region's scale (1.5 s alone at 463,000 facts, more than the
    /// gateway's 3 s while the dashboard's other panels are counted at the same time): recounted for every dashboard
    /// refresh, the indicators were never ready in time. `RatingServiceApp` gives it the service's background refresher.
    var indicatorCounts = Self.indicatorCountsCache(refresher: nil)
    static func indicatorCountsCache(refresher: BackgroundRefresher?) -> FreshCache<FactAggregates.Scope, FactAggregates.Counts> {
        FreshCache(ttl: indicatorCountsTTL, costFactor: 10, capacity: 16, refresher: refresher)
    }
    static let indicatorCountsTTL: Duration = .seconds(60)

    // MARK: GetRatings

    func getRatings(request: RatingV1.GetRatingsRequest, context: RPCContext) async throws -> RatingV1.GetRatingsResponse {
        let dimension = request.dimension == .unspecified ? RatingV1.Dimension.agency : request.dimension
        let dims = try Self.engineDimensions(dimension)
        let now = self.now()
        let label = request.period.isEmpty ? periods.lastComplete(now: now) : request.period
        let period = try periods.period(label, asOf: now)
        let previousLabel = periods.previous(label) ?? label
        let previousPeriod = try periods.period(previousLabel, asOf: now)
        let topic = request.topicCode.trimmingCharacters(in: .whitespaces)

        // Appeals without an agency (or territory, topic) are nobody's record: "(не указано)" is not ranked.
        async let currentGroups = groups(.init(start: period.start, end: period.end, topic: topic), by: dims.first,
                                         asOf: period.asOf, skipEmptyKeys: true)
        async let previousGroups = groups(.init(start: previousPeriod.start, end: previousPeriod.end, topic: topic), by: dims.first,
                                          asOf: previousPeriod.asOf, skipEmptyKeys: true)
        async let storedWeights = weights()
        let dir = await directory.directory()
        let (cur, prev, w) = try await (currentGroups, previousGroups, storedWeights)

        let config = settings.config(w)
        let (population, entityPopulation) = Self.populations(dimension, keys: (cur + prev).map(\.key), directory: dir)
        let previousEntries = CompositeRating.rate(
            Self.metrics(prev, by: dims, period: previousLabel, population: population, entityPopulation: entityPopulation), config: config)
        let entries = CompositeRating.rate(
            Self.metrics(cur, by: dims, period: label, population: population, entityPopulation: entityPopulation),
            config: config, previous: previousEntries)
        let overdue = Dictionary(cur.map { ($0.key, $0.overdueOpen) }, uniquingKeysWith: +)

        var response = RatingV1.GetRatingsResponse(period: label, previousPeriod: previousLabel, dimension: dimension, weights: w)
        response.rows = entries.map { e in
            let key = e.key.entity
            return RatingV1.RatingRow(
                key: key, name: dir.name(dimension, key),
                metrics: Self.metrics(e.metrics, overdueOpen: overdue[key] ?? 0),
                score: e.score ?? 0, rank: Int32(e.rank ?? 0), previousRank: Int32(e.previousRank ?? 0),
                rankChange: Int32(e.rankChange ?? 0), scoreChange: e.scoreChange ?? 0)
        }
        return response
    }

    // MARK: GetTopProblems

    func getTopProblems(request: RatingV1.GetTopProblemsRequest, context: RPCContext) async throws -> RatingV1.GetTopProblemsResponse {
        guard request.perTopic >= 0 else { throw RPCError.invalidArgument("per_topic must not be negative") }
        let now = self.now()
        let label = request.period.isEmpty ? periods.lastComplete(now: now) : request.period
        let period = try periods.period(label, asOf: now)
        // At least three categories per topic (fewer only when a topic has fewer), at most 50.
        let limit = min(max(Int(request.perTopic), 3), 50)
        let base: Set<String> = ["other", "прочее", "иное"]
        let counts = try await pool.withConnection { try FactAggregates.problemCounts($0, start: period.start, end: period.end, otherCodes: base) }
        let dir = await directory.directory()
        let otherCodes = base.union(counts.map(\.category).filter { $0.hasSuffix(".other") })
        let problems = ProblemAnalysis.topProblems(counts: counts, limit: limit, otherCodes: otherCodes, subReasonLimit: settings.subReasonLimit)
        return RatingV1.GetTopProblemsResponse(period: label, topics: problems.map { t in
            RatingV1.TopicProblems(
                topicCode: t.topic, topicName: dir.name(.topic, t.topic), volume: Int64(t.total),
                top: t.top.map { p in
                    RatingV1.CategoryCount(
                        code: p.code, name: dir.name(.category, p.code), count: Int64(p.count), share: p.share,
                        breakdown: p.subReasons.map { RatingV1.CategoryCount(code: $0.code, name: $0.code, count: Int64($0.count), share: $0.share) })
                })
        })
    }

    // MARK: GetKpis

    func getKpis(request: RatingV1.GetKpisRequest, context: RPCContext) async throws -> RatingV1.GetKpisResponse {
        let dims: [RatingEngine.Dimension] = request.dimension == .unspecified ? [] : try Self.engineDimensions(request.dimension)
        let now = self.now()
        let label = request.period.isEmpty ? periods.lastComplete(now: now) : request.period
        let period = try periods.period(label, asOf: now)
        let counted = try await groups(.init(start: period.start, end: period.end), by: dims.first, asOf: period.asOf, skipEmptyKeys: false)
        let dir = await directory.directory()
        let (approved, approvedBy, approvedAt) = try await pool.withConnection { try Self.storedTargets($0) }
        let targets = approved.isEmpty ? settings.kpiTargets : approved
        let (population, entityPopulation) = Self.populations(request.dimension, keys: counted.map(\.key), directory: dir)
        var groups = Self.metrics(counted, by: dims, period: label, population: population, entityPopulation: entityPopulation)
        if groups.isEmpty && dims.isEmpty {
            // No appeals: still report every KPI (as "no data").
            groups = [MetricsCalculator.metrics(of: [], key: GroupKey(dimensions: [], values: [], period: label),
                                                asOf: period.asOf, population: nil)]
        }
        let results = KPIEvaluator.evaluate(groups, targets: targets)
        var response = RatingV1.GetKpisResponse(period: label, targetsApprovedBy: approvedBy, targetsApprovedAtMs: approvedAt)
        response.kpis = results.map { r in
            let key = dims.isEmpty ? "region" : r.key.entity
            return RatingV1.Kpi(
                code: r.target.metric.rawValue, name: Self.kpiName(r.target),
                target: r.target.target, value: r.value ?? 0, status: Self.status(r.status),
                higherIsBetter: r.target.comparison == .atLeast,
                groupKey: key, groupName: dims.isEmpty ? "Регион" : dir.name(request.dimension, key))
        }
        return response
    }

    // MARK: SetWeights

    func setWeights(request: RatingV1.SetWeightsRequest, context: RPCContext) async throws -> RatingV1.SetWeightsResponse {
        let caller = try context.requirePrincipal()
        guard let w = request.weights else { throw RPCError.invalidArgument("weights are required") }
        let normalised = try Self.normalise(w)
        let text = "quantity=\(normalised.quantity) speed=\(normalised.speed) quality=\(normalised.quality) completeness=\(normalised.completeness)"
        let audit = self.audit
        try await pool.transaction { conn in
            try conn.query("""
                UPDATE weights SET quantity = \(normalised.quantity), speed = \(normalised.speed), quality = \(normalised.quality),
                       completeness = \(normalised.completeness), updated_at = now() WHERE id = 1
                """)
            try audit.record(conn, caller, .init(action: "rating.weights.set", detail: text))
        }
        context.logger.notice("rating: weights changed", metadata: ["actor": "\(caller.actor)", "weights": "\(text)"])
        return RatingV1.SetWeightsResponse(weights: normalised)
    }

    /// Non-negative, finite, sum > 0; returned scaled to sum 1.
    static func normalise(_ w: RatingV1.Weights) throws -> RatingV1.Weights {
        let named = [("quantity", w.quantity), ("speed", w.speed), ("quality", w.quality), ("completeness", w.completeness)]
        var problems: [String] = []
        for (n, v) in named where !v.isFinite || v < 0 { problems.append("\(n) must be a non-negative number (got \(v))") }
        let sum = named.map(\.1).reduce(0, +)
        if problems.isEmpty && !(sum > 0) { problems.append("weights must not all be zero") }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        return RatingV1.Weights(quantity: w.quantity / sum, speed: w.speed / sum, quality: w.quality / sum, completeness: w.completeness / sum)
    }

    // MARK: GetProgress

    func getProgress(request: RatingV1.GetProgressRequest, context: RPCContext) async throws -> RatingV1.GetProgressResponse {
        try await pool.withConnection { conn in
            guard let s = try conn.query("""
                SELECT events_applied, duplicates_skipped, stale_skipped, gaps_detected, last_stream_sequence, durable,
                       (SELECT count(*) FROM appeal_facts) AS appeals, (SELECT count(*) FROM rejected_events) AS rejected,
                       (SELECT count(*) FROM deferred_events) AS deferred
                FROM consumer_state WHERE id = 1
                """).first else { throw RPCError.internalError("consumer_state is missing") }
            return RatingV1.GetProgressResponse(
                eventsApplied: s.int("events_applied"), lastStreamSequence: s.int("last_stream_sequence"),
                appealsTracked: s.int("appeals"), rejectedEvents: s.int("rejected"),
                duplicatesSkipped: s.int("duplicates_skipped"), staleSkipped: s.int("stale_skipped"), durable: s.string("durable"),
                deferredEvents: s.int("deferred"), gapsDetected: s.int("gaps_detected"))
        }
    }

    // MARK: data

    func weights() async throws -> RatingV1.Weights {
        guard let r = try await pool.query("SELECT quantity, speed, quality, completeness FROM weights WHERE id = 1").first else {
            throw RPCError.internalError("weights row is missing")
        }
        return RatingV1.Weights(quantity: r.double("quantity"), speed: r.double("speed"), quality: r.double("quality"),
                                completeness: r.double("completeness"))
    }

    /// Counts per group of the facts in `scope` (`FactAggregates.counts`, every grouping in one query). A request
    /// that comes while the counts of the same scope are being computed gets those (as of the first request's `asOf`,
    /// a moment during its own request): the dashboard's rankings by agency and municipality and its KPIs of one
    /// month are one query.
    func groups(_ scope: FactAggregates.Scope, by dimension: RatingEngine.Dimension?, asOf: Date,
                skipEmptyKeys: Bool) async throws -> [FactAggregates.Group] {
        try await counts(scope, asOf: asOf).groups(by: dimension, skipEmptyKeys: skipEmptyKeys)
    }

    /// The counts of `scope` as of `asOf`, shared with concurrent requests of the same scope.
    func counts(_ scope: FactAggregates.Scope, asOf: Date) async throws -> FactAggregates.Counts {
        let threshold = settings.satisfiedThreshold, pool = self.pool
        return try await sharedCounts.value(scope) {
            try await pool.withConnection { try FactAggregates.counts($0, scope: scope, asOf: asOf, satisfiedThreshold: threshold) }
        }
    }

    /// Metrics of counted groups, in key order, with their populations (as `MetricsCalculator.compute` gives them).
    static func metrics(_ groups: [FactAggregates.Group], by dims: [RatingEngine.Dimension], period label: String,
                        population: [String: Int], entityPopulation: [String: Int]) -> [GroupMetrics] {
        groups.map { g in
            let key = GroupKey(dimensions: dims, values: dims.isEmpty ? [] : [g.key], period: label)
            return GroupMetrics(key: key, tally: g.tally,
                                population: MetricsCalculator.population(of: key, population: population, entityPopulation: entityPopulation))
        }.sorted { $0.key < $1.key }
    }

    // MARK: mapping helpers

    static func engineDimensions(_ d: RatingV1.Dimension) throws -> [RatingEngine.Dimension] {
        switch d {
        case .agency: return [.agency]
        case .municipality: return [.municipality]
        case .topic: return [.topic]
        case .category: return [.category]
        default: throw RPCError.invalidArgument("unknown dimension \(d.rawValue)")
        }
    }

    /// Populations for per-10k figures: municipalities by OKTMO; an agency gets its municipality's
    /// population (region-wide bodies: the region's); topics, categories and the region-wide group (no dimension: the
    /// region's KPIs) the region's — before, a region-wide `appealsPer10k` KPI never had a value.
    static func populations(_ d: RatingV1.Dimension, keys: [String], directory dir: Directory) -> ([String: Int], [String: Int]) {
        let population = dir.populations
        var entity: [String: Int] = [:]
        switch d {
        case .agency:
            for id in Set(keys) {
                guard let a = dir.agencies[id] else { continue }
                if a.oktmo.isEmpty { entity[id] = dir.regionPopulation } else { entity[id] = population[a.oktmo] }
            }
        case .topic, .category, .unspecified:
            if let region = dir.regionPopulation {
                for k in keys { entity[k] = region }
            }
        default:
            break
        }
        return (population, entity)
    }

    static func metrics(_ g: GroupMetrics, overdueOpen: Int) -> RatingV1.Metrics {
        RatingV1.Metrics(
            volume: Int64(g.volume), answered: Int64(g.answered), onTimeShare: g.onTimeShare ?? 0,
            medianAnswerHours: g.medianAnswerHours ?? 0, p90AnswerHours: g.p90AnswerHours ?? 0,
            meanSatisfaction: g.meanSatisfaction ?? 0, satisfiedShare: g.satisfiedShare ?? 0,
            reopenRate: g.reopenRate ?? 0, completeness: g.completeness ?? 0, repeatRate: g.repeatRate ?? 0,
            per10kPopulation: g.appealsPer10k ?? 0, overdueOpen: Int64(overdueOpen),
            population: Int64(g.population ?? 0), repeatCount: Int64(g.repeatCount))
    }

    static func status(_ s: KPIStatus) -> RatingV1.KpiStatus {
        switch s {
        case .green: return .green
        case .amber: return .amber
        case .red: return .red
        case .noData: return .unspecified
        }
    }

    static func kpiName(_ t: KPITarget) -> String {
        switch t.metric {
        case .onTimeShare: return "Доля ответов в срок"
        case .meanSatisfaction: return "Средняя удовлетворённость"
        case .satisfiedShare: return "Доля удовлетворённых"
        case .reopenRate: return "Доля повторно открытых"
        case .repeatRate: return "Доля повторных обращений"
        case .completeness: return "Полнота ответов"
        case .medianAnswerHours: return "Медианное время ответа, ч"
        case .p90AnswerHours: return "90-й процентиль времени ответа, ч"
        case .volume: return "Число обращений"
        case .extendedShare: return "Доля продлённых"
        case .appealsPer10k: return "Обращений на 10 тыс. жителей"
        }
    }
}
