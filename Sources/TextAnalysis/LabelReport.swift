import Foundation

/// How many rows each label-mapping rule labels, per split (`veche-tool classifier-labels`).
public struct LabelMappingReport: Sendable {
    /// One rule (or the fallback) with its row counts.
    public struct Line: Sendable {
        public let dataset: String
        /// "r<index>" for a rule, "fallback" for Kursk «Категория» fallback, "unmatched" for `other.other` by default.
        public let rule: String
        public let needles: [String]
        public let code: String
        public let rows: [ClassifierSplits.Part: Int]
        /// Distinct raw labels this line covers, most frequent first.
        public let labels: [(label: String, count: Int)]
        public var total: Int { rows.values.reduce(0, +) }
    }

    public let lines: [Line]

    /// Applies the rules to every row of `splits` (load it with `includeTest: true` to count test rows too).
    public init(splits: ClassifierSplits) {
        var lines: [Line] = []
        for (dataset, rules) in [("kursk", DatasetLabelMapping.kurskRules), ("spb", DatasetLabelMapping.spbRules)] {
            var perRule: [String: (rows: [ClassifierSplits.Part: Int], labels: [String: Int], code: String)] = [:]
            for part in ClassifierSplits.Part.allCases {
                for r in splits.rows([part]) where (r.source == .spb) == (dataset == "spb") {
                    let name = DatasetLabelMapping.firstRule(rules, matching: r.labelKey).map { "r\($0)" }
                        ?? (r.categoryCode == "other.other" ? "unmatched" : "fallback")
                    var entry = perRule[name] ?? ([:], [:], r.categoryCode)
                    entry.rows[part, default: 0] += 1
                    entry.labels[r.labelKey, default: 0] += 1
                    perRule[name] = entry
                }
            }
            for (i, rule) in rules.enumerated() {
                let e = perRule["r\(i)"]
                lines.append(Line(dataset: dataset, rule: "r\(i)", needles: rule.needles, code: rule.code, rows: e?.rows ?? [:],
                                  labels: Self.sorted(e?.labels ?? [:])))
            }
            for name in ["fallback", "unmatched"] {
                guard let e = perRule[name] else { continue }
                lines.append(Line(dataset: dataset, rule: name, needles: [], code: e.code, rows: e.rows, labels: Self.sorted(e.labels)))
            }
        }
        self.lines = lines
    }

    private static func sorted(_ labels: [String: Int]) -> [(label: String, count: Int)] {
        labels.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Rules that label no row at all (dead rules).
    public var unusedRules: [Line] { lines.filter { $0.total == 0 } }

    /// Plain-text table: rule, target, rows per split, the raw labels it covers.
    public func render(showLabels: Bool = true) -> String {
        var s = "dataset rule  train  valid   test  category                          needles\n"
        for l in lines {
            func n(_ p: ClassifierSplits.Part) -> String { String(l.rows[p] ?? 0).leftPadded(6) }
            s += "\(l.dataset.padding(toLength: 7, withPad: " ", startingAt: 0)) \(l.rule.padding(toLength: 5, withPad: " ", startingAt: 0))"
                + "\(n(.train)) \(n(.validation)) \(n(.test))  \(l.code.padding(toLength: 32, withPad: " ", startingAt: 0))  "
                + l.needles.map { "«\($0)»" }.joined(separator: " + ") + "\n"
            if showLabels {
                for (label, count) in l.labels { s += "        \(String(count).leftPadded(6))  \(label)\n" }
            }
        }
        return s
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
