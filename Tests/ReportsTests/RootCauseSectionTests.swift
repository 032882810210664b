import Foundation
import Testing
@testable import Reports

@Suite struct RootCauseSectionTests {
    static let cases = [
        RootCauseRow(id: "7", title: "Отопление — г. Курск <script>", block: "ЖКХ", agencies: ["Комитет ЖКХ & благоустройства"], status: "В работе",
                     targetDate: "31.12.2026", appealsAtDetection: 14, baselineRate: 4.5, currentCount: 3, targetRate: 2.25, measureDays: 30,
                     reductionPercent: 50, progress: 1.5 / 2.25, verdict: "в графике", tone: "green"),
        RootCauseRow(id: "9", title: "Ямы — Железногорск", block: "Дороги", agencies: [], status: "Открыта", targetDate: "", appealsAtDetection: 11,
                     baselineRate: 3.7, currentCount: 5, targetRate: nil, measureDays: 30, reductionPercent: 0, progress: 0,
                     verdict: "цель не задана", tone: ""),
    ]
    static let indicators = [
        IndicatorRow(name: "Ответы в срок по отоплению", scope: "Отопление", unit: "%", target: 95, higherIsBetter: true, dueDate: "31.12.2026",
                     current: 91.25, source: "рассчитано", tone: "amber"),
        IndicatorRow(name: "Кровли <МКД>", scope: "Регион", unit: "%", target: 75, higherIsBetter: true, dueDate: "30.11.2026", current: 62,
                     source: "введено", tone: "red"),
    ]

    @Test("The governor report's section shows each case against its target and each indicator against its target, escaped")
    func reportShowsCasesAndIndicators() {
        var report = SampleData.report()
        report.rootCauses = Self.cases
        report.indicators = Self.indicators
        let html = ReportRenderer.governorReport(report)
        let n = (ReportSection.allCases.firstIndex(of: .rootCauses) ?? 0) + 1
        #expect(html.contains("\(n). Системные проблемы и целевые показатели</h2>"))
        #expect(html.contains("Отопление — г. Курск &lt;script&gt;"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("Комитет ЖКХ &amp; благоустройства"))
        #expect(html.contains("<td>31.12.2026</td>"))
        // baseline 4,5 → now 3 → target 2,25 (−50 %); 1,5 of the 2,25 targeted reduction achieved = 67 %
        #expect(html.contains("4,5 → 3 → 2,3 (−50\u{00A0}%)"))
        #expect(html.contains("67\u{00A0}% <span class=\"badge b-green\">в графике</span>"))
        #expect(html.contains("<span class=\"badge b-unknown\">цель не задана</span>"))
        #expect(html.contains("≥\u{00A0}95\u{00A0}%"))
        #expect(html.contains("91,3\u{00A0}%"))
        #expect(html.contains("<span class=\"badge b-red\">не достигнут</span>"))
        #expect(html.contains("Кровли &lt;МКД&gt;"))
        #expect(xmlError(html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")) == nil)
    }

    @Test("Without cases or indicators the section says so")
    func emptySection() {
        let html = ReportRenderer.governorReport(SampleData.report())
        #expect(html.contains("Системных проблем не выявлено"))
        #expect(html.contains("Целевые показатели не установлены"))
    }

    @Test("The dashboard panel lists the top open cases (compact: no agencies column), escaped")
    func dashboardPanel() {
        var page = SampleData.dashboard(unavailable: false)
        page.rootCauses = .loaded(Self.cases)
        let html = ReportRenderer.dashboard(page)
        #expect(html.contains("<h2 id=\"p-rootCauses-h\">Основные открытые системные проблемы</h2>"))
        #expect(html.contains("id=\"d-root-causes\""))
        #expect(html.contains("Отопление — г. Курск &lt;script&gt;"))
        #expect(!html.contains("Комитет ЖКХ"))
    }
}
