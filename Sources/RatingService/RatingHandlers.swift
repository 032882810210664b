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

    func config(_ w: RatingV1.Weights) -> RatingConfig {
        var c = base
        c.pillarWeights = [.quantity: w.quantity, .speed: w.speed, .quality: w.quality, .completeness: w.completeness]
        return c
    }
}

/// RatingService handlers (`RatingV1.RatingService.Handler`). All figures are computed from the
/// projection with RatingEngine (`MetricsCalculator`, `CompositeRating`, `ProblemAnalysis`, `KPIEvaluator`).
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
    /// One read of the same facts for concurrent requests.
    let sharedFacts = SharedFactsLoad()
    let audit = AuditLog(service: RatingV1.RatingService.name)

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

        async let currentFacts = facts(in: period, topic: topic)
        async let previousFacts = facts(in: previousPeriod, topic: topic)
        async let storedWeights = weights()
        let dir = await directory.directory()
        let (allCurrent, allPrevious, w) = try await (currentFacts, previousFacts, storedWeights)
        // Appeals without an agency (or territory, topic) are nobody's record: "(не указано)" is not ranked.
        let cur = allCurrent.filter { !Self.key($0, dimension).isEmpty }, prev = allPrevious.filter { !Self.key($0, dimension).isEmpty }

        let config = settings.config(w)
        let (population, entityPopulation) = Self.populations(dimension, facts: cur + prev, directory: dir)
        let previousEntries = CompositeRating.rate(
            MetricsCalculator.compute(prev, by: dims, period: previousPeriod, population: population,
                                      entityPopulation: entityPopulation, satisfiedThreshold: settings.satisfiedThreshold),
            config: config)
        let entries = CompositeRating.rate(
            MetricsCalculator.compute(cur, by: dims, period: period, population: population,
                                      entityPopulation: entityPopulation, satisfiedThreshold: settings.satisfiedThreshold),
            config: config, previous: previousEntries)
        let overdue = Self.overdueOpen(cur, dimension: dimension, asOf: period.asOf)

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
        let fs = try await facts(in: period, topic: "")
        let dir = await directory.directory()
        var otherCodes: Set<String> = ["other", "прочее", "иное"]
        for f in fs where f.categoryCode.hasSuffix(".other") { otherCodes.insert(f.categoryCode) }
        let problems = ProblemAnalysis.topProblems(fs, period: period, limit: limit, otherCodes: otherCodes,
                                                   subReasonLimit: settings.subReasonLimit)
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
        let fs = try await facts(in: period, topic: "")
        let dir = await directory.directory()
        let (approved, approvedBy, approvedAt) = try await pool.withConnection { try Self.storedTargets($0) }
        let targets = approved.isEmpty ? settings.kpiTargets : approved
        let (population, entityPopulation) = Self.populations(request.dimension, facts: fs, directory: dir)
        var groups = MetricsCalculator.compute(fs, by: dims, period: period, population: population,
                                               entityPopulation: entityPopulation, satisfiedThreshold: settings.satisfiedThreshold)
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

    /// Facts registered in `period` (optionally one topic), with repeat flags set (see type comment). Concurrent
    /// requests for the same facts share one read (`SharedFactsLoad`).
    func facts(in period: RatingPeriod, topic: String) async throws -> [AppealFact] {
        try await sharedFacts.facts(.init(start: period.start, end: period.end, topic: topic)) { [pool] in
            try await Self.readFacts(pool, start: period.start, end: period.end, topic: topic)
        }
    }

    /// Reads the facts through a cursor, `chunk` rows at a time (`PGConnection.forEachRow`), so neither libpq nor
    /// the row copies ever hold more than one chunk (the facts of a month at a million appeals took over a gigabyte
    /// as one result).
    static func readFacts(_ pool: PGPool, start: Date, end: Date, topic: String,
                          chunk: Int = PGConnection.rowsPerFetch) async throws -> [AppealFact] {
        try await pool.transaction { conn in
            let topicFilter: SQL = topic.isEmpty ? "" : " AND topic_code = \(topic)"
            var repeats = RepeatTracker()
            var out: [AppealFact] = []
            try conn.forEachRow("""
                SELECT appeal_id, agency_id, municipality_oktmo, topic_code, category_code, problem_group_id, author_key,
                       sub_reason, registered_at, answered_at, closed_at, answer_due, extension_count, reopen_count,
                       satisfaction, answer_complete
                FROM appeal_facts
                WHERE registered_at >= \(start)::timestamptz AND registered_at < \(end)::timestamptz
                """ + topicFilter + " ORDER BY registered_at, appeal_id", chunk: chunk) { r in
                if let f = repeats.fact(r) { out.append(f) }
            }
            return out
        }
    }

    /// Turns fact rows, in registration order, into facts with their repeat flag (an earlier appeal of the same
    /// author about the same topic and category, or in the same problem group).
    struct RepeatTracker {
        private var seenGroups = Set<String>(), seenCategories = Set<String>()

        mutating func fact(_ r: PGRow) -> AppealFact? {
            guard let registered = r.date("registered_at") else { return nil }
            let author = r.string("author_key")
            var isRepeat = false
            if !author.isEmpty {
                let group = r.string("problem_group_id")
                let category = author + "|" + r.string("topic_code") + "/" + r.string("category_code")
                isRepeat = seenCategories.contains(category) || (!group.isEmpty && seenGroups.contains(author + "|" + group))
                seenCategories.insert(category)
                if !group.isEmpty { seenGroups.insert(author + "|" + group) }
            }
            return AppealFact(
                id: r.string("appeal_id"), agencyID: r.string("agency_id"), municipalityID: r.string("municipality_oktmo"),
                topicCode: r.string("topic_code"), categoryCode: r.string("category_code"), subReason: r["sub_reason"],
                registeredAt: registered, answeredAt: r.date("answered_at"), closedAt: r.date("closed_at"),
                deadline: r.date("answer_due"), extended: r.int("extension_count") > 0, reopenedCount: Int(r.int("reopen_count")),
                satisfaction: r.isNull("satisfaction") ? nil : Int(r.int("satisfaction")),
                completenessScore: nil, isComplete: r.isNull("answer_complete") ? nil : r.bool("answer_complete"),
                isRepeat: isRepeat)
        }
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

    static func key(_ f: AppealFact, _ d: RatingV1.Dimension) -> String {
        switch d {
        case .agency: return f.agencyID
        case .municipality: return f.municipalityID
        case .topic: return f.topicCode
        case .category: return f.categoryCode
        default: return ""
        }
    }

    /// Populations for per-10k figures: municipalities by OKTMO; an agency gets its municipality's
    /// population (region-wide bodies: the region's); topics and categories: the region's.
    static func populations(_ d: RatingV1.Dimension, facts: [AppealFact], directory dir: Directory) -> ([String: Int], [String: Int]) {
        let population = dir.populations
        var entity: [String: Int] = [:]
        switch d {
        case .agency:
            for id in Set(facts.map(\.agencyID)) {
                guard let a = dir.agencies[id] else { continue }
                if a.oktmo.isEmpty { entity[id] = dir.regionPopulation } else { entity[id] = population[a.oktmo] }
            }
        case .topic, .category:
            if let region = dir.regionPopulation {
                for f in facts { entity[key(f, d)] = region }
            }
        default:
            break
        }
        return (population, entity)
    }

    /// Unanswered appeals whose (extended) deadline passed by `asOf`, per group key.
    static func overdueOpen(_ facts: [AppealFact], dimension: RatingV1.Dimension, asOf: Date) -> [String: Int] {
        var out: [String: Int] = [:]
        for f in facts {
            let answered = f.answeredAt.map { $0 <= asOf } ?? false
            if !answered, let dl = f.deadline, dl < asOf { out[key(f, dimension), default: 0] += 1 }
        }
        return out
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
