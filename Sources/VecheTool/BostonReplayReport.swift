import Foundation
import WorkCalendar

/// Plain-text report of `Boston311Replay` for `veche-tool boston-replay`.
enum BostonReplayReport {
    static func text(_ r: Boston311Replay.Result, evidence: [(name: String, share: Double)], limit: Int?) -> String {
        func pct(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
        var out = [
            "Boston 311 (2015): \(r.rows) rows, \(r.casesWithTarget) with TARGET_DT (\(r.unparsable) unparsable).",
            "Policies inferred per TYPE from \(r.trainingCases) cases opened before 2015-07-01; checked on \(r.testCases) opened after.",
            "Business clock 08:30–17:00 on the Massachusetts holiday calendar (us-ma).",
            "",
            "Calendar evidence (training cases reproduced by the inferred policies):",
        ]
        out += evidence.map { "  \(pad($0.name, 48)) \(pct($0.share))" }
        out += ["", pad("type", 44) + " " + pad("policy", 20) + "   test  equal   share  ≤2 min"]
        for t in r.types.prefix(limit ?? r.types.count) {
            let policy = t.inferred?.policy.name ?? "none (\(t.trainingCases) training)"
            let near = t.testCases == 0 ? 0 : Double(t.withinTwoMinutes) / Double(t.testCases)
            out.append(pad(t.type, 44) + " " + pad(policy, 20) + String(format: " %6d %6d ", t.testCases, t.equal)
                       + pad(pct(t.share), 8) + pct(near))
        }
        if let limit, r.types.count > limit { out.append("… \(r.types.count - limit) more types (--all-types)") }
        out.append("")
        out.append("overall: \(r.equal) of \(r.testCases) test cases equal to the minute = \(pct(r.share)); within 2 minutes \(pct(r.shareWithinTwoMinutes))")
        return out.joined(separator: "\n")
    }
}
