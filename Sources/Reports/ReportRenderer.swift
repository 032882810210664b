import Foundation

/// Server-side HTML rendering of the monthly governor report and the live dashboard.
/// Output is a complete, self-contained HTML5 document (inline CSS and SVG, no scripts,
/// no external assets), deterministic for a given input.
public enum ReportRenderer {
    public static let reportTitle = "Ежемесячный доклад губернатору о работе с обращениями граждан"

    // MARK: - Governor report

    public static func governorReport(_ r: GovernorReport) -> String {
        let e = Escape.html
        let ctx = Fragments.Context(idPrefix: "r", compact: false)
        let period = RuFormat.period(r.period)
        let generated = RuFormat.dateTime(r.generatedAt, timeZoneIdentifier: r.timeZoneIdentifier)

        var h = head(title: "\(reportTitle) — \(r.regionName), \(period)", css: Styles.report, refresh: nil)
        h += "<body class=\"report\"><div class=\"page\">"
        h += "<header class=\"cover\"><div class=\"org\">\(e(r.preparedBy)) · \(e(r.regionName))</div>"
        h += "<h1>\(e(reportTitle))</h1><div class=\"period\">Отчётный период: \(e(period))</div><dl>"
        h += "<dt>Регион</dt><dd>\(e(r.regionName))</dd><dt>Подготовлено</dt><dd>\(e(r.preparedBy))</dd>"
        h += "<dt>Дата формирования</dt><dd>\(e(generated))</dd>"
        let totalAppeals = r.topics.reduce(0) { $0 + $1.count }
        if totalAppeals > 0 { h += "<dt>Обращений за период</dt><dd>\(RuFormat.integer(totalAppeals))</dd>" }
        h += "</dl></header>"

        h += "<nav class=\"toc\" aria-label=\"Содержание\"><strong>Содержание</strong><ol>"
        for sec in ReportSection.allCases {
            h += "<li><a href=\"#\(sec.anchor)\">\(e(sec.title))</a></li>"
        }
        h += "</ol></nav><main>"

        let pageBreakBefore: Set<ReportSection> = [.agencies, .problems, .surveys, .methodology]
        for (i, sec) in ReportSection.allCases.enumerated() {
            let cls = pageBreakBefore.contains(sec) ? "rs break" : "rs"
            h += "<section class=\"\(cls)\" id=\"\(sec.anchor)\" aria-labelledby=\"\(sec.anchor)-h\">"
            h += "<h2 id=\"\(sec.anchor)-h\">\(i + 1). \(e(sec.title))</h2>"
            if sec != .rootCauses, let reason = r.unavailable[sec] {
                h += Fragments.unavailable(reason)
            } else {
                h += reportSection(sec, r, ctx: ctx)
            }
            h += "</section>"
        }
        h += "</main><footer class=\"rf\">\(e(r.preparedBy)), \(e(r.regionName)). \(e(reportTitle)) за \(e(period)). "
        h += "Сформировано автоматически \(e(generated)). Документ для служебного пользования.</footer>"
        h += "</div></body></html>\n"
        return h
    }

    static func reportSection(_ sec: ReportSection, _ r: GovernorReport, ctx: Fragments.Context) -> String {
        switch sec {
        case .summary:
            var s = ""
            if !r.highlights.isEmpty {
                s += "<ul class=\"highlights\">" + r.highlights.map { "<li>\(Escape.html($0))</li>" }.joined() + "</ul>"
            }
            return s + Fragments.kpis(r.kpis, ctx: ctx)
        case .volume:
            return Fragments.volume(channels: r.channels, topics: r.topics, ctx: ctx)
        case .trend:
            return Fragments.trend(r.daily, ctx: ctx)
        case .timeliness:
            return r.timeliness.map { Fragments.timeliness($0, ctx: ctx) } ?? Fragments.empty()
        case .agencies:
            return Fragments.rating(r.agencyRating, ctx: ctx)
        case .municipalities:
            return Fragments.rating(r.municipalityRating, ctx: ctx)
        case .problems:
            return Fragments.problems(r.topicProblems, ctx: ctx)
        case .flags:
            return Fragments.flags(r.flags, ctx: ctx)
        case .staffing:
            return Fragments.staffing(r.staffing, ctx: ctx)
        case .rootCauses:
            return "<h3>Системные проблемы</h3>" + (r.unavailable[.rootCauses].map(Fragments.unavailable) ?? Fragments.rootCauses(r.rootCauses, ctx: ctx))
                + "<h3>Целевые показатели</h3>" + (r.indicatorsUnavailable.map(Fragments.unavailable) ?? Fragments.indicators(r.indicators, ctx: ctx))
        case .surveys:
            return Fragments.surveys(r.surveys, ctx: ctx)
        case .methodology:
            return Fragments.methodology(r.methodology)
        }
    }

    // MARK: - Dashboard

    public static func dashboard(_ d: DashboardPage) -> String {
        let e = Escape.html
        let ctx = Fragments.Context(idPrefix: "d", compact: true)
        let generated = RuFormat.dateTime(d.generatedAt, timeZoneIdentifier: d.timeZoneIdentifier)
        var h = head(title: "\(d.title) — \(d.regionName)", css: Styles.dashboard, refresh: d.refreshSeconds, script: d.live?.script)
        h += "<body class=\"dash\"" + (d.live.map { " data-live=\"\(e($0.events))\"" } ?? "") + ">"
        h += "<header class=\"dh\"><div><h1>\(e(d.title))</h1>"
        h += "<div class=\"sub\">\(e(d.regionName)) · период: \(e(RuFormat.period(d.period)))</div></div>"
        h += "<div class=\"ts\">Обновлено: \(e(generated))"
        if d.live != nil {
            h += "<br/><span id=\"live-note\">обновляется при поступлении событий</span>"
        } else if let sec = d.refreshSeconds, sec > 0 {
            h += "<br/>автообновление каждые \(sec) с"
        }
        h += "</div></header><main class=\"dg\">"

        // (id, title, grid span, unavailable reason, body)
        var panels: [(String, String, String, String?, String)] = []
        func add<T>(_ sec: ReportSection, _ span: String, _ panel: Panel<T>, id: String? = nil, title: String? = nil, _ body: (T) -> String) {
            let pid = id ?? "p-" + sec.rawValue
            switch panel {
            case .loaded(let v): panels.append((pid, title ?? sec.title, span, nil, body(v)))
            case .unavailable(let reason): panels.append((pid, title ?? sec.title, span, reason, ""))
            }
        }
        add(.summary, "sp12", d.kpis) { Fragments.kpis($0, ctx: ctx) }
        add(.trend, "sp8", d.daily) { Fragments.trend($0, ctx: ctx) }
        add(.flags, "sp4", d.flags) { Fragments.flags($0, ctx: ctx) }
        add(.volume, "sp6", d.channels, id: "p-channels", title: "Обращения по каналам поступления") { Fragments.channels($0, ctx: ctx) }
        add(.volume, "sp6", d.topics, id: "p-topics", title: "Обращения по тематикам") { Fragments.topics($0, ctx: ctx) }
        add(.timeliness, "sp12", d.timeliness) { Fragments.timeliness($0, ctx: ctx) }
        add(.agencies, "sp6", d.agencyRating) { Fragments.rating($0, ctx: ctx, limit: d.ratingRowsLimit) }
        add(.municipalities, "sp6", d.municipalityRating) { Fragments.rating($0, ctx: ctx, limit: d.ratingRowsLimit) }
        add(.problems, "sp12", d.topicProblems) { Fragments.problems($0, ctx: ctx) }
        add(.staffing, "sp12", d.staffing) { Fragments.staffing($0, ctx: ctx) }
        add(.rootCauses, "sp12", d.rootCauses, title: "Основные открытые системные проблемы") { Fragments.rootCauses($0, ctx: ctx) }
        add(.surveys, "sp12", d.surveys) { Fragments.surveys($0, ctx: ctx) }

        let down = panels.filter { $0.3 != nil }.count
        if down > 0 {
            h += "<div class=\"banner\" role=\"status\"><strong>Часть данных недоступна.</strong> "
            h += "Не загружено панелей: \(down) из \(panels.count). Остальные показатели актуальны на момент обновления.</div>"
        }
        for (id, title, span, reason, body) in panels {
            if let reason {
                h += "<section class=\"panel \(span) unavailable\" id=\"\(id)\" aria-labelledby=\"\(id)-h\"><h2 id=\"\(id)-h\">\(e(title))</h2>"
                h += Fragments.unavailable(reason) + "</section>"
            } else {
                h += "<section class=\"panel \(span)\" id=\"\(id)\" aria-labelledby=\"\(id)-h\"><h2 id=\"\(id)-h\">\(e(title))</h2>\(body)</section>"
            }
        }
        h += "</main></body></html>\n"
        return h
    }

    // MARK: - Shared

    /// With a `script` (a live page refreshes itself), the refresh is for browsers without JavaScript only.
    static func head(title: String, css: String, refresh: Int?, script: String? = nil) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"/>"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
        if let refresh, refresh > 0 {
            let meta = "<meta http-equiv=\"refresh\" content=\"\(refresh)\"/>"
            h += script == nil ? meta : "<noscript>\(meta)</noscript>"
        }
        if let script { h += "<script src=\"\(Escape.html(script))\" defer></script>" }
        h += "<meta name=\"generator\" content=\"Veche Reports\"/>"
        h += "<title>\(Escape.html(title))</title><style>\(css)</style></head>"
        return h
    }
}
