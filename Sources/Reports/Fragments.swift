import Foundation

/// Section headings shared by the report and the dashboard.
public enum ReportSection: String, Sendable, CaseIterable {
    case summary, volume, trend, timeliness, agencies, municipalities, problems, flags, staffing, rootCauses, surveys, methodology

    public var title: String {
        switch self {
        case .summary: return "Ключевые показатели"
        case .volume: return "Объём обращений по каналам и тематикам"
        case .trend: return "Динамика поступления обращений"
        case .timeliness: return "Соблюдение сроков и время ответа"
        case .agencies: return "Рейтинг органов исполнительной власти"
        case .municipalities: return "Рейтинг муниципальных образований"
        case .problems: return "Основные проблемы по тематикам"
        case .flags: return "Обращения особого контроля"
        case .staffing: return "Загруженность отраслевых блоков и кадровое обеспечение"
        case .rootCauses: return "Системные проблемы и целевые показатели"
        case .surveys: return "Результаты социологических опросов"
        case .methodology: return "Методика и примечания"
        }
    }

    public var anchor: String { "sec-" + (self == .rootCauses ? "root-causes" : rawValue) }
}

/// HTML fragments shared by the governor report and the dashboard. All data text is escaped here.
enum Fragments {
    static func e(_ s: String) -> String { Escape.html(s) }

    /// Context of one rendering: id prefix keeps element ids unique per page; `compact` is the dashboard.
    struct Context {
        let idPrefix: String
        let compact: Bool
        var chartWidth: Double { compact ? 560 : 660 }
        func id(_ s: String) -> String { idPrefix + "-" + s }
    }

    /// A part whose data did not come, with the reason (the dashboard's panels and the report's sections alike).
    static func unavailable(_ reason: String) -> String {
        "<div class=\"unavail\" role=\"status\"><strong>Данные временно недоступны</strong>\(e(reason))</div>"
    }

    static func empty(_ text: String = "Нет данных за период") -> String {
        "<div class=\"empty\">\(e(text))</div>"
    }

    // MARK: Change indicators

    /// Arrow + formatted delta, coloured good/bad according to the direction.
    static func change(_ delta: Double?, text: String, higherIsBetter: Bool) -> String {
        guard let delta, delta.isFinite else { return "<span class=\"chg flat\">—</span>" }
        if delta == 0 || text.hasPrefix("0") { return "<span class=\"chg flat\">= \(e(text))</span>" }
        let up = delta > 0
        let good = up == higherIsBetter
        let cls = (up ? "up-" : "down-") + (good ? "good" : "bad")
        return "<span class=\"chg \(cls)\">\(up ? "▲" : "▼") \(e(text))</span>"
    }

    static func rankChange(_ row: RatingRow) -> String {
        guard let d = row.rankChange else { return "<span class=\"chg flat\" title=\"нет данных за прошлый период\">—</span>" }
        if d == 0 { return "<span class=\"chg flat\" title=\"без изменений\">=</span>" }
        let title = "прошлый период: \(row.previousRank.map(String.init) ?? "—") место"
        return d > 0 ? "<span class=\"chg up-good\" title=\"\(e(title))\">▲\u{00A0}\(d)</span>"
                     : "<span class=\"chg down-bad\" title=\"\(e(title))\">▼\u{00A0}\(-d)</span>"
    }

    static func pctChange(current: Int, previous: Int?) -> (Double?, String) {
        guard let previous, previous > 0 else { return (nil, "") }
        let rel = Double(current - previous) / Double(previous)
        return (rel, RuFormat.signed(rel * 100, fractionDigits: 1) + RuFormat.unitSpace + "%")
    }

    // MARK: KPIs

    static func kpis(_ items: [KpiItem], ctx: Context) -> String {
        guard !items.isEmpty else { return empty() }
        var s = "<div class=\"kpis\">"
        for k in items {
            let st = k.effectiveStatus
            s += "<div class=\"kpi s-\(st.rawValue)\" id=\"\(e(ctx.id("kpi-" + Escape.identifier(k.key))))\">"
            s += "<div class=\"t\">\(e(k.title))</div>"
            s += "<div class=\"v\">\(e(k.unit.format(k.value)))</div>"
            s += "<div class=\"meta\"><span class=\"badge b-\(st.rawValue)\">\(e(k.statusLabel))</span>"
            if let t = k.target {
                let sign = k.direction == .higherIsBetter ? "≥" : "≤"
                s += "<span class=\"muted\">цель \(sign)\u{00A0}\(e(k.unit.format(t)))</span>"
            }
            s += "</div><div class=\"meta\">"
            if let d = k.delta {
                s += change(d, text: k.unit.formatDelta(d), higherIsBetter: k.direction == .higherIsBetter)
                s += "<span class=\"muted\">к пред. месяцу</span>"
            } else {
                s += "<span class=\"muted\">нет данных за пред. месяц</span>"
            }
            s += "</div>"
            if k.history.count >= 2 {
                let color = st == .red ? ChartPalette.bad : (st == .amber ? ChartPalette.warning : ChartPalette.primary)
                s += "<div class=\"spark\">" + SVGChart.sparkline(k.history, title: "Динамика: \(k.title)", width: 180, height: 30,
                                                                  color: color, id: ctx.id("spark-" + Escape.identifier(k.key))) + "</div>"
            }
            if let note = k.note { s += "<div class=\"note\">\(e(note))</div>" }
            s += "</div>"
        }
        return s + "</div>"
    }

    // MARK: Volume

    static func channels(_ items: [ChannelCount], ctx: Context) -> String {
        let data = items.sorted { $0.count > $1.count }.map { ChartDatum($0.channel, Double($0.count)) }
        let opts = ChartOptions(title: "Обращения по каналам поступления", id: ctx.id("channels"), width: 520)
        return "<figure>" + SVGChart.donut(data, options: opts, centerLabel: "обращений") +
            "<figcaption>Каналы поступления обращений</figcaption></figure>"
    }

    static func topics(_ items: [TopicCount], ctx: Context) -> String {
        let sorted = items.sorted { $0.count != $1.count ? $0.count > $1.count : $0.topic.name < $1.topic.name }
        let data = sorted.map { ChartDatum($0.topic.name, Double($0.count)) }
        let opts = ChartOptions(title: "Обращения по тематикам", id: ctx.id("topics"), width: 520, color: ChartPalette.primary)
        return "<figure>" + SVGChart.horizontalBars(data, options: opts, labelWidthFraction: 0.34) +
            "<figcaption>Распределение обращений по отраслевым тематикам</figcaption></figure>"
    }

    static func topicTable(_ items: [TopicCount]) -> String {
        guard !items.isEmpty else { return "" }
        let total = items.reduce(0) { $0 + $1.count }
        let sorted = items.sorted { $0.count > $1.count }
        var s = "<table><thead><tr><th>Тематика</th><th class=\"num\">Обращений</th><th class=\"num\">Доля</th><th class=\"num\">К пред. месяцу</th></tr></thead><tbody>"
        for t in sorted {
            let (rel, text) = pctChange(current: t.count, previous: t.previousCount)
            s += "<tr><td>\(e(t.topic.name))</td><td class=\"num\">\(RuFormat.integer(t.count))</td>"
            s += "<td class=\"num\">\(total > 0 ? RuFormat.percent(Double(t.count) / Double(total)) : RuFormat.missing)</td>"
            // More appeals is neither good nor bad: show neutral colouring via higherIsBetter=false (growth = attention).
            s += "<td class=\"num\">\(change(rel, text: text, higherIsBetter: false))</td></tr>"
        }
        s += "<tr><td><strong>Всего</strong></td><td class=\"num\"><strong>\(RuFormat.integer(total))</strong></td><td class=\"num\">100,0\u{00A0}%</td><td></td></tr>"
        return s + "</tbody></table>"
    }

    static func volume(channels ch: [ChannelCount], topics tp: [TopicCount], ctx: Context) -> String {
        var s = "<div class=\"grid2\"><div><h3>По каналам поступления</h3>\(channels(ch, ctx: ctx))</div>"
        s += "<div><h3>По тематикам</h3>\(topics(tp, ctx: ctx))</div></div>"
        if !ctx.compact { s += topicTable(tp) }
        return s
    }

    // MARK: Trend

    static func trend(_ days: [DailyCount], ctx: Context) -> String {
        let labels = days.map { RuFormat.shortDay($0.date) }
        var series = [ChartSeries(name: "Поступило", values: days.map { Double($0.count) }, color: ChartPalette.primary)]
        if days.contains(where: { $0.answered != nil }) {
            series.append(ChartSeries(name: "Дан ответ", values: days.map { $0.answered.map(Double.init) }, color: ChartPalette.good))
        }
        let opts = ChartOptions(title: "Ежедневное поступление обращений", id: ctx.id("daily"), width: ctx.compact ? 760 : 1000,
                                height: ctx.compact ? 240 : 280)
        var s = "<figure>" + SVGChart.lineChart(series: series, xLabels: labels, options: opts) + "</figure>"
        if !days.isEmpty {
            let total = days.reduce(0) { $0 + $1.count }
            let avg = Double(total) / Double(days.count)
            if let peak = days.max(by: { $0.count < $1.count }) {
                s += "<p class=\"small\">Всего за период: <strong>\(RuFormat.integer(total))</strong>; в среднем \(RuFormat.number(avg, fractionDigits: 1)) в день; "
                s += "максимум — \(RuFormat.integer(peak.count)) (\(e(RuFormat.shortDay(peak.date)))).</p>"
            }
        }
        return s
    }

    // MARK: Timeliness

    static func timeliness(_ t: Timeliness, ctx: Context) -> String {
        var items = [
            KpiItem(key: "on-time", title: "Ответы в установленный срок", value: t.onTimeShare, unit: .percent,
                    target: t.onTimeTarget, previous: t.onTimeSharePrevious),
            KpiItem(key: "median", title: "Медианное время ответа", value: t.medianAnswerHours, unit: .hours,
                    previous: t.medianAnswerHoursPrevious, direction: .lowerIsBetter),
        ]
        if !ctx.compact {
            items.append(KpiItem(key: "answered", title: "Дано ответов", value: Double(t.answered), unit: .count, status: .unknown))
            items.append(KpiItem(key: "overdue", title: "Просрочено", value: Double(t.overdue), unit: .count,
                                 direction: .lowerIsBetter, status: t.overdue > 0 ? .red : .green))
        }
        var s = kpis(items, ctx: Context(idPrefix: ctx.id("tl"), compact: ctx.compact))
        let rows = t.byTopic
        var charts: [String] = []
        if !rows.isEmpty {
            let series = [
                ChartSeries(name: "В срок", values: rows.map { Double($0.onTime) }, color: ChartPalette.good),
                ChartSeries(name: "С нарушением срока", values: rows.map { Double($0.late) }, color: ChartPalette.bad),
                ChartSeries(name: "В работе", values: rows.map { Double($0.inProgress) }, color: "#9aa5b1"),
            ]
            let opts = ChartOptions(title: "Сроки рассмотрения по тематикам", id: ctx.id("tl-topics"), width: 560, height: 300)
            charts.append("<figure>" + SVGChart.stackedBars(categories: rows.map(\.topic.name), series: series, options: opts, normalized: true)
                          + "<figcaption>Структура ответов по тематикам (доли)</figcaption></figure>")
        }
        if !t.answerTimeBuckets.isEmpty { charts.append(bucketChart(t, ctx: ctx)) }
        if !charts.isEmpty {
            s += "<div class=\"grid2\" style=\"margin-top:14px\">" + charts.map { "<div>\($0)</div>" }.joined() + "</div>"
        }
        if !rows.isEmpty && !ctx.compact {
            s += "<table><thead><tr><th>Тематика</th><th class=\"num\">Ответов в срок</th><th class=\"num\">Доля в срок</th><th class=\"num\">С нарушением срока</th><th class=\"num\">В работе</th><th class=\"num\">Медиана ответа, ч</th></tr></thead><tbody>"
            for r in rows {
                let done = r.onTime + r.late
                let share = done > 0 ? RuFormat.percent(Double(r.onTime) / Double(done)) : RuFormat.missing
                s += "<tr><td>\(e(r.topic.name))</td><td class=\"num\">\(RuFormat.integer(r.onTime))</td><td class=\"num\">\(share)</td>"
                s += "<td class=\"num\">\(RuFormat.integer(r.late))</td><td class=\"num\">\(RuFormat.integer(r.inProgress))</td>"
                s += "<td class=\"num\">\(r.medianAnswerHours.map { RuFormat.number($0, fractionDigits: 1) } ?? RuFormat.missing)</td></tr>"
            }
            s += "</tbody></table>"
        }
        return s
    }

    static func bucketChart(_ t: Timeliness, ctx: Context) -> String {
        let opts = ChartOptions(title: "Распределение времени подготовки ответа", id: ctx.id("tl-buckets"), width: 560, height: 300,
                                color: "#5b7fb0")
        return "<figure>" + SVGChart.verticalBars(t.answerTimeBuckets, options: opts) + "<figcaption>Число ответов по времени подготовки</figcaption></figure>"
    }

    // MARK: Ratings

    static func rating(_ table: RatingTable, ctx: Context, limit: Int? = nil) -> String {
        guard !table.rows.isEmpty else { return empty() }
        let rows = table.rows.sorted { $0.rank != $1.rank ? $0.rank < $1.rank : $0.name < $1.name }
        let h = max(0, min(table.highlightCount, rows.count / 3))
        let bestKeys = Set(rows.prefix(h).map(\.key))
        let worstKeys = Set(rows.suffix(h).map(\.key))
        var shown = rows
        var skipped = 0
        if let limit, limit > 0, rows.count > limit {
            let half = max(1, limit / 2)
            shown = Array(rows.prefix(limit - half)) + Array(rows.suffix(half))
            skipped = rows.count - shown.count
        }
        let maxScore = max(rows.map(\.score).filter(\.isFinite).max() ?? 1, 1e-9)
        let muni = table.kind == .municipalities
        let showPer10k = !ctx.compact && rows.contains { $0.per10k != nil }
        let full = !ctx.compact
        var s = "<div class=\"scroll\"><table class=\"rating\"><thead><tr><th class=\"rank\">Место</th><th>Изм.</th>"
        s += "<th>\(muni ? "Муниципальное образование" : "Орган власти")</th><th class=\"num\">Балл</th>"
        if full { s += "<th class=\"num\">Изм. балла</th>" }
        s += "<th class=\"num\">Обращений</th><th class=\"num\">В срок</th>"
        if full { s += "<th class=\"num\">Медиана ответа, ч</th>" }
        s += "<th class=\"num\">\(full ? "Удовлетворённость" : "Удовл.")</th>"
        if showPer10k { s += "<th class=\"num\">На 10 тыс. жителей</th>" }
        s += "</tr></thead><tbody>"
        for (i, r) in shown.enumerated() {
            if skipped > 0 && i == shown.count - max(1, (limit ?? 0) / 2) {
                s += "<tr><td colspan=\"\(full ? (showPer10k ? 10 : 9) : 7)\" class=\"muted small\" style=\"text-align:center\">… пропущено позиций: \(skipped) …</td></tr>"
            }
            let cls = bestKeys.contains(r.key) ? " class=\"best\"" : (worstKeys.contains(r.key) ? " class=\"worst\"" : "")
            let w = max(0, min(100, r.score / maxScore * 100))
            s += "<tr\(cls)><td class=\"rank\">\(r.rank)</td><td>\(rankChange(r))</td><td class=\"name\">\(e(r.name))</td>"
            s += "<td class=\"num\"><span class=\"scorebar\"><span style=\"width:\(SVGNum.f(w))%\"></span></span>\(RuFormat.number(r.score, fractionDigits: 1))</td>"
            if full { s += "<td class=\"num\">\(r.scoreChange.map { change($0, text: RuFormat.signed($0, fractionDigits: 1), higherIsBetter: true) } ?? RuFormat.missing)</td>" }
            s += "<td class=\"num\">\(RuFormat.integer(r.volume))</td>"
            s += "<td class=\"num\">\(r.onTimeShare.map { RuFormat.percent($0) } ?? RuFormat.missing)</td>"
            if full { s += "<td class=\"num\">\(r.medianAnswerHours.map { RuFormat.number($0, fractionDigits: 1) } ?? RuFormat.missing)</td>" }
            s += "<td class=\"num\">\(r.satisfaction.map { RuFormat.percent($0) } ?? RuFormat.missing)</td>"
            if showPer10k { s += "<td class=\"num\">\(r.per10k.map { RuFormat.number($0, fractionDigits: 1) } ?? RuFormat.missing)</td>" }
            s += "</tr>"
        }
        s += "</tbody></table></div>"
        s += "<div class=\"legend-row\">"
        if h > 0 { s += "<span><span class=\"sw best\"></span>лучшие \(h)</span><span><span class=\"sw worst\"></span>худшие \(h)</span>" }
        s += "<span><span class=\"up-good\">▲</span>/<span class=\"down-bad\">▼</span> — изменение места к прошлому месяцу</span></div>"
        if let note = table.note { s += "<p class=\"note\">\(e(note))</p>" }
        return s
    }

    // MARK: Problems

    static func problems(_ topics: [TopicProblems], ctx: Context) -> String {
        guard !topics.isEmpty else { return empty() }
        var s = "<div class=\"topics\">"
        for tp in topics.sorted(by: { $0.total != $1.total ? $0.total > $1.total : $0.topic.name < $1.topic.name }) {
            s += "<div class=\"topic\"><h3><span>\(e(tp.topic.name))</span><span class=\"muted small\">\(RuFormat.integer(tp.total)) обращ.</span></h3>"
            let isOther: (ProblemCount) -> Bool = { $0.name.lowercased().hasPrefix("проч") }
            let ranked = tp.problems.filter { !isOther($0) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
            let top = Array(ranked.prefix(tp.topN))
            let folded = Array(ranked.dropFirst(tp.topN))
            let shownSum = top.reduce(0) { $0 + $1.count }
            let otherCount = max(0, tp.total - shownSum)
            if top.isEmpty && otherCount == 0 {
                s += empty("Нет обращений") + "</div>"
                continue
            }
            s += "<table><thead><tr><th>Проблема</th><th class=\"num\">Обращений</th><th class=\"num\">Доля</th><th class=\"num\">К пред. мес.</th></tr></thead><tbody>"
            for p in top {
                let (rel, text) = pctChange(current: p.count, previous: p.previousCount)
                s += "<tr><td>\(e(p.name))</td><td class=\"num\">\(RuFormat.integer(p.count))</td>"
                s += "<td class=\"num\">\(tp.total > 0 ? RuFormat.percent(Double(p.count) / Double(tp.total)) : RuFormat.missing)</td>"
                s += "<td class=\"num\">\(change(rel, text: text, higherIsBetter: false))</td></tr>"
            }
            if otherCount > 0 {
                var parts = (folded + tp.otherBreakdown).sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
                let listed = parts.reduce(0) { $0 + $1.count }
                if listed < otherCount { parts.append(ProblemCount(name: "без уточнения", count: otherCount - listed)) }
                s += "<tr class=\"other\"><td class=\"other\">Прочие</td><td class=\"num other\">\(RuFormat.integer(otherCount))</td>"
                s += "<td class=\"num other\">\(tp.total > 0 ? RuFormat.percent(Double(otherCount) / Double(tp.total)) : RuFormat.missing)</td><td></td></tr>"
                // Only worth listing when something more specific than «без уточнения» is known.
                if parts.contains(where: { $0.name != "без уточнения" }) {
                    let list = parts.prefix(10).map { "\(e($0.name)) — \(RuFormat.integer($0.count))" }.joined(separator: "; ")
                    s += "<tr class=\"breakdown-row\"><td colspan=\"4\" class=\"breakdown\">в т.ч.: \(list)\(parts.count > 10 ? "; ещё категорий: \(parts.count - 10)" : "")</td></tr>"
                }
            }
            s += "</tbody></table></div>"
        }
        return s + "</div>"
    }

    // MARK: Flags

    static func flags(_ items: [FlagCount], ctx: Context) -> String {
        var byKind: [MonitoringKind: FlagCount] = [:]
        for f in items { byKind[f.kind] = f }
        let total = items.reduce(0) { $0 + $1.count }
        // An appeal may carry several flags: the total counts flags, not appeals.
        var s = "<p>Всего отметок особого контроля: <strong>\(RuFormat.integer(total))</strong>.</p><div class=\"flags\">"
        for kind in MonitoringKind.allCases {
            let f = byKind[kind] ?? FlagCount(kind: kind, count: 0)
            s += "<div class=\"flag\(f.count > 0 ? " hot" : "")\" id=\"\(ctx.id("flag-" + kind.rawValue))\"><div class=\"muted\">\(e(kind.nameRu))</div>"
            s += "<div class=\"v\">\(RuFormat.integer(f.count))</div><div class=\"small\">"
            if let p = f.previousCount {
                let d = Double(f.count - p)
                s += change(d, text: RuFormat.signed(d, fractionDigits: 0), higherIsBetter: false) + " <span class=\"muted\">к пред. мес.</span>"
            }
            if let fw = f.forwarded { s += "<div class=\"muted\">передано в компетентные органы: \(RuFormat.integer(fw))</div>" }
            s += "</div></div>"
        }
        return s + "</div>"
    }

    // MARK: Surveys

    static func surveys(_ panels: [SurveyPanel], ctx: Context) -> String {
        // The dashboard shows the latest survey in fieldwork or published, whatever the period: no period is claimed.
        guard !panels.isEmpty else { return empty("Результатов опросов пока нет") }
        var s = ""
        for (i, p) in panels.enumerated() {
            let isShare: Bool
            if case .proportion = p.measure { isShare = true } else { isShare = false }
            let format: ValueFormat = isShare ? .percent(1) : .decimal(2)
            let rows = p.rows.map { r in
                CIDatum(label: r.domain + (r.n < p.minReliableN ? " *" : ""), estimate: r.estimate, low: r.ciLow, high: r.ciHigh, n: r.n)
            }
            var refs: [ReferenceLine] = []
            if let o = p.overall { refs.append(ReferenceLine(value: o.estimate, label: "в среднем по региону: \(format.format(o.estimate))", color: ChartPalette.bad)) }
            var domain: ClosedRange<Double>? = nil
            if case .mean(let lo, let hi) = p.measure, hi > lo { domain = lo...hi }
            let opts = ChartOptions(title: p.title, description: nil, id: ctx.id("survey-\(i)"), width: ctx.compact ? 1000 : 1000,
                                    valueFormat: format, color: ChartPalette.primary, referenceLines: refs, domain: domain)
            s += "<h3>\(e(p.title))</h3>"
            if let q = p.question { s += "<p class=\"small\"><span class=\"muted\">Вопрос:</span> «\(e(q))»</p>" }
            s += "<figure>" + SVGChart.confidenceIntervals(rows, options: opts, labelWidthFraction: 0.27)
            var cap = "Точка — взвешенная оценка, отрезок — 95-процентный доверительный интервал; n — число респондентов."
            if let o = p.overall {
                cap += " По региону: \(format.format(o.estimate)) [\(format.format(o.ciLow)); \(format.format(o.ciHigh))], n = \(RuFormat.integer(o.n))."
            }
            if p.rows.contains(where: { $0.n < p.minReliableN }) {
                cap += " * — менее \(p.minReliableN) респондентов, оценка ненадёжна."
            }
            if let fp = p.fieldPeriod { cap += " Период опроса: \(fp)." }
            s += "<figcaption>\(e(cap))</figcaption></figure>"
        }
        return s
    }

    // MARK: Methodology

    static func methodology(_ m: Methodology) -> String {
        var s = "<h3>Композитный рейтинг</h3><p>Итоговый балл органа власти (муниципального образования) — взвешенная сумма нормированных (0–100) показателей:</p>"
        if m.ratingWeights.isEmpty {
            s += empty("Веса не заданы")
        } else {
            s += "<table class=\"weights\"><thead><tr><th>Показатель</th><th class=\"num\">Вес</th><th>Описание</th></tr></thead><tbody>"
            for w in m.ratingWeights {
                s += "<tr><td>\(e(w.name))</td><td class=\"num\">\(RuFormat.percent(w.weight, fractionDigits: 0))</td><td>\(e(w.description ?? ""))</td></tr>"
            }
            let sum = m.ratingWeights.reduce(0) { $0 + $1.weight }
            s += "<tr><td><strong>Итого</strong></td><td class=\"num\"><strong>\(RuFormat.percent(sum, fractionDigits: 0))</strong></td><td></td></tr></tbody></table>"
        }
        s += "<p class=\"note\">Статус показателя: <span class=\"badge b-green\">в норме</span> — целевое значение достигнуто; "
        s += "<span class=\"badge b-amber\">внимание</span> — отклонение от цели в пределах допуска (как правило, 5 %); "
        s += "<span class=\"badge b-red\">критично</span> — отклонение больше допуска. «На 10 тыс. жителей» — число обращений, нормированное на численность населения.</p>"
        s += "<h3>Источники данных</h3>"
        s += m.dataSources.isEmpty ? empty("Не указаны") : "<ul>" + m.dataSources.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        s += "<h3>Взвешивание данных опросов</h3><p>\(e(m.surveyWeighting))</p>"
        if !m.notes.isEmpty {
            s += "<h3>Примечания</h3><ul>" + m.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        }
        return s
    }
}
