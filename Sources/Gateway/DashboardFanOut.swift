import Contracts
import Foundation

/// A calendar month «YYYY-MM» in the region time zone.
struct ReportPeriod: Sendable, Hashable {
    let year: Int
    let month: Int
    let timeZone: TimeZone

    var label: String { String(format: "%04d-%02d", year, month) }

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// Parses «YYYY-MM»; nil when malformed.
    static func parseLabel(_ raw: String) -> (year: Int, month: Int)? {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), (1900...9999).contains(y) else { return nil }
        return (y, m)
    }

    /// `raw` empty → the current month at `now`; malformed → invalidArgument (HTTP 400).
    static func resolve(_ raw: String, timeZone: TimeZone, now: Date = Date()) throws -> ReportPeriod {
        if raw.isEmpty { return current(now: now, timeZone: timeZone) }
        guard let (y, m) = parseLabel(raw) else { throw RPCError.invalidArgument("period must be YYYY-MM (got \"\(raw)\")") }
        return ReportPeriod(year: y, month: m, timeZone: timeZone)
    }

    static func current(now: Date, timeZone: TimeZone) -> ReportPeriod {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        let d = c.dateComponents([.year, .month], from: now)
        return ReportPeriod(year: d.year ?? 1970, month: d.month ?? 1, timeZone: timeZone)
    }

    var previous: ReportPeriod {
        month == 1 ? ReportPeriod(year: year - 1, month: 12, timeZone: timeZone) : ReportPeriod(year: year, month: month - 1, timeZone: timeZone)
    }

    var start: Date { calendar.date(from: DateComponents(year: year, month: month, day: 1)) ?? Date(timeIntervalSince1970: 0) }
    var end: Date { calendar.date(byAdding: .month, value: 1, to: start) ?? start }
    var startMs: Int64 { Int64(start.timeIntervalSince1970 * 1000) }
    var endMs: Int64 { Int64(end.timeIntervalSince1970 * 1000) }

    /// The span of the previous month that this period's counts are compared with: all of it once this period is over;
    /// while it runs, as much of it as has elapsed of this one (1–5 December against 1–5 November, never more than
    /// the whole month). Comparing a month in progress with a whole month made every early-month intake look like a fall.
    func comparedSpanOfPrevious(now: Date) -> (fromMs: Int64, toMs: Int64) {
        let prev = previous
        guard comparesPartOfPrevious(now: now) else { return (prev.startMs, prev.endMs) }
        return (prev.startMs, min(prev.endMs, prev.startMs + max(0, Int64(now.timeIntervalSince1970 * 1000) - startMs)))
    }

    /// Whether the comparison is with part of the previous month (this period is still running at `now`).
    func comparesPartOfPrevious(now: Date) -> Bool { Int64(now.timeIntervalSince1970 * 1000) < endMs }

    /// ISO dates of the period's days, up to and including `now`'s day when the period is current.
    func days(upTo now: Date) -> [String] {
        let c = calendar
        var out: [String] = []
        var day = start
        let last = min(end, max(now, start))
        while day < end && (day <= last || out.isEmpty) {
            out.append(isoDay(day))
            guard let next = c.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return out
    }

    func isoDay(_ d: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }
}

/// One section of the dashboard: the backend's data, or why it is missing. JSON: the data itself, or
/// `{"unavailable": "reason"}`.
enum Section<Value: Encodable & Sendable>: Encodable, Sendable {
    case data(Value)
    case unavailable(String)

    var value: Value? {
        if case .data(let v) = self { return v }
        return nil
    }

    var reason: String? {
        if case .unavailable(let r) = self { return r }
        return nil
    }

    private enum Keys: String, CodingKey { case unavailable }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .data(let v): try v.encode(to: encoder)
        case .unavailable(let reason):
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(reason, forKey: .unavailable)
        }
    }
}

/// Appeals of the period as AppealService aggregates them (GetActivity): daily intake, special-monitoring
/// flags and answer timeliness (by receipt in the period, evaluated now).
struct AppealActivity: Codable, Sendable, Hashable {
    struct Day: Codable, Sendable, Hashable {
        var date: String
        var received: Int
        var answered: Int
    }
    struct Topic: Codable, Sendable, Hashable {
        var topic: String
        var onTime = 0
        var late = 0
        var inProgress = 0
        var medianAnswerHours: Double?
    }
    struct Bucket: Codable, Sendable, Hashable {
        var label: String
        var count: Int
    }
    var daily: [Day] = []
    var flags: [String: Int] = [:]
    var answered = 0
    var onTime = 0
    var late = 0
    var overdueOpen = 0
    var inProgress = 0
    var medianAnswerHours: Double?
    var byTopic: [Topic] = []
    var answerTimeBuckets: [Bucket] = []
    /// Appeals of the period the figures cover.
    var appeals = 0

    /// Labels of GetActivity's answer-time buckets (upper bounds 24, 72, 168, 720 hours, then the rest).
    static let bucketLabels = ["до 1 дня", "1–3 дня", "3–7 дней", "7–30 дней", "более 30 дней"]

    /// The service's aggregate, with every day of the period up to `now` (days without appeals as zeros).
    init(_ r: AppealV1.GetActivityResponse, period: ReportPeriod, now: Date) {
        let byDay = Dictionary(r.daily.map { ($0.date, $0) }, uniquingKeysWith: { a, _ in a })
        daily = period.days(upTo: now).map { d in Day(date: d, received: Int(byDay[d]?.received ?? 0), answered: Int(byDay[d]?.answered ?? 0)) }
        flags = Dictionary(r.flags.map { ($0.key, Int($0.count)) }, uniquingKeysWith: +)
        answered = Int(r.answered)
        onTime = Int(r.onTime)
        late = Int(r.late)
        overdueOpen = Int(r.overdueOpen)
        inProgress = Int(r.inProgress)
        medianAnswerHours = r.answered > 0 ? r.medianAnswerHours : nil
        byTopic = r.byTopic.map { t in
            Topic(topic: t.topicCode, onTime: Int(t.onTime), late: Int(t.late), inProgress: Int(t.inProgress),
                  medianAnswerHours: t.answered > 0 ? t.medianAnswerHours : nil)
        }
        answerTimeBuckets = zip(Self.bucketLabels, r.answerTimeBuckets).map { Bucket(label: $0, count: Int($1.count)) }
        appeals = Int(r.appeals)
    }
}

/// The survey shown on the dashboard: the latest survey in fieldwork or published, with estimates.
struct SurveySummary: Encodable, Sendable {
    var survey: SurveyV1.Survey?
    var responses: Int64 = 0
    var estimates: [SurveyV1.EstimateResponse] = []
    var satisfaction: SurveyV1.SatisfactionIndexResponse?
    /// OKTMO → municipality name (AgencyService; empty when it did not answer).
    var municipalityNames: [String: String] = [:]
    /// Weighting the estimates used: "rake" (to stored margins) or "design" (design weights only).
    var weighting = ""
    var notes: [String] = []
}

/// Everything the JSON dashboard, the HTML dashboard and the governor report show for one month.
struct DashboardSnapshot: Encodable, Sendable {
    var period: String
    var previousPeriod: String
    var generatedAtMs: Int64
    var timeZone: String
    var appeals: Section<AppealV1.GetStatsResponse>
    var previousAppeals: Section<AppealV1.GetStatsResponse>
    var activity: Section<AppealActivity>
    var agencyRatings: Section<RatingV1.GetRatingsResponse>
    var municipalityRatings: Section<RatingV1.GetRatingsResponse>
    var topProblems: Section<RatingV1.GetTopProblemsResponse>
    var previousTopProblems: Section<RatingV1.GetTopProblemsResponse>
    var kpis: Section<RatingV1.GetKpisResponse>
    var previousKpis: Section<RatingV1.GetKpisResponse>
    var survey: Section<SurveySummary>
    /// The curator's approval of the period's report (approvedBy empty: a draft).
    var approval: Section<RatingV1.ReportApproval>
    /// Workload and staffing of the sector blocks (AgencyService).
    var workload: Section<AgencyV1.GetWorkloadResponse> = .unavailable("не запрошено")
    /// Root-cause cases not closed (the report lists them, the dashboard the top open ones) and the indicators of
    /// the period's year (RatingService).
    var rootCauses: Section<RatingV1.ListRootCausesResponse> = .unavailable("не запрошено")
    var indicators: Section<RatingV1.ListIndicatorsResponse> = .unavailable("не запрошено")

    var generatedAt: Date { Date(timeIntervalSince1970: Double(generatedAtMs) / 1000) }
}

/// The one fan-out behind /api/v1/dashboard, the web dashboard and the governor report: every backend
/// call runs concurrently with its own deadline, and a backend that is down or slow only blanks its sections.
struct DashboardFanOut: Sendable {
    let clients: ServiceClients
    let settings: GatewaySettings
    var now: @Sendable () -> Date = { Date() }

    var options: CallOptions { CallOptions(timeout: max(settings.callTimeout, settings.dashboardCallTimeout)) }

    func snapshot(_ period: ReportPeriod) async -> DashboardSnapshot {
        let prev = period.previous
        let opts = options
        let c = clients
        async let stats = Self.attempt("AppealService", opts) {
            try await c.appeals.getStats(.init(fromMs: period.startMs, toMs: period.endMs), options: opts)
        }
        let now = self.now
        let compared = period.comparedSpanOfPrevious(now: now())
        async let previousStats = Self.attempt("AppealService", opts) {
            try await c.appeals.getStats(.init(fromMs: compared.fromMs, toMs: compared.toMs), options: opts)
        }
        async let activity = Self.attempt("AppealService", opts) {
            AppealActivity(try await c.appeals.getActivity(.init(fromMs: period.startMs, toMs: period.endMs, timeZone: period.timeZone.identifier),
                                                           options: opts), period: period, now: now())
        }
        async let agencies = Self.attempt("RatingService", opts) {
            try await c.ratings.getRatings(.init(dimension: .agency, period: period.label), options: opts)
        }
        async let municipalities = Self.attempt("RatingService", opts) {
            try await c.ratings.getRatings(.init(dimension: .municipality, period: period.label), options: opts)
        }
        async let problems = Self.attempt("RatingService", opts) {
            try await c.ratings.getTopProblems(.init(period: period.label, perTopic: 5), options: opts)
        }
        async let previousProblems = Self.attempt("RatingService", opts) {
            try await c.ratings.getTopProblems(.init(period: prev.label, perTopic: 10), options: opts)
        }
        async let kpis = Self.attempt("RatingService", opts) {
            try await c.ratings.getKpis(.init(period: period.label), options: opts)
        }
        async let previousKpis = Self.attempt("RatingService", opts) {
            try await c.ratings.getKpis(.init(period: prev.label), options: opts)
        }
        async let survey = Self.attempt("SurveyService", opts) { try await surveySummary() }
        async let workload = Self.attempt("AgencyService", opts) {
            try await c.agencies.getWorkload(.init(granularity: "month", fromMs: period.startMs, toMs: period.endMs), options: opts)
        }
        async let approval = Self.attempt("RatingService", opts) {
            try await c.ratings.getReportApproval(.init(period: period.label), options: opts).approval ?? RatingV1.ReportApproval(period: period.label)
        }
        async let rootCauses = Self.attempt("RatingService", opts) {
            try await c.ratings.listRootCauses(.init(statuses: [.open, .inWork, .resolved], limit: 50), options: opts)
        }
        async let indicators = Self.attempt("RatingService", opts) {
            try await c.ratings.listIndicators(.init(year: Int32(period.year)), options: opts)
        }
        var snapshot = DashboardSnapshot(
            period: period.label, previousPeriod: prev.label, generatedAtMs: Int64(now().timeIntervalSince1970 * 1000),
            timeZone: period.timeZone.identifier,
            appeals: await stats, previousAppeals: await previousStats, activity: await activity,
            agencyRatings: await agencies, municipalityRatings: await municipalities,
            topProblems: await problems, previousTopProblems: await previousProblems,
            kpis: await kpis, previousKpis: await previousKpis, survey: await survey, approval: await approval, workload: await workload)
        snapshot.rootCauses = await rootCauses
        snapshot.indicators = await indicators
        return snapshot
    }

    /// Runs one backend call; any failure becomes an `unavailable` section with a reason for people.
    static func attempt<T: Encodable & Sendable>(_ service: String, _ opts: CallOptions,
                                                 _ body: @Sendable () async throws -> T) async -> Section<T> {
        do {
            return .data(try await body())
        } catch let e as RPCError {
            switch e.code {
            case .unavailable: return .unavailable("\(service) недоступен (\(e.message))")
            case .deadlineExceeded: return .unavailable("\(service) не ответил за \(opts.timeout) (\(e.message))")
            default: return .unavailable("\(service): ошибка \(e.code.rawValue) — \(e.message)")
            }
        } catch is CancellationError {
            return .unavailable("\(service): запрос отменён")
        } catch {
            return .unavailable("\(service): \(error)")
        }
    }

    // MARK: surveys

    /// The latest survey in fieldwork or published (by fieldwork start, then creation), with estimates of up to
    /// four of its questions by municipality and the satisfaction index. Weighting: raking to the stored
    /// margins when possible, else design weights.
    func surveySummary() async throws -> SurveySummary {
        let opts = options
        let c = clients
        let list = try await c.surveys.listSurveys(.init(), options: opts)
        let candidates = list.surveys.filter { $0.status == .fieldwork || $0.status == .published }
        guard let survey = candidates.max(by: { ($0.fieldworkFromMs, $0.createdAtMs, $0.id) < ($1.fieldworkFromMs, $1.createdAtMs, $1.id) }) else {
            return SurveySummary(notes: ["нет опросов на этапе полевых работ или опубликованных"])
        }
        async let names = Self.municipalityNames(c.agencies, opts)
        let info = try await c.surveys.getSurvey(.init(id: survey.id), options: opts)
        var summary = SurveySummary(survey: info.survey ?? survey, responses: info.responses)
        if info.responses > 0 {
            let estimable = survey.questions.filter { [.numeric, .likert, .nps, .single, .multiple].contains($0.type) }.prefix(4)
            let hasIndex = survey.questions.contains { $0.type == .likert || $0.type == .nps }
            async let index: SurveyV1.SatisfactionIndexResponse? = hasIndex ? (try? await Self.firstWorking { by, w in
                (try await c.surveys.satisfactionIndex(.init(surveyId: survey.id, by: by, weighting: w), options: opts), w)
            })?.0 : nil
            var estimates: [SurveyV1.EstimateResponse] = []
            await withTaskGroup(of: (Int, Result<(SurveyV1.EstimateResponse, SurveyV1.Weighting), any Error>).self) { group in
                for (i, q) in estimable.enumerated() {
                    group.addTask {
                        do {
                            return (i, .success(try await Self.firstWorking { by, w in
                                (try await c.surveys.estimate(.init(surveyId: survey.id, questionCode: q.code, by: by, weighting: w), options: opts), w)
                            }))
                        } catch { return (i, .failure(error)) }
                    }
                }
                var results: [(Int, Result<(SurveyV1.EstimateResponse, SurveyV1.Weighting), any Error>)] = []
                for await r in group { results.append(r) }
                for (i, r) in results.sorted(by: { $0.0 < $1.0 }) {
                    switch r {
                    case .success(let (e, w)):
                        estimates.append(e)
                        if summary.weighting.isEmpty { summary.weighting = w == .rake ? "rake" : "design" }
                    case .failure(let e):
                        summary.notes.append("оценка по вопросу \(estimable[estimable.startIndex + i].code) недоступна: \((e as? RPCError)?.message ?? "\(e)")")
                    }
                }
            }
            summary.estimates = estimates
            summary.satisfaction = await index
        } else {
            summary.notes.append("результаты опроса ещё не поступали")
        }
        summary.municipalityNames = await names
        return summary
    }

    /// Tries (by municipality, raking) → (by municipality, design weights) → (overall, design weights).
    /// Unavailability and timeouts are not retried.
    static func firstWorking<T: Sendable>(_ call: @Sendable (String, SurveyV1.Weighting) async throws -> T) async throws -> T {
        let attempts: [(String, SurveyV1.Weighting)] = [("municipality", .rake), ("municipality", .unspecified), ("", .unspecified)]
        var lastError: any Error = RPCError.internalError("no attempt made")
        for (by, w) in attempts {
            do { return try await call(by, w) } catch let e as RPCError where e.code == .invalidArgument || e.code == .failedPrecondition {
                lastError = e
            }
        }
        throw lastError
    }

    static func municipalityNames(_ agencies: AgencyV1.AgencyService.Client, _ opts: CallOptions) async -> [String: String] {
        guard let r = try? await agencies.listMunicipalities(.init(), options: opts) else { return [:] }
        return Dictionary(r.municipalities.map { ($0.oktmo, $0.name) }, uniquingKeysWith: { a, _ in a })
    }
}
