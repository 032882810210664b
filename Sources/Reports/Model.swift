import Foundation

// Input model of the governor report and the dashboard. Plain Sendable value types; the caller
// maps service responses onto them. Conventions:
//  • shares (on-time, satisfaction, survey estimates of proportions) are fractions 0…1;
//  • durations are hours;
//  • all text is raw (unescaped) — the renderer escapes it.

/// Sector topic of an appeal. Codes follow the platform taxonomy (`housing`, `waste`, `energy`,
/// `education`, `health`, `roads`, `transport`, `social`, `other`).
public struct ReportTopic: Sendable, Hashable {
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    public static let housing = ReportTopic(code: "housing", name: "ЖКХ")
    public static let waste = ReportTopic(code: "waste", name: "ТКО")
    public static let energy = ReportTopic(code: "energy", name: "Энергетика")
    public static let education = ReportTopic(code: "education", name: "Образование")
    public static let health = ReportTopic(code: "health", name: "Здравоохранение")
    public static let roads = ReportTopic(code: "roads", name: "Дороги")
    public static let transport = ReportTopic(code: "transport", name: "Транспорт")
    public static let social = ReportTopic(code: "social", name: "Социальная защита")
    public static let other = ReportTopic(code: "other", name: "Прочее")

    /// The standard topics in display order.
    public static let standard: [ReportTopic] = [.housing, .waste, .energy, .education, .health, .roads, .transport, .social, .other]
}

// MARK: - KPIs

/// Traffic-light status of a headline indicator; `unknown` when it has no target.
public enum KpiStatus: String, Sendable, Hashable, CaseIterable {
    case green, amber, red, unknown

    public var nameRu: String {
        switch self {
        case .green: return "в норме"
        case .amber: return "внимание"
        case .red: return "критично"
        case .unknown: return "нет цели"
        }
    }
}

/// Which way a headline indicator improves: decides its computed status and the colour of its change.
public enum KpiDirection: String, Sendable, Hashable {
    case higherIsBetter, lowerIsBetter
}

/// Unit of a headline indicator: decides how its value and its change are formatted (Russian style).
public enum KpiUnit: Sendable, Hashable {
    /// Integer count.
    case count
    /// Fraction 0…1 shown as percent; changes are shown in percentage points.
    case percent
    case hours
    case days
    /// Score / index with one decimal.
    case score
    /// Decimal with a custom unit suffix.
    case custom(String)

    public func format(_ value: Double) -> String {
        switch self {
        case .count: return RuFormat.number(value, fractionDigits: 0)
        case .percent: return RuFormat.percent(value, fractionDigits: 1)
        case .hours: return RuFormat.number(value, fractionDigits: 1) + RuFormat.unitSpace + "ч"
        case .days: return RuFormat.number(value, fractionDigits: 1) + RuFormat.unitSpace + "дн."
        case .score: return RuFormat.number(value, fractionDigits: 1)
        case .custom(let suffix): return RuFormat.number(value, fractionDigits: 1) + RuFormat.unitSpace + suffix
        }
    }

    public func formatDelta(_ delta: Double) -> String {
        switch self {
        case .count: return RuFormat.signed(delta, fractionDigits: 0)
        case .percent: return RuFormat.percentagePoints(delta)
        case .hours: return RuFormat.signed(delta, fractionDigits: 1) + RuFormat.unitSpace + "ч"
        case .days: return RuFormat.signed(delta, fractionDigits: 1) + RuFormat.unitSpace + "дн."
        case .score: return RuFormat.signed(delta, fractionDigits: 1)
        case .custom(let suffix): return RuFormat.signed(delta, fractionDigits: 1) + RuFormat.unitSpace + suffix
        }
    }
}

/// A headline indicator with target, status and change versus the previous month.
public struct KpiItem: Sendable, Hashable {
    public var key: String
    public var title: String
    public var value: Double
    public var unit: KpiUnit
    public var target: Double?
    public var previous: Double?
    public var direction: KpiDirection
    /// Explicit status; `nil` → computed from `target` (see `effectiveStatus`).
    public var status: KpiStatus?
    /// Relative tolerance for amber when the status is computed (0.05 = within 5 % of target).
    public var amberTolerance: Double
    /// Recent history for a sparkline (oldest first), optional.
    public var history: [Double]
    public var note: String?

    public init(key: String, title: String, value: Double, unit: KpiUnit = .count, target: Double? = nil,
                previous: Double? = nil, direction: KpiDirection = .higherIsBetter, status: KpiStatus? = nil,
                amberTolerance: Double = 0.05, history: [Double] = [], note: String? = nil) {
        self.key = key
        self.title = title
        self.value = value
        self.unit = unit
        self.target = target
        self.previous = previous
        self.direction = direction
        self.status = status
        self.amberTolerance = amberTolerance
        self.history = history
        self.note = note
    }

    /// Explicit status, or: target met → green; within `amberTolerance` (relative) → amber; else red.
    public var effectiveStatus: KpiStatus {
        if let status { return status }
        guard let target, value.isFinite, target.isFinite else { return .unknown }
        let slack = abs(target) * amberTolerance
        switch direction {
        case .higherIsBetter:
            if value >= target { return .green }
            return value >= target - slack ? .amber : .red
        case .lowerIsBetter:
            if value <= target { return .green }
            return value <= target + slack ? .amber : .red
        }
    }

    /// The badge's text: the status's name, or «нет данных» when there is no value (a KPI with a target but nothing to
    /// measure yet is not one "without a target").
    public var statusLabel: String { value.isFinite ? effectiveStatus.nameRu : "нет данных" }

    /// Change versus the previous period, `nil` when unknown.
    public var delta: Double? {
        guard let previous, previous.isFinite, value.isFinite else { return nil }
        return value - previous
    }
}

// MARK: - Volume

/// Appeals received through one intake channel in the period, with the previous period's count.
public struct ChannelCount: Sendable, Hashable {
    /// Channel display name: «Портал», «Телефон 122», «Соцсети», «Письмо», «Личный приём»…
    public var channel: String
    public var count: Int
    public var previousCount: Int?

    public init(channel: String, count: Int, previousCount: Int? = nil) {
        self.channel = channel
        self.count = count
        self.previousCount = previousCount
    }
}

/// Appeals of one sector topic in the period, with the previous period's count.
public struct TopicCount: Sendable, Hashable {
    public var topic: ReportTopic
    public var count: Int
    public var previousCount: Int?

    public init(topic: ReportTopic, count: Int, previousCount: Int? = nil) {
        self.topic = topic
        self.count = count
        self.previousCount = previousCount
    }
}

/// Appeals received on one day of the period (optionally also those answered) for the daily chart.
public struct DailyCount: Sendable, Hashable {
    /// ISO date «2026-10-07».
    public var date: String
    public var count: Int
    /// Answered on that day (optional second line).
    public var answered: Int?

    public init(date: String, count: Int, answered: Int? = nil) {
        self.date = date
        self.count = count
        self.answered = answered
    }
}

// MARK: - Timeliness

/// Answer timeliness of one topic's appeals: on time, late, still in work, and the median answer time.
public struct TopicTimeliness: Sendable, Hashable {
    public var topic: ReportTopic
    public var onTime: Int
    public var late: Int
    /// Still in work at the end of the period (not overdue).
    public var inProgress: Int
    public var medianAnswerHours: Double?

    public init(topic: ReportTopic, onTime: Int, late: Int, inProgress: Int = 0, medianAnswerHours: Double? = nil) {
        self.topic = topic
        self.onTime = onTime
        self.late = late
        self.inProgress = inProgress
        self.medianAnswerHours = medianAnswerHours
    }
}

/// The timeliness section: on-time share against its target, median answer time, overdue appeals, by topic.
public struct Timeliness: Sendable, Hashable {
    /// Share of answers given within the statutory term (fraction; NaN when nothing was answered or overdue yet).
    public var onTimeShare: Double
    public var onTimeSharePrevious: Double?
    public var onTimeTarget: Double?
    /// NaN when nothing was answered.
    public var medianAnswerHours: Double
    public var medianAnswerHoursPrevious: Double?
    public var answered: Int
    public var overdue: Int
    public var byTopic: [TopicTimeliness]
    /// Distribution of answer times, e.g. «до 1 дня», «1–3 дня», «3–7 дней», «7–30 дней», «более 30 дней».
    public var answerTimeBuckets: [ChartDatum]

    public init(onTimeShare: Double, onTimeSharePrevious: Double? = nil, onTimeTarget: Double? = nil,
                medianAnswerHours: Double, medianAnswerHoursPrevious: Double? = nil, answered: Int = 0,
                overdue: Int = 0, byTopic: [TopicTimeliness] = [], answerTimeBuckets: [ChartDatum] = []) {
        self.onTimeShare = onTimeShare
        self.onTimeSharePrevious = onTimeSharePrevious
        self.onTimeTarget = onTimeTarget
        self.medianAnswerHours = medianAnswerHours
        self.medianAnswerHoursPrevious = medianAnswerHoursPrevious
        self.answered = answered
        self.overdue = overdue
        self.byTopic = byTopic
        self.answerTimeBuckets = answerTimeBuckets
    }
}

// MARK: - Ratings

/// One agency or municipality in a rating table: rank and score with their changes, and its key metrics.
public struct RatingRow: Sendable, Hashable {
    public var key: String
    public var name: String
    public var rank: Int
    public var previousRank: Int?
    public var score: Double
    public var scoreChange: Double?
    public var volume: Int
    /// Fraction 0…1.
    public var onTimeShare: Double?
    public var medianAnswerHours: Double?
    /// Fraction 0…1 (share of satisfied respondents / positive feedback).
    public var satisfaction: Double?
    /// Appeals per 10 000 population (municipalities).
    public var per10k: Double?

    public init(key: String, name: String, rank: Int, previousRank: Int? = nil, score: Double, scoreChange: Double? = nil,
                volume: Int, onTimeShare: Double? = nil, medianAnswerHours: Double? = nil, satisfaction: Double? = nil,
                per10k: Double? = nil) {
        self.key = key
        self.name = name
        self.rank = rank
        self.previousRank = previousRank
        self.score = score
        self.scoreChange = scoreChange
        self.volume = volume
        self.onTimeShare = onTimeShare
        self.medianAnswerHours = medianAnswerHours
        self.satisfaction = satisfaction
        self.per10k = per10k
    }

    /// Positive = moved up (e.g. from 5th to 3rd → +2).
    public var rankChange: Int? { previousRank.map { $0 - rank } }
}

/// A ranked table of agencies or municipalities, with the best and worst rows highlighted.
public struct RatingTable: Sendable, Hashable {
    /// Which peers the table ranks; also picks the default title.
    public enum Kind: String, Sendable, Hashable { case agencies, municipalities }
    public var kind: Kind
    public var title: String
    public var rows: [RatingRow]
    /// How many leading / trailing rows are highlighted as best / worst (default 3, capped to a third of rows).
    public var highlightCount: Int
    public var note: String?

    public init(kind: Kind, title: String? = nil, rows: [RatingRow], highlightCount: Int = 3, note: String? = nil) {
        self.kind = kind
        self.title = title ?? (kind == .agencies ? "Рейтинг органов исполнительной власти" : "Рейтинг муниципальных образований")
        self.rows = rows
        self.highlightCount = highlightCount
        self.note = note
    }
}

// MARK: - Problems

/// A problem category of a topic (or a sub-theme of «Прочее») with its appeal count and the previous count.
public struct ProblemCount: Sendable, Hashable {
    public var name: String
    public var count: Int
    public var previousCount: Int?

    public init(name: String, count: Int, previousCount: Int? = nil) {
        self.name = name
        self.count = count
        self.previousCount = previousCount
    }
}

/// Problem categories of one topic. The renderer shows the top `TopicProblems.topN` (≥ 3)
/// categories and folds the rest, together with `otherBreakdown`, into a «Прочие» row whose
/// composition is listed.
public struct TopicProblems: Sendable, Hashable {
    public var topic: ReportTopic
    public var total: Int
    public var problems: [ProblemCount]
    /// Breakdown of the catch-all «Прочее» category (sub-themes found in free text), if known.
    public var otherBreakdown: [ProblemCount]
    public var topN: Int

    public init(topic: ReportTopic, total: Int? = nil, problems: [ProblemCount], otherBreakdown: [ProblemCount] = [], topN: Int = 5) {
        self.topic = topic
        self.total = total ?? (problems.reduce(0) { $0 + $1.count } + otherBreakdown.reduce(0) { $0 + $1.count })
        self.problems = problems
        self.otherBreakdown = otherBreakdown
        self.topN = max(3, topN)
    }
}

// MARK: - Special monitoring

/// A special-monitoring flag of appeals (raw values as Taxonomy's `MonitoringFlag`), shown in its own section.
public enum MonitoringKind: String, Sendable, Hashable, CaseIterable {
    case terrorism, extremism, corruption, drugs

    public var nameRu: String {
        switch self {
        case .terrorism: return "Терроризм"
        case .extremism: return "Экстремизм"
        case .corruption: return "Коррупция"
        case .drugs: return "Наркотики"
        }
    }
}

/// Appeals with one special-monitoring flag in the period, with the previous count and how many were forwarded.
public struct FlagCount: Sendable, Hashable {
    public var kind: MonitoringKind
    public var count: Int
    public var previousCount: Int?
    /// Passed to law-enforcement / the anti-corruption desk.
    public var forwarded: Int?

    public init(kind: MonitoringKind, count: Int, previousCount: Int? = nil, forwarded: Int? = nil) {
        self.kind = kind
        self.count = count
        self.previousCount = previousCount
        self.forwarded = forwarded
    }
}

// MARK: - Surveys

/// One domain's survey estimate (proportion or mean) with its confidence interval and respondent count.
public struct SurveyRow: Sendable, Hashable {
    /// Domain (municipality / group) name.
    public var domain: String
    public var estimate: Double
    public var ciLow: Double
    public var ciHigh: Double
    /// Unweighted number of respondents.
    public var n: Int

    public init(domain: String, estimate: Double, ciLow: Double, ciHigh: Double, n: Int) {
        self.domain = domain
        self.estimate = estimate
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.n = n
    }
}

/// One survey chart: estimates per domain with intervals, the regional value drawn as a reference line.
public struct SurveyPanel: Sendable, Hashable {
    /// What the estimates are — proportions or means on a scale; decides how they are formatted.
    public enum Measure: Sendable, Hashable {
        /// Estimates are proportions (0…1).
        case proportion
        /// Estimates are means on a scale (e.g. 1…5).
        case mean(scaleMin: Double, scaleMax: Double)
    }

    public var title: String
    public var question: String?
    public var measure: Measure
    /// Regional (total) estimate, drawn as a reference line.
    public var overall: SurveyRow?
    public var rows: [SurveyRow]
    public var fieldPeriod: String?
    /// Rows with fewer respondents are flagged as unreliable.
    public var minReliableN: Int

    public init(title: String, question: String? = nil, measure: Measure = .proportion, overall: SurveyRow? = nil,
                rows: [SurveyRow], fieldPeriod: String? = nil, minReliableN: Int = 50) {
        self.title = title
        self.question = question
        self.measure = measure
        self.overall = overall
        self.rows = rows
        self.fieldPeriod = fieldPeriod
        self.minReliableN = minReliableN
    }
}

// MARK: - Methodology

/// One component of the composite rating as the methodology section lists it: name, weight, description.
public struct RatingWeight: Sendable, Hashable {
    public var name: String
    /// Fraction of the composite score (weights should sum to 1).
    public var weight: Double
    public var description: String?

    public init(name: String, weight: Double, description: String? = nil) {
        self.name = name
        self.weight = weight
        self.description = description
    }
}

/// The report's methodology section: rating weights, data sources, survey weighting and notes.
public struct Methodology: Sendable, Hashable {
    public var ratingWeights: [RatingWeight]
    public var dataSources: [String]
    public var surveyWeighting: String
    public var notes: [String]

    /// Without arguments the section states what every platform has (its data sources) and claims nothing it was not
    /// told: no rating weights (the renderer says none were given) and no survey weighting.
    public init(ratingWeights: [RatingWeight] = [], dataSources: [String] = Methodology.defaultSources,
                surveyWeighting: String = Methodology.noSurveyEstimates, notes: [String] = []) {
        self.ratingWeights = ratingWeights
        self.dataSources = dataSources
        self.surveyWeighting = surveyWeighting
        self.notes = notes
    }

    public static let defaultSources: [String] = [
        "Платформа обратной связи и региональная система обработки обращений граждан",
        "Сообщения социальных сетей и мессенджеров (мониторинг и инцидент-менеджмент ЦУР)",
        "Телефонная линия и личный приём",
        "Социологические опросы населения ЦУР",
    ]
    /// The survey paragraph of a period without survey estimates.
    public static let noSurveyEstimates = "Оценки опросов не рассчитывались."
}

// MARK: - Report

/// Input of the monthly governor report (`ReportRenderer.governorReport`): every section's data for one period.
public struct GovernorReport: Sendable, Hashable {
    /// «2026-10».
    public var period: String
    public var regionName: String
    public var generatedAt: Date
    public var timeZoneIdentifier: String
    public var preparedBy: String
    public var kpis: [KpiItem]
    public var channels: [ChannelCount]
    public var topics: [TopicCount]
    public var daily: [DailyCount]
    public var timeliness: Timeliness?
    public var agencyRating: RatingTable
    public var municipalityRating: RatingTable
    public var topicProblems: [TopicProblems]
    public var flags: [FlagCount]
    public var surveys: [SurveyPanel]
    public var methodology: Methodology
    /// Workload and staff need per sector block (AgencyService GetWorkload).
    public var staffing: [StaffingRow] = []
    /// Root-cause cases with their progress, and the KPI targets / yearly indicators (RatingService).
    public var rootCauses: [RootCauseRow] = []
    public var indicators: [IndicatorRow] = []
    /// Free-form conclusions / key points for the governor (shown in the summary).
    public var highlights: [String]
    /// Sections whose data did not come (a backend did not answer), with the reason: such a section says so instead
    /// of showing zeros or "none found". For `.rootCauses` it covers the root-cause part; `indicatorsUnavailable`
    /// the targets part of the same section.
    public var unavailable: [ReportSection: String] = [:]
    public var indicatorsUnavailable: String?

    public init(period: String, regionName: String, generatedAt: Date, timeZoneIdentifier: String = "Europe/Moscow",
                preparedBy: String = "Центр управления регионом", kpis: [KpiItem] = [], channels: [ChannelCount] = [],
                topics: [TopicCount] = [], daily: [DailyCount] = [], timeliness: Timeliness? = nil,
                agencyRating: RatingTable = RatingTable(kind: .agencies, rows: []),
                municipalityRating: RatingTable = RatingTable(kind: .municipalities, rows: []),
                topicProblems: [TopicProblems] = [], flags: [FlagCount] = [], surveys: [SurveyPanel] = [],
                methodology: Methodology = Methodology(), highlights: [String] = []) {
        self.period = period
        self.regionName = regionName
        self.generatedAt = generatedAt
        self.timeZoneIdentifier = timeZoneIdentifier
        self.preparedBy = preparedBy
        self.kpis = kpis
        self.channels = channels
        self.topics = topics
        self.daily = daily
        self.timeliness = timeliness
        self.agencyRating = agencyRating
        self.municipalityRating = municipalityRating
        self.topicProblems = topicProblems
        self.flags = flags
        self.surveys = surveys
        self.methodology = methodology
        self.highlights = highlights
    }
}

// MARK: - Dashboard

/// A dashboard panel's data: loaded, or unavailable because its backend service did not answer.
public enum Panel<Value: Sendable>: Sendable {
    case loaded(Value)
    case unavailable(reason: String)

    public var value: Value? {
        if case .loaded(let v) = self { return v }
        return nil
    }

    public var isAvailable: Bool { value != nil }
}

/// Input of the live ЦУР dashboard (`ReportRenderer.dashboard`): each panel loaded or unavailable on its own.
public struct DashboardPage: Sendable {
    public var title: String
    public var regionName: String
    /// Period label, e.g. «2026-10» or free text «с 1 по 18 октября».
    public var period: String
    public var generatedAt: Date
    public var timeZoneIdentifier: String
    /// `<meta http-equiv="refresh">` interval; `nil` → no auto-refresh. With `live`, only for browsers
    /// without JavaScript (inside `<noscript>`).
    public var refreshSeconds: Int?
    /// Live updates: the page loads `script`, which re-reads the page in place when `events` (a
    /// server-sent-event stream) reports a change.
    public var live: (events: String, script: String)?
    public var kpis: Panel<[KpiItem]>
    public var channels: Panel<[ChannelCount]>
    public var topics: Panel<[TopicCount]>
    public var daily: Panel<[DailyCount]>
    public var timeliness: Panel<Timeliness>
    public var agencyRating: Panel<RatingTable>
    public var municipalityRating: Panel<RatingTable>
    public var topicProblems: Panel<[TopicProblems]>
    public var flags: Panel<[FlagCount]>
    public var surveys: Panel<[SurveyPanel]>
    /// Workload and staff need per sector block; set after construction (empty until then).
    public var staffing: Panel<[StaffingRow]> = .loaded([])
    /// The top open root-cause cases; set after construction (empty until then).
    public var rootCauses: Panel<[RootCauseRow]> = .loaded([])
    /// Rows shown in the rating panels (top N and bottom N are kept when longer).
    public var ratingRowsLimit: Int

    public init(title: String = "Оперативная панель ЦУР: обращения граждан", regionName: String, period: String,
                generatedAt: Date, timeZoneIdentifier: String = "Europe/Moscow", refreshSeconds: Int? = 300,
                kpis: Panel<[KpiItem]>, channels: Panel<[ChannelCount]>, topics: Panel<[TopicCount]>,
                daily: Panel<[DailyCount]>, timeliness: Panel<Timeliness>, agencyRating: Panel<RatingTable>,
                municipalityRating: Panel<RatingTable>, topicProblems: Panel<[TopicProblems]>,
                flags: Panel<[FlagCount]>, surveys: Panel<[SurveyPanel]>, ratingRowsLimit: Int = 20) {
        self.title = title
        self.regionName = regionName
        self.period = period
        self.generatedAt = generatedAt
        self.timeZoneIdentifier = timeZoneIdentifier
        self.refreshSeconds = refreshSeconds
        self.kpis = kpis
        self.channels = channels
        self.topics = topics
        self.daily = daily
        self.timeliness = timeliness
        self.agencyRating = agencyRating
        self.municipalityRating = municipalityRating
        self.topicProblems = topicProblems
        self.flags = flags
        self.surveys = surveys
        self.ratingRowsLimit = ratingRowsLimit
    }
}
