import Foundation
import Testing
@testable import Reports

@Suite struct StaffingSectionTests {
    static let rows = [
        StaffingRow(block: "ЖКХ", incoming: 420, backlog: 37, medianHoursInWork: 26.5, forecastNextMonth: 455, holdoutError: 0.084,
                    needed: 7, recorded: 5, recommendation: "Блоку ЖКХ нужно +2 сотрудника (нужно 7, в штате 5)"),
        StaffingRow(block: "ТКО <демо>", incoming: 12, backlog: 1, medianHoursInWork: nil, forecastNextMonth: 10, holdoutError: nil,
                    needed: 1, recorded: 2, recommendation: "Блоку ТКО штата достаточно, резерв 1 сотрудник (нужно 1, в штате 2)"),
    ]

    @Test("The governor report's staffing section shows each block's figures, the hold-out error, and the recommendation in bold where staff is short")
    func reportShowsStaffing() {
        var report = SampleData.report()
        report.staffing = Self.rows
        let html = ReportRenderer.governorReport(report)
        #expect(html.contains("\(ReportSection.allCases.firstIndex(of: .staffing).map { $0 + 1 } ?? 0). \(ReportSection.staffing.title)</h2>"))
        #expect(html.contains("<strong>Блоку ЖКХ нужно +2 сотрудника (нужно 7, в штате 5)</strong>"))
        #expect(html.contains("<td>Блоку ТКО штата достаточно"))
        #expect(html.contains("8,4"))               // hold-out error as a percentage
        #expect(html.contains("мало истории"))
        #expect(html.contains("ТКО &lt;демо&gt;"))  // escaped
        #expect(!html.contains("ТКО <демо>"))
    }

    @Test("Without workload data the section says so instead of an empty table")
    func emptyStaffing() {
        #expect(!ReportRenderer.governorReport(SampleData.report()).contains("id=\"r-staffing\""))
    }
}
