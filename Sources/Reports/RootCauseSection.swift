import Foundation

/// A root-cause case (системная проблема) as the report and the dashboard show it: progress against its target.
public struct RootCauseRow: Sendable, Hashable {
    public var id: String
    public var title: String
    /// The owning sector block («ЖКХ»).
    public var block: String
    public var agencies: [String]
    /// «Открыта», «В работе», «Решена», «Закрыта».
    public var status: String
    /// ДД.ММ.ГГГГ or "" when not set.
    public var targetDate: String
    public var appealsAtDetection: Int
    /// Appeals per measured period: baseline, now, target (nil: no target set).
    public var baselineRate: Double
    public var currentCount: Int
    public var targetRate: Double?
    public var measureDays: Int
    /// Target reduction, percent (0: none).
    public var reductionPercent: Double
    /// Achieved share of the targeted reduction, 0…1.
    public var progress: Double
    /// «достигнута», «в графике», «отстаёт», «не достигнута», «цель не задана».
    public var verdict: String
    /// green / amber / red / none (the badge colour).
    public var tone: String

    public init(id: String, title: String, block: String, agencies: [String], status: String, targetDate: String, appealsAtDetection: Int,
                baselineRate: Double, currentCount: Int, targetRate: Double?, measureDays: Int, reductionPercent: Double, progress: Double,
                verdict: String, tone: String) {
        self.id = id
        self.title = title
        self.block = block
        self.agencies = agencies
        self.status = status
        self.targetDate = targetDate
        self.appealsAtDetection = appealsAtDetection
        self.baselineRate = baselineRate
        self.currentCount = currentCount
        self.targetRate = targetRate
        self.measureDays = measureDays
        self.reductionPercent = reductionPercent
        self.progress = progress
        self.verdict = verdict
        self.tone = tone
    }
}

/// A KPI target per category or a yearly indicator, with its current value against the target.
public struct IndicatorRow: Sendable, Hashable {
    public var name: String
    /// «Отопление» for a category's KPI target, «Регион» otherwise.
    public var scope: String
    public var unit: String
    public var target: Double
    public var higherIsBetter: Bool
    /// ДД.ММ.ГГГГ.
    public var dueDate: String
    public var current: Double?
    /// «рассчитано» (from the appeals) or «введено».
    public var source: String
    /// green / amber / red / none.
    public var tone: String

    public init(name: String, scope: String, unit: String, target: Double, higherIsBetter: Bool, dueDate: String, current: Double?,
                source: String, tone: String) {
        self.name = name
        self.scope = scope
        self.unit = unit
        self.target = target
        self.higherIsBetter = higherIsBetter
        self.dueDate = dueDate
        self.current = current
        self.source = source
        self.tone = tone
    }
}

extension Fragments {
    static func badge(_ text: String, tone: String) -> String {
        "<span class=\"badge b-\(["green", "amber", "red"].contains(tone) ? tone : "unknown")\">\(e(text))</span>"
    }

    static func rate(_ x: Double) -> String { RuFormat.number(x, fractionDigits: 1, trimZeros: true) }

    /// The cases table: block, problem, responsible agencies, status, target date, baseline → now → target per
    /// measured period, the achieved share of the targeted reduction and the verdict.
    static func rootCauses(_ rows: [RootCauseRow], ctx: Context) -> String {
        guard !rows.isEmpty else { return empty("Системных проблем не выявлено") }
        var s = "<div class=\"scroll\"><table id=\"\(ctx.id("root-causes"))\"><thead><tr><th>№</th><th>Блок</th><th>Проблема</th>"
        if !ctx.compact { s += "<th>Ответственные</th>" }
        s += "<th>Статус</th><th>Срок</th><th>База → сейчас → цель</th><th>Выполнение</th></tr></thead><tbody>"
        for r in rows {
            s += "<tr><td>\(e(r.id))</td><td>\(e(r.block))</td><td>\(e(r.title))</td>"
            if !ctx.compact { s += "<td>\(r.agencies.isEmpty ? "—" : r.agencies.map(e).joined(separator: "<br/>"))</td>" }
            s += "<td>\(e(r.status))</td><td>\(r.targetDate.isEmpty ? "—" : e(r.targetDate))</td>"
            let target = r.targetRate.map { " → " + rate($0) + " (−" + RuFormat.number(r.reductionPercent, fractionDigits: 0) + RuFormat.unitSpace + "%)" } ?? ""
            s += "<td>\(rate(r.baselineRate)) → \(RuFormat.integer(r.currentCount))\(e(target))<br/><span class=\"muted small\">обращений за \(r.measureDays) дн.</span></td>"
            s += "<td>\(r.targetRate == nil ? "—" : RuFormat.percent(r.progress, fractionDigits: 0)) \(badge(r.verdict, tone: r.tone))</td></tr>"
        }
        s += "</tbody></table></div>"
        if !ctx.compact {
            s += "<p class=\"muted small\">Системная проблема — повторяющаяся группа обращений или одна категория в одном муниципалитете, "
            s += "достигшая порога за окно выявления. Выполнение — доля достигнутого снижения от целевого; в графике — не меньше доли прошедшего срока.</p>"
        }
        return s
    }

    /// KPI targets per category and the yearly indicators: target, due date, current value and status.
    static func indicators(_ rows: [IndicatorRow], ctx: Context) -> String {
        guard !rows.isEmpty else { return empty("Целевые показатели не установлены") }
        var s = "<div class=\"scroll\"><table id=\"\(ctx.id("indicators"))\"><thead><tr><th>Показатель</th><th>Область</th>"
        s += "<th>Цель</th><th>Срок</th><th>Текущее значение</th><th>Статус</th></tr></thead><tbody>"
        for r in rows {
            let unit = r.unit.isEmpty ? "" : RuFormat.unitSpace + e(r.unit)
            let value = r.current.map { RuFormat.number($0, fractionDigits: 1, trimZeros: true) + unit } ?? "—"
            let status = r.current == nil ? "нет данных" : r.tone == "green" ? "достигнут" : r.tone == "red" ? "не достигнут" : "в работе"
            s += "<tr><td>\(e(r.name))</td><td>\(e(r.scope))</td><td>\(r.higherIsBetter ? "≥" : "≤")\u{00A0}\(RuFormat.number(r.target, fractionDigits: 1, trimZeros: true))\(unit)</td>"
            s += "<td>\(e(r.dueDate))</td><td>\(value) <span class=\"muted small\">\(e(r.source))</span></td><td>\(badge(status, tone: r.current == nil ? "" : r.tone))</td></tr>"
        }
        return s + "</tbody></table></div>"
    }
}
