import Contracts
import Foundation
import Reports

/// Maps a `DashboardSnapshot` (contract types) onto the Reports models of the web dashboard and the
/// governor report. Pure functions; shares stay fractions 0…1, durations hours.
enum ReportMapping {
    // MARK: pages

    static func dashboardPage(_ s: DashboardSnapshot, settings: GatewaySettings) -> DashboardPage {
        var page = DashboardPage(
            regionName: settings.regionName, period: s.period, generatedAt: s.generatedAt, timeZoneIdentifier: s.timeZone,
            kpis: kpiPanel(s),
            channels: panel(s.appeals) { channels($0, previous: s.previousAppeals.value) },
            topics: panel(s.appeals) { topics($0, previous: s.previousAppeals.value) },
            daily: panel(s.activity) { daily($0) },
            timeliness: panel(s.activity) { timeliness($0, kpis: s.kpis.value) },
            agencyRating: panel(s.agencyRatings) { ratingTable($0, kind: .agencies) },
            municipalityRating: panel(s.municipalityRatings) { ratingTable($0, kind: .municipalities) },
            topicProblems: panel(s.topProblems) { problems($0, previous: s.previousTopProblems.value) },
            flags: panel(s.activity) { flags($0) },
            surveys: panel(s.survey) { surveyPanels($0, timeZone: settings.timeZone) })
        page.staffing = panel(s.workload) { staffing($0, period: s.period) }
        page.rootCauses = panel(s.rootCauses) { topOpenRootCauses($0) }
        return page
    }

    static func governorReport(_ s: DashboardSnapshot, settings: GatewaySettings) -> GovernorReport {
        let kpis = kpiPanel(s).value ?? []
        var report = GovernorReport(
            period: s.period, regionName: settings.regionName, generatedAt: s.generatedAt, timeZoneIdentifier: s.timeZone,
            kpis: kpis,
            channels: s.appeals.value.map { channels($0, previous: s.previousAppeals.value) } ?? [],
            topics: s.appeals.value.map { topics($0, previous: s.previousAppeals.value) } ?? [],
            daily: s.activity.value.map(daily) ?? [],
            timeliness: s.activity.value.map { timeliness($0, kpis: s.kpis.value) },
            agencyRating: s.agencyRatings.value.map { ratingTable($0, kind: .agencies) } ?? RatingTable(kind: .agencies, rows: [], note: s.agencyRatings.reason),
            municipalityRating: s.municipalityRatings.value.map { ratingTable($0, kind: .municipalities) }
                ?? RatingTable(kind: .municipalities, rows: [], note: s.municipalityRatings.reason),
            topicProblems: s.topProblems.value.map { problems($0, previous: s.previousTopProblems.value) } ?? [],
            flags: s.activity.value.map(flags) ?? [],
            surveys: s.survey.value.map { surveyPanels($0, timeZone: settings.timeZone) } ?? [],
            methodology: methodology(s))
        report.staffing = s.workload.value.map { staffing($0, period: s.period) } ?? []
        report.rootCauses = s.rootCauses.value.map { $0.cases.map(rootCause) } ?? []
        report.indicators = s.indicators.value.map { $0.indicators.map(indicator) } ?? []
        report.highlights = highlights(s, kpis: kpis, topics: report.topics)
        report.preparedBy = approvalLine(s.approval)
        report.unavailable = unavailableSections(s)
        report.indicatorsUnavailable = s.indicators.reason
        return report
    }

    /// The report's sections whose backend did not answer, with the reason (the summary, fed by two answers, is
    /// unavailable only when neither came; the targets part of the root-cause section is `indicatorsUnavailable`).
    static func unavailableSections(_ s: DashboardSnapshot) -> [ReportSection: String] {
        var out: [ReportSection: String] = [:]
        if case .unavailable(let reason) = kpiPanel(s) { out[.summary] = reason }
        for source in sources(s) {
            guard let reason = source.reason else { continue }
            for sec in source.sections { out[sec] = reason }
        }
        return out
    }

    /// Who approved the report, that it is a draft, or that RatingService did not say.
    static func approvalLine(_ approval: Section<RatingV1.ReportApproval>) -> String {
        if approval.reason != nil { return "Центр управления регионом · сведения об утверждении недоступны" }
        guard let a = approval.value, !a.approvedBy.isEmpty else {
            return "Центр управления регионом · проект, не утверждён куратором"
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return "Центр управления регионом · утверждён куратором (\(a.approvedBy)) \(f.string(from: Date(timeIntervalSince1970: Double(a.approvedAtMs) / 1000)))"
    }

    static func panel<T: Encodable & Sendable, U: Sendable>(_ section: Section<T>, _ map: (T) -> U) -> Panel<U> {
        switch section {
        case .data(let v): return .loaded(map(v))
        case .unavailable(let reason): return .unavailable(reason: reason)
        }
    }

    /// Each answer the report is built from: its name in the notes, why it did not come (nil: it came) and the report
    /// sections it alone feeds — one table for the notes (`missing`) and the sections' notices (`unavailableSections`).
    static func sources(_ s: DashboardSnapshot) -> [(name: String, reason: String?, sections: [ReportSection])] {
        [("статистика обращений", s.appeals.reason, [.volume]),
         ("динамика и сроки рассмотрения", s.activity.reason, [.trend, .timeliness, .flags]),
         ("рейтинг органов власти", s.agencyRatings.reason, [.agencies]),
         ("рейтинг муниципальных образований", s.municipalityRatings.reason, [.municipalities]),
         ("основные проблемы", s.topProblems.reason, [.problems]),
         ("ключевые показатели", s.kpis.reason, []),
         ("опросы", s.survey.reason, [.surveys]),
         ("загруженность блоков", s.workload.reason, [.staffing]),
         ("системные проблемы", s.rootCauses.reason, [.rootCauses]),
         ("целевые показатели", s.indicators.reason, [])]
    }

    /// Sections whose backend did not answer, with the reason.
    static func missing(_ s: DashboardSnapshot) -> [(String, String)] {
        sources(s).compactMap { source in source.reason.map { (source.name, $0) } }
    }

    // MARK: KPIs

    static func kpiPanel(_ s: DashboardSnapshot) -> Panel<[KpiItem]> {
        if s.appeals.value == nil && s.kpis.value == nil {
            return .unavailable(reason: [s.appeals.reason, s.kpis.reason].compactMap { $0 }.joined(separator: "; "))
        }
        var items: [KpiItem] = []
        if let st = s.appeals.value {
            let prev = s.previousAppeals.value
            items.append(KpiItem(key: "total", title: "Поступило обращений", value: Double(st.total), unit: .count,
                                 previous: prev.map { Double($0.total) }, direction: .lowerIsBetter, status: .unknown))
            items.append(KpiItem(key: "open", title: "На рассмотрении", value: Double(st.open), unit: .count,
                                 previous: prev.map { Double($0.open) }, direction: .lowerIsBetter, status: .unknown))
            items.append(KpiItem(key: "overdue", title: "Просрочено (не отвечено в срок)", value: Double(st.overdue), unit: .count,
                                 target: 0, previous: prev.map { Double($0.overdue) }, direction: .lowerIsBetter,
                                 status: st.overdue > 0 ? .red : .green))
        }
        if let k = s.kpis.value {
            let previous = Dictionary(
                (s.previousKpis.value?.kpis ?? []).filter { $0.groupKey == "region" && $0.status != .unspecified }.map { ($0.code, $0.value) },
                uniquingKeysWith: { a, _ in a })
            for kpi in k.kpis where kpi.groupKey == "region" {
                let noData = kpi.status == .unspecified
                items.append(KpiItem(key: kpi.code, title: kpi.name, value: noData ? .nan : kpi.value, unit: unit(kpi.code), target: kpi.target,
                                     previous: previous[kpi.code], direction: kpi.higherIsBetter ? .higherIsBetter : .lowerIsBetter,
                                     status: status(kpi.status), note: noData ? "нет данных за период" : nil))
            }
        } else if let reason = s.kpis.reason {
            items.append(KpiItem(key: "rating-kpis", title: "Целевые показатели", value: .nan, status: .unknown,
                                 note: "недоступны: \(reason)"))
        }
        return .loaded(items)
    }

    static func unit(_ code: String) -> KpiUnit {
        switch code {
        case "onTimeShare", "satisfiedShare", "reopenRate", "completeness", "repeatRate", "extendedShare": return .percent
        case "medianAnswerHours", "p90AnswerHours": return .hours
        case "meanSatisfaction": return .custom("из 5")
        case "volume": return .count
        case "appealsPer10k": return .custom("на 10 тыс.")
        default: return .score
        }
    }

    static func status(_ s: RatingV1.KpiStatus) -> Reports.KpiStatus {
        switch s {
        case .green: return .green
        case .amber: return .amber
        case .red: return .red
        case .unspecified: return .unknown
        }
    }

    // MARK: volume

    static let channelNames: [String: String] = [
        "pos": "Платформа обратной связи", "portal": "Портал", "email": "Электронная почта", "letter": "Письмо",
        "social": "Соцсети", "messenger": "Мессенджеры", "phone": "Телефон", "reception": "Личный приём", "open311": "Open311",
    ]

    static func channels(_ st: AppealV1.GetStatsResponse, previous: AppealV1.GetStatsResponse?) -> [ChannelCount] {
        let prev = previous.map { Dictionary($0.byChannel.map { ($0.key, Int($0.count)) }, uniquingKeysWith: +) }
        return st.byChannel.map { c in
            ChannelCount(channel: channelNames[c.key] ?? c.key, count: Int(c.count), previousCount: prev.map { $0[c.key] ?? 0 })
        }
    }

    static func topic(_ code: String, name: String = "") -> ReportTopic {
        if let t = ReportTopic.standard.first(where: { $0.code == code }) { return t }
        if code.isEmpty { return ReportTopic(code: "unclassified", name: "Не классифицировано") }
        return ReportTopic(code: code, name: name.isEmpty ? code : name)
    }

    static func topics(_ st: AppealV1.GetStatsResponse, previous: AppealV1.GetStatsResponse?) -> [TopicCount] {
        let prev = previous.map { Dictionary($0.byTopic.map { ($0.key, Int($0.count)) }, uniquingKeysWith: +) }
        return st.byTopic.map { t in TopicCount(topic: topic(t.key), count: Int(t.count), previousCount: prev.map { $0[t.key] ?? 0 }) }
    }

    static func daily(_ a: AppealActivity) -> [DailyCount] {
        a.daily.map { DailyCount(date: $0.date, count: $0.received, answered: $0.answered) }
    }

    static func flags(_ a: AppealActivity) -> [FlagCount] {
        MonitoringKind.allCases.map { FlagCount(kind: $0, count: a.flags[$0.rawValue] ?? 0) }
    }

    // MARK: timeliness

    static func timeliness(_ a: AppealActivity, kpis: RatingV1.GetKpisResponse?) -> Timeliness {
        let target = kpis?.kpis.first { $0.groupKey == "region" && $0.code == "onTimeShare" }?.target
        // With nothing answered or overdue yet (the first days of a month) there is no share and no median: NaN, which
        // the cards show as «—» with no status, not as 0 % «критично» and 0 hours.
        return Timeliness(
            // RatingService's rule (`onTimeShare`): among appeals with an answer deadline, answered on time ÷ (answered
            // + unanswered past the deadline); an answer to an appeal without a deadline is neither.
            onTimeShare: a.onTime + a.late + a.overdueOpen > 0 ? Double(a.onTime) / Double(a.onTime + a.late + a.overdueOpen) : .nan,
            onTimeTarget: target,
            medianAnswerHours: a.medianAnswerHours ?? .nan, answered: a.answered, overdue: a.overdueOpen,
            byTopic: a.byTopic.map { TopicTimeliness(topic: topic($0.topic), onTime: $0.onTime, late: $0.late,
                                                     inProgress: $0.inProgress, medianAnswerHours: $0.medianAnswerHours) },
            answerTimeBuckets: a.answered > 0 ? a.answerTimeBuckets.map { ChartDatum($0.label, Double($0.count)) } : [])
    }

    // MARK: ratings

    static func ratingTable(_ r: RatingV1.GetRatingsResponse, kind: RatingTable.Kind) -> RatingTable {
        let ranked = r.rows.filter { $0.rank > 0 }.sorted { ($0.rank, $0.key) < ($1.rank, $1.key) }
        // Below the minimum volume RatingService gives no rank: listed after the ranked rows, by volume, with
        // conditional places so that the table still shows every entity that had appeals.
        let unranked = r.rows.filter { $0.rank <= 0 }
            .sorted { (-($0.metrics?.volume ?? 0), $0.name) < (-($1.metrics?.volume ?? 0), $1.name) }
        let lastRank = Int(ranked.last?.rank ?? 0)
        let rows = (ranked.map { ($0, Int($0.rank)) } + unranked.enumerated().map { ($1, lastRank + $0 + 1) }).map { row, place -> Reports.RatingRow in
            let m = row.metrics ?? RatingV1.Metrics()
            let hadPrevious = row.rank > 0 && row.previousRank > 0
            return Reports.RatingRow(
                key: row.key, name: row.name.isEmpty ? row.key : row.name, rank: place,
                previousRank: hadPrevious ? Int(row.previousRank) : nil, score: row.score,
                scoreChange: hadPrevious ? row.scoreChange : nil, volume: Int(m.volume),
                onTimeShare: m.answered > 0 ? m.onTimeShare : nil, medianAnswerHours: m.answered > 0 ? m.medianAnswerHours : nil,
                satisfaction: m.meanSatisfaction > 0 ? m.satisfiedShare : nil,
                per10k: kind == .municipalities && m.population > 0 ? m.per10kPopulation : nil)
        }
        var notes = ["Период \(r.period), сравнение с \(r.previousPeriod)."]
        if !unranked.isEmpty {
            let range = unranked.count == 1 ? "Место \(lastRank + 1) условное" : "Места \(lastRank + 1)–\(lastRank + unranked.count) условные"
            notes.append("\(range): слишком мало обращений для рейтинга, порядок — по числу обращений.")
        }
        return RatingTable(kind: kind, rows: rows, note: notes.joined(separator: " "))
    }

    // MARK: problems

    static func isOther(_ c: RatingV1.CategoryCount) -> Bool {
        !c.breakdown.isEmpty || c.code == "other" || c.code.hasSuffix(".other")
    }

    static func problems(_ r: RatingV1.GetTopProblemsResponse, previous: RatingV1.GetTopProblemsResponse?) -> [TopicProblems] {
        var prev: [String: [String: Int]] = [:]
        for t in previous?.topics ?? [] {
            for c in t.top { prev[t.topicCode, default: [:]][c.code] = Int(c.count) }
        }
        return r.topics.map { t in
            var problems: [ProblemCount] = []
            var other: [ProblemCount] = []
            for c in t.top {
                let name = c.name.isEmpty ? c.code : c.name
                if isOther(c) {
                    let parts = c.breakdown.map { ProblemCount(name: $0.name.isEmpty ? $0.code : $0.name, count: Int($0.count)) }
                    other += parts
                    let rest = Int(c.count) - parts.reduce(0) { $0 + $1.count }
                    if rest > 0 { other.append(ProblemCount(name: name, count: rest)) }
                } else {
                    problems.append(ProblemCount(name: name, count: Int(c.count), previousCount: previous == nil ? nil : prev[t.topicCode]?[c.code] ?? 0))
                }
            }
            return TopicProblems(topic: topic(t.topicCode, name: t.topicName), total: Int(t.volume), problems: problems, otherBreakdown: other)
        }
    }

    // MARK: surveys

    static func surveyPanels(_ s: SurveySummary, timeZone: TimeZone) -> [SurveyPanel] {
        guard let survey = s.survey else { return [] }
        let fieldPeriod = fieldwork(survey, timeZone: timeZone)
        func domainName(_ d: String) -> String { s.municipalityNames[d] ?? d }
        func row(_ r: SurveyV1.EstimateRow, label: String) -> SurveyRow {
            SurveyRow(domain: label, estimate: r.estimate, ciLow: r.ciLow, ciHigh: r.ciHigh, n: Int(r.n))
        }
        var panels: [SurveyPanel] = []
        for e in s.estimates {
            let q = survey.questions.first { $0.code == e.questionCode }
            let questionText = q?.text ?? e.questionCode
            switch e.type {
            case .single, .multiple:
                let labels = Dictionary((q?.options ?? []).map { ($0.code, $0.label.isEmpty ? $0.code : $0.label) }, uniquingKeysWith: { a, _ in a })
                let rows = e.rows.filter { $0.domain.isEmpty }.map { row($0, label: labels[$0.level] ?? $0.level) }
                panels.append(SurveyPanel(title: "\(survey.title): распределение ответов", question: questionText, measure: .proportion,
                                          rows: rows, fieldPeriod: fieldPeriod))
            default:
                // Means have level ""; other levels (e.g. shares of scale points) are not drawn here.
                let means = e.rows.contains { $0.level.isEmpty } ? e.rows.filter { $0.level.isEmpty } : e.rows
                let overall = means.first { $0.domain.isEmpty }.map { row($0, label: "Регион") }
                let rows = means.filter { !$0.domain.isEmpty }.map { row($0, label: domainName($0.domain)) }
                let measure: SurveyPanel.Measure
                if e.type == .nps { measure = .mean(scaleMin: -100, scaleMax: 100) }
                else if let q, q.scaleMax > q.scaleMin { measure = .mean(scaleMin: Double(q.scaleMin), scaleMax: Double(q.scaleMax)) }
                else { measure = .mean(scaleMin: 0, scaleMax: 0) }
                let what = e.type == .nps ? "индекс NPS (−100…100)" : "среднее значение"
                panels.append(SurveyPanel(title: "\(survey.title): \(what)", question: questionText, measure: measure,
                                          overall: overall, rows: rows.isEmpty ? overall.map { [$0] } ?? [] : rows, fieldPeriod: fieldPeriod))
            }
        }
        if let idx = s.satisfaction {
            let levels = Array(Set(idx.rows.map(\.level))).sorted()
            for level in levels {
                let rows = idx.rows.filter { $0.level == level }
                let overall = rows.first { $0.domain.isEmpty }.map { row($0, label: "Регион") }
                let domains = rows.filter { !$0.domain.isEmpty }.map { row($0, label: domainName($0.domain)) }
                let isNPS = level.hasPrefix("nps:")
                panels.append(SurveyPanel(
                    title: isNPS ? "Индекс потребительской лояльности (NPS), вопрос \(level.dropFirst(4))"
                                 : "Индекс удовлетворённости (CSI, 0–100)",
                    question: nil, measure: isNPS ? .mean(scaleMin: -100, scaleMax: 100) : .mean(scaleMin: 0, scaleMax: 100),
                    overall: overall, rows: domains.isEmpty ? overall.map { [$0] } ?? [] : domains, fieldPeriod: fieldPeriod))
            }
        }
        return panels
    }

    static func fieldwork(_ s: SurveyV1.Survey, timeZone: TimeZone) -> String? {
        guard s.fieldworkFromMs > 0 else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "ru_RU")
        f.timeZone = timeZone
        f.dateFormat = "dd.MM.yyyy"
        let from = f.string(from: Date(timeIntervalSince1970: Double(s.fieldworkFromMs) / 1000))
        guard s.fieldworkToMs > 0 else { return "с \(from) (полевой этап идёт)" }
        return "\(from) — \(f.string(from: Date(timeIntervalSince1970: Double(s.fieldworkToMs) / 1000)))"
    }

    // MARK: methodology & highlights

    static func methodology(_ s: DashboardSnapshot) -> Methodology {
        var m = Methodology()
        if let w = s.agencyRatings.value?.weights ?? s.municipalityRatings.value?.weights {
            // The pillars' metrics as RatingService computes them (`RatingConfig.standard`: the weights of the pillars
            // can be changed, their metrics cannot).
            m.ratingWeights = [
                RatingWeight(name: "Нагрузка", weight: w.quantity, description: "число обращений на 10 тыс. жителей"),
                RatingWeight(name: "Скорость", weight: w.speed, description: "доля ответов в установленный срок и медианное время подготовки ответа"),
                RatingWeight(name: "Качество", weight: w.quality, description: "удовлетворённость заявителей, повторно открытые и повторные обращения"),
                RatingWeight(name: "Полнота", weight: w.completeness, description: "доля ответов, закрывающих все поставленные вопросы"),
            ]
        }
        // Without a survey (or its estimates) the section keeps `Methodology.noSurveyEstimates`: it never describes a
        // weighting that was not applied.
        if let summary = s.survey.value, summary.survey != nil {
            var text: String?
            switch summary.weighting {
            case "rake": text = "Оценки опросов взвешены методом итеративной пропорциональной подгонки (рейкинг) к численности населения по заданным маргиналам."
            // Raking falls back to design weights for any refusal (no margins, a respondent without a margin's value, no
            // convergence), so the text does not name one cause.
            case "design": text = "Оценки опросов рассчитаны с весами дизайна выборки, без калибровки к численности населения."
            default: text = nil
            }
            if var text {
                text += " Доверительные интервалы 95 % рассчитаны с учётом дизайна выборки (линеаризация Тейлора)."
                if let method = summary.estimates.first?.method, !method.isEmpty { text += " Метод оценки: \(method)." }
                m.surveyWeighting = text
            }
        }
        var notes = ["Сроки рассмотрения и динамика рассчитаны по обращениям, поступившим в отчётном месяце, на момент формирования; рейтинги — по обращениям, зарегистрированным в месяце."]
        if let tz = TimeZone(identifier: s.timeZone), let period = try? ReportPeriod.resolve(s.period, timeZone: tz),
           period.comparesPartOfPrevious(now: s.generatedAt) {
            notes.append("Месяц не завершён: изменения числа обращений рассчитаны к тому же сроку предыдущего месяца, "
                         + "ключевые показатели и проблемы — к предыдущему месяцу целиком.")
        }
        notes += (s.survey.value?.notes ?? []).map { "Опросы: \($0)." }
        notes += missing(s).map { "Раздел «\($0.0)» не сформирован: \($0.1)." }
        m.notes = notes
        return m
    }

    static func highlights(_ s: DashboardSnapshot, kpis: [KpiItem], topics: [TopicCount]) -> [String] {
        var out: [String] = []
        if let st = s.appeals.value {
            var line = "Поступило обращений: \(st.total)"
            if let prev = s.previousAppeals.value, prev.total > 0 {
                let change = Double(st.total - prev.total) / Double(prev.total) * 100
                line += String(format: " (%@%.1f %% к %@)", change >= 0 ? "+" : "−", abs(change), s.previousPeriod)
            }
            out.append(line + "; на рассмотрении \(st.open), из них с истёкшим сроком ответа \(st.overdue).")
        }
        if let top = topics.max(by: { $0.count < $1.count }), top.count > 0 {
            out.append("Чаще всего обращались по тематике «\(top.topic.name)»: \(top.count).")
        }
        let red = kpis.filter { $0.effectiveStatus == .red && $0.key != "overdue" }
        if !red.isEmpty { out.append("Целевые значения не достигнуты: " + red.map(\.title).joined(separator: ", ") + ".") }
        if let best = s.agencyRatings.value?.rows.filter({ $0.rank == 1 }).first {
            out.append("Лучший результат в рейтинге органов власти: \(best.name.isEmpty ? best.key : best.name).")
        }
        for (name, reason) in missing(s) { out.append("Данные раздела «\(name)» не получены: \(reason).") }
        return out
    }
}
