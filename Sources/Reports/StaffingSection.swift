import Foundation

/// One sector block's workload and staff need (AgencyService GetWorkload) for the report and the dashboard.
public struct StaffingRow: Sendable, Hashable {
    public var block: String
    /// Appeals received in the reporting period and open at its end.
    public var incoming: Int
    public var backlog: Int
    /// Median time in work of the answers of the period, hours.
    public var medianHoursInWork: Double?
    public var forecastNextMonth: Double
    /// Relative error of the forecast on the last complete (hold-out) month; nil = too little history.
    public var holdoutError: Double?
    public var needed: Int
    public var recorded: Int
    /// «Блоку ЖКХ нужно +2 сотрудника (нужно 7, в штате 5)».
    public var recommendation: String

    public init(block: String, incoming: Int, backlog: Int, medianHoursInWork: Double?, forecastNextMonth: Double, holdoutError: Double?,
                needed: Int, recorded: Int, recommendation: String) {
        self.block = block
        self.incoming = incoming
        self.backlog = backlog
        self.medianHoursInWork = medianHoursInWork
        self.forecastNextMonth = forecastNextMonth
        self.holdoutError = holdoutError
        self.needed = needed
        self.recorded = recorded
        self.recommendation = recommendation
    }
}

extension Fragments {
    /// The staffing table: per block the period's volume, backlog, forecast (with its hold-out error), the staff
    /// needed and recorded, and the recommendation; the recommendation of a block short of staff is in bold.
    static func staffing(_ rows: [StaffingRow], ctx: Context) -> String {
        guard !rows.isEmpty else { return empty() }
        var s = "<div class=\"scroll\"><table id=\"\(ctx.id("staffing"))\"><thead><tr><th>Блок</th><th>Поступило</th><th>Не закрыто</th>"
        s += "<th>Медиана в работе, ч</th><th>Прогноз на след. месяц</th><th>Ошибка на контрольном месяце</th>"
        s += "<th>Нужно</th><th>В штате</th><th>Рекомендация</th></tr></thead><tbody>"
        for r in rows {
            let short = r.needed > r.recorded
            s += "<tr><td>\(e(r.block))</td><td>\(RuFormat.integer(r.incoming))</td><td>\(RuFormat.integer(r.backlog))</td>"
            s += "<td>\(r.medianHoursInWork.map { RuFormat.number($0, fractionDigits: 1) } ?? "—")</td>"
            s += "<td>\(RuFormat.number(r.forecastNextMonth, fractionDigits: 0))</td>"
            s += "<td>\(r.holdoutError.map { RuFormat.percent($0) } ?? "мало истории")</td>"
            s += "<td>\(RuFormat.integer(r.needed))</td><td>\(RuFormat.integer(r.recorded))</td><td>\(short ? "<strong>\(e(r.recommendation))</strong>" : e(r.recommendation))</td></tr>"
        }
        s += "</tbody></table></div><p class=\"muted small\">Потребность: обращения по 59-ФЗ — модель трудозатрат на прогноз следующего месяца "
        s += "и обращения с истекающим сроком; сообщения соцсетей — модель Эрланга C по часу пик рабочего дня на срок первой реакции.</p>"
        return s
    }
}
