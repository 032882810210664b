import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

// MARK: - Helpers

/// Every `<svg …>…</svg>` element of a page (charts are never nested).
func svgElements(_ html: String) -> [String] {
    var out: [String] = []
    var rest = html[...]
    while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
        out.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return out
}

/// Parses `xml` with Foundation's XMLParser; returns the error description or nil when well-formed.
func xmlError(_ xml: String) -> String? {
    let parser = XMLParser(data: Data(xml.utf8))
    if parser.parse() { return nil }
    return parser.parserError.map { String(describing: $0) } ?? "unknown XML error"
}

func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

// MARK: - Number formatting

@Suite struct NumberFormattingTests {
    @Test func groupsThousandsWithThinSpaceAndUsesDecimalComma() {
        #expect(RuFormat.number(12_345.6, fractionDigits: 1) == "12\u{202F}345,6")
        #expect(RuFormat.number(1_234_567) == "1\u{202F}234\u{202F}567")
        #expect(RuFormat.number(999) == "999")
        #expect(RuFormat.number(0.05, fractionDigits: 1) == "0,1")  // half away from zero
        #expect(RuFormat.number(2.5) == "3")
        #expect(RuFormat.number(1.10, fractionDigits: 2, trimZeros: true) == "1,1")
        #expect(RuFormat.integer(13_424) == "13\u{202F}424")
    }

    @Test func negativeNumbersUseTrueMinusAndNoNegativeZero() {
        #expect(RuFormat.number(-1_234.5, fractionDigits: 1) == "\u{2212}1\u{202F}234,5")
        #expect(RuFormat.number(-0.01, fractionDigits: 1) == "0,0")
        #expect(RuFormat.signed(1.25, fractionDigits: 1) == "+1,3")
        #expect(RuFormat.signed(-3, fractionDigits: 0) == "\u{2212}3")
        #expect(RuFormat.signed(0.01, fractionDigits: 1) == "0,0")
    }

    @Test func percentagesAndNonFinite() {
        #expect(RuFormat.percent(0.974) == "97,4\u{00A0}%")
        #expect(RuFormat.percent(1) == "100,0\u{00A0}%")
        #expect(RuFormat.percent(0.5, fractionDigits: 0) == "50\u{00A0}%")
        #expect(RuFormat.percentagePoints(0.016) == "+1,6\u{00A0}п.п.")
        #expect(RuFormat.number(.nan) == "—")
        #expect(RuFormat.percent(.infinity) == "—")
    }

    @Test func periodsAndDates() {
        #expect(RuFormat.period("2026-10") == "октябрь 2026 г.")
        #expect(RuFormat.period("garbage") == "garbage")
        #expect(RuFormat.shortDay("2026-10-07") == "07.10")
        let d = RuFormat.dateTime(SampleData.generatedAt, timeZoneIdentifier: "Europe/Moscow")
        #expect(d.contains("2026 г."))
        #expect(d.contains("UTC+3"))
    }

    @Test func svgCoordinatesAreLocaleIndependent() {
        #expect(SVGNum.f(12.345) == "12.35")
        #expect(SVGNum.f(-0.001) == "0")
        #expect(SVGNum.f(10) == "10")
        #expect(SVGNum.f(3.10) == "3.1")
        #expect(SVGNum.f(-4.5) == "-4.5")
    }
}

// MARK: - Nice ticks

@Suite struct NiceScaleTests {
    @Test func typicalCountRange() {
        let s = NiceScale(min: 0, max: 97, maxTicks: 6)
        #expect(s.ticks == [0, 20, 40, 60, 80, 100])
        #expect(s.step == 20)
    }

    @Test func fractionalRangeHasCleanTicks() {
        let s = NiceScale(min: 0, max: 1, maxTicks: 6)
        #expect(s.ticks == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(NiceScale.decimals(for: s.step) == 1)
        let z = NiceScale(min: 0.584, max: 0.731, maxTicks: 6)
        #expect(z.lower <= 0.584 && z.upper >= 0.731)
        #expect(z.ticks.allSatisfy { abs(($0 / z.step).rounded() * z.step - $0) < 1e-9 })
    }

    @Test func degenerateRanges() {
        let zero = NiceScale(min: 0, max: 0)
        #expect(zero.lower == 0 && zero.upper == 1)
        let flat = NiceScale(min: 5, max: 5, includeZero: true)
        #expect(flat.lower == 0 && flat.upper >= 5)
        let nan = NiceScale(min: .nan, max: .infinity)
        #expect(nan.ticks.count >= 2)
    }

    @Test func negativeAndLargeRanges() {
        let s = NiceScale(min: -37, max: 112, maxTicks: 6, includeZero: true)
        #expect(s.lower <= -37 && s.upper >= 112)
        #expect(s.ticks.contains(0))
        let big = NiceScale(min: 0, max: 13_424, maxTicks: 6)
        #expect(big.step == 2_500 || big.step == 2_000 || big.step == 5_000)
        #expect((big.upper) >= 13_424)
        #expect(abs(NiceScale.niceNumber(0.0237, round: true) - 0.025) < 1e-12)
        #expect(abs(NiceScale.niceNumber(0.0183, round: true) - 0.02) < 1e-12)
    }
}

// MARK: - Escaping

@Suite struct EscapingTests {
    static let evil = "<script>alert(\"x\")</script> & Co's"

    @Test func escapeFunction() {
        #expect(Escape.html(Self.evil) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s")
        #expect(Escape.html("a\u{0}b\u{1B}c") == "abc")  // XML-forbidden control characters dropped
    }

    @Test func reportEscapesDataText() {
        var report = SampleData.report(evilName: Self.evil)
        report.regionName = "Область <b>"
        report.topicProblems[0].problems.append(ProblemCount(name: "<img src=x onerror=alert(1)>", count: 1))
        report.highlights.append("</li><script>bad()</script>")
        let html = ReportRenderer.governorReport(report)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s"))
        #expect(html.contains("Область &lt;b&gt;"))
        for svg in svgElements(html) { #expect(xmlError(svg) == nil) }
    }

    @Test func chartLabelsAreEscaped() {
        let svg = SVGChart.horizontalBars([ChartDatum("<x> & \"y\"", 3)], options: ChartOptions(title: "T&C <1>"))
        #expect(svg.contains("&lt;x&gt; &amp; &quot;y&quot;"))
        #expect(svg.contains("<title id=\"chart-hbar-"))
        #expect(svg.contains("T&amp;C &lt;1&gt;"))
        #expect(xmlError(svg) == nil)
    }
}

// MARK: - Charts

@Suite struct ChartTests {
    static let opts = ChartOptions(title: "Проверка")

    static func allCharts(_ data: [ChartDatum], series: [ChartSeries], labels: [String], ci: [CIDatum], spark: [Double]) -> [String] {
        [
            SVGChart.verticalBars(data, options: opts),
            SVGChart.horizontalBars(data, options: opts),
            SVGChart.lineChart(series: series, xLabels: labels, options: opts),
            SVGChart.stackedBars(categories: labels, series: series, options: opts),
            SVGChart.stackedBars(categories: labels, series: series, options: opts, normalized: true),
            SVGChart.donut(data, options: opts),
            SVGChart.pie(data, options: opts),
            SVGChart.confidenceIntervals(ci, options: ChartOptions(title: "CI", valueFormat: .percent(1))),
            SVGChart.sparkline(spark, title: "Спарклайн"),
        ]
    }

    @Test func emptyDataRendersPlaceholder() {
        let charts = Self.allCharts([], series: [], labels: [], ci: [], spark: [])
        for svg in charts {
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.hasSuffix("</svg>"))
            #expect(xmlError(svg) == nil)
        }
        for svg in charts.dropLast() { #expect(svg.contains(SVGChart.noDataText)) }
    }

    @Test func zerosDoNotBreakScalingOrArcs() {
        let zeros = [ChartDatum("А", 0), ChartDatum("Б", 0)]
        let series = [ChartSeries(name: "ряд", values: [0, 0])]
        for svg in Self.allCharts(zeros, series: series, labels: ["1", "2"], ci: [CIDatum(label: "x", estimate: 0, low: 0, high: 0)], spark: [0, 0]) {
            #expect(xmlError(svg) == nil)
            #expect(!svg.contains("nan") && !svg.contains("inf"))
        }
        // A single non-zero slice is a full ring drawn with two arcs.
        let one = SVGChart.donut([ChartDatum("А", 5), ChartDatum("Б", 0)], options: Self.opts)
        #expect(occurrences(of: "<path", in: one) == 1)
        #expect(xmlError(one) == nil)
    }

    @Test func regularDataIsWellFormedAndDeterministic() {
        let data = (1...9).map { ChartDatum("Категория \($0)", Double($0 * 137)) }
        let series = [ChartSeries(name: "а", values: [1, 5, nil, 7, 3]), ChartSeries(name: "б", values: [2, 2, 2, 2, 2])]
        let ci = [CIDatum(label: "Район", estimate: 0.6, low: 0.55, high: 0.65, n: 300), CIDatum(label: "Город", estimate: 0.4, low: 0.45, high: 0.3, n: 20)]
        let a = Self.allCharts(data, series: series, labels: ["1", "2", "3", "4", "5"], ci: ci, spark: [3, 1, 4, 1, 5])
        let b = Self.allCharts(data, series: series, labels: ["1", "2", "3", "4", "5"], ci: ci, spark: [3, 1, 4, 1, 5])
        #expect(a == b)
        for svg in a {
            #expect(xmlError(svg) == nil)
            #expect(svg.contains("role=\"img\""))
            #expect(svg.contains("<title id="))
            #expect(svg.contains("<desc id="))
        }
        // Gap in the first series: two polylines for it + one for the second.
        #expect(occurrences(of: "<polyline", in: a[2]) == 3)
    }

    @Test func longRussianLabelsAreTruncatedWithFullTitle() {
        let long = "Министерство жилищно-коммунального хозяйства, энергетики и тарифного регулирования Ярославской области"
        let svg = SVGChart.horizontalBars([ChartDatum(long, 10), ChartDatum("Коротко", 5)], options: ChartOptions(title: "Длинные подписи", width: 480))
        #expect(svg.contains("…"))
        #expect(svg.contains("<title>\(long)</title>"))
        #expect(!svg.contains(">\(long)</text>"))
        #expect(SVGChart.truncate(long, 20).count == 20)
        #expect(SVGChart.truncate("Коротко", 20) == "Коротко")
        #expect(xmlError(svg) == nil)
    }

    @Test func axisTicksAreFormattedRussianStyle() {
        let svg = SVGChart.verticalBars([ChartDatum("а", 12_000), ChartDatum("б", 3_500)], options: ChartOptions(title: "Оси"))
        #expect(svg.contains(">12\u{202F}000<"))
        let pct = SVGChart.horizontalBars([ChartDatum("а", 0.974)], options: ChartOptions(title: "Доли", valueFormat: .percent(1)))
        #expect(pct.contains("97,4\u{00A0}%"))
        #expect(pct.contains(">100\u{00A0}%<"))
    }
}

// MARK: - KPIs

@Suite struct KpiStatusTests {
    @Test func statusFromTarget() {
        #expect(KpiItem(key: "a", title: "", value: 0.96, unit: .percent, target: 0.95).effectiveStatus == .green)
        #expect(KpiItem(key: "a", title: "", value: 0.93, unit: .percent, target: 0.95).effectiveStatus == .amber)
        #expect(KpiItem(key: "a", title: "", value: 0.80, unit: .percent, target: 0.95).effectiveStatus == .red)
        #expect(KpiItem(key: "b", title: "", value: 40, unit: .hours, target: 48, direction: .lowerIsBetter).effectiveStatus == .green)
        #expect(KpiItem(key: "b", title: "", value: 50, unit: .hours, target: 48, direction: .lowerIsBetter).effectiveStatus == .amber)
        #expect(KpiItem(key: "b", title: "", value: 60, unit: .hours, target: 48, direction: .lowerIsBetter).effectiveStatus == .red)
        #expect(KpiItem(key: "c", title: "", value: 1).effectiveStatus == .unknown)
        #expect(KpiItem(key: "c", title: "", value: 1, target: 5, status: .green).effectiveStatus == .green)
    }
}

// MARK: - Report

@Suite struct GovernorReportTests {
    @Test func containsEverySectionAndIsSelfContained() {
        let html = ReportRenderer.governorReport(SampleData.report())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<html lang=\"ru\">"))
        #expect(html.contains(ReportRenderer.reportTitle))
        for section in ReportSection.allCases {
            #expect(html.contains(">\(ReportSection.allCases.firstIndex(of: section).map { $0 + 1 } ?? 0). \(section.title)</h2>"), "missing \(section.title)")
            #expect(html.contains("id=\"\(section.anchor)\""))
        }
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(!html.contains("https://"))
        #expect(html.contains("@media print"))
        #expect(html.contains("break-before:page"))
        #expect(html.contains("октябрь 2026 г."))
    }

    @Test func svgPartsAreWellFormedXML() {
        let html = ReportRenderer.governorReport(SampleData.report())
        let svgs = svgElements(html)
        #expect(svgs.count >= 10)
        for svg in svgs {
            let err = xmlError(svg)
            #expect(err == nil, "\(err ?? "") in \(svg.prefix(200))")
        }
        // Element ids are unique within the page.
        let ids = html.components(separatedBy: " id=\"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
        #expect(Set(ids).count == ids.count)
    }

    @Test func wholeReportIsWellFormedXML() {
        // The renderer emits polyglot markup (self-closed void elements), so the full page parses as XML too.
        let html = ReportRenderer.governorReport(SampleData.report())
        let body = html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
        #expect(xmlError(body) == nil)
    }

    @Test func ratingTablesShowArrowsAndHighlights() {
        let html = ReportRenderer.governorReport(SampleData.report())
        #expect(html.contains("▲"))
        #expect(html.contains("▼"))
        #expect(occurrences(of: "<tr class=\"best\">", in: html) == 6)   // 3 agencies + 3 municipalities
        #expect(occurrences(of: "<tr class=\"worst\">", in: html) == 6)
        #expect(html.contains("На 10 тыс. жителей"))
    }

    @Test func problemsFoldOtherWithBreakdown() {
        let html = ReportRenderer.governorReport(SampleData.report())
        #expect(html.contains("в т.ч.:"))
        #expect(html.contains("начисления за ЖКУ — 180"))
        // Housing: top 5 shown; «Водоотведение…» and «Фасады…» are folded into «Прочие».
        #expect(html.contains("Водоотведение и канализация — 290"))
    }

    @Test func deterministicOutput() {
        #expect(ReportRenderer.governorReport(SampleData.report()) == ReportRenderer.governorReport(SampleData.report()))
    }

    /// A report built without the rating service's weights or a survey (either service did not answer) states none:
    /// before, the methodology fell back to four invented weights and a raking by sex, age and municipality that no
    /// part of the platform applies.
    @Test func methodologyClaimsNoWeightsOrSurveyWeightingItWasNotGiven() {
        let report = GovernorReport(period: "2026-10", regionName: "Область", generatedAt: SampleData.generatedAt, methodology: Methodology())
        let html = ReportRenderer.governorReport(report)
        #expect(html.contains("Веса не заданы"))
        #expect(!html.contains("class=\"weights\""))
        #expect(html.contains(Methodology.noSurveyEstimates))
        #expect(!html.contains("рейкинг"))
        // Given weights and a weighting, it shows them.
        let sample = ReportRenderer.governorReport(SampleData.report())
        #expect(sample.contains("class=\"weights\"") && sample.contains("Полнота"))
        #expect(sample.contains("(рейкинг)"))
    }

    @Test func emptyReportRenders() {
        let report = GovernorReport(period: "2026-10", regionName: "Пустая область", generatedAt: SampleData.generatedAt,
                                    methodology: Methodology(ratingWeights: [], dataSources: []))
        let html = ReportRenderer.governorReport(report)
        for section in ReportSection.allCases { #expect(html.contains(section.title)) }
        #expect(html.contains("Нет данных"))
        for svg in svgElements(html) { #expect(xmlError(svg) == nil) }
        #expect(xmlError(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")) == nil)
    }

    @Test func writesSampleForVisualInspection() throws {
        let html = ReportRenderer.governorReport(SampleData.report())
        try html.write(toFile: "/tmp/veche-report-sample.html", atomically: true, encoding: .utf8)
        let dash = ReportRenderer.dashboard(SampleData.dashboard(unavailable: true))
        try dash.write(toFile: "/tmp/veche-dashboard-sample.html", atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: "/tmp/veche-report-sample.html"))
    }
}

// MARK: - Dashboard

@Suite struct DashboardTests {
    @Test func partialDashboardShowsNoticeInUnavailablePanel() {
        let html = ReportRenderer.dashboard(SampleData.dashboard(unavailable: true))
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"300\"/>"))
        #expect(html.contains("Часть данных недоступна"))
        #expect(html.contains("Не загружено панелей: 2 из 12"))
        #expect(html.contains("Данные временно недоступны"))
        #expect(html.contains("Сервис рейтингов не отвечает (тайм-аут 2 с) &lt;rating-service&gt;"))
        #expect(occurrences(of: "class=\"panel sp6 unavailable\"", in: html) == 1)
        #expect(occurrences(of: "class=\"panel sp12 unavailable\"", in: html) == 1)
        // The other panels are still rendered.
        #expect(html.contains(ReportSection.municipalities.title))
        #expect(html.contains("id=\"d-daily\""))
        for svg in svgElements(html) { #expect(xmlError(svg) == nil) }
        #expect(xmlError(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")) == nil)
    }

    @Test func fullDashboardHasNoBanner() {
        let html = ReportRenderer.dashboard(SampleData.dashboard(unavailable: false))
        #expect(!html.contains("Часть данных недоступна"))
        #expect(!html.contains("unavailable\""))
        #expect(html.contains("grid-template-columns:repeat(12"))
    }

    @Test func allPanelsUnavailableStillRenders() {
        let down: Panel<[KpiItem]> = .unavailable(reason: "нет связи")
        var page = DashboardPage(regionName: "Область", period: "2026-10", generatedAt: SampleData.generatedAt, refreshSeconds: nil,
                                 kpis: down, channels: .unavailable(reason: "x"), topics: .unavailable(reason: "x"),
                                 daily: .unavailable(reason: "x"), timeliness: .unavailable(reason: "x"),
                                 agencyRating: .unavailable(reason: "x"), municipalityRating: .unavailable(reason: "x"),
                                 topicProblems: .unavailable(reason: "x"), flags: .unavailable(reason: "x"), surveys: .unavailable(reason: "x"))
        page.staffing = .unavailable(reason: "x")
        page.rootCauses = .unavailable(reason: "x")
        let html = ReportRenderer.dashboard(page)
        #expect(!html.contains("http-equiv"))
        #expect(html.contains("Не загружено панелей: 12 из 12"))
        #expect(svgElements(html).isEmpty)
    }

    @Test func ratingPanelLimitsRows() {
        var page = SampleData.dashboard(unavailable: false)
        page.ratingRowsLimit = 6
        let html = ReportRenderer.dashboard(page)
        #expect(html.contains("пропущено позиций: 6"))
    }
}
