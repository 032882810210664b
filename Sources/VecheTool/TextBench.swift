import DataKit
import Foundation
import TextAnalysis
import VecheRuntime

/// The intake's text work, one tool at a time, on one thread over real St Petersburg texts: where an
/// appeal's enrichment CPU goes (normalising and tokenising is part of every tool's figure), then all of it as the
/// intake runs it (`AppealTextWork.analyse`, which tokenises once for monitoring and duplicate features).
enum TextBench {
    static func run(dataDirectory: String, count: Int) throws {
        let table = try CSVTable.load(path: dataDirectory + "/" + AppealDatasets.spbFile)
        let texts = table.rows.prefix(count).map { table.value($0, "text") }.filter { !$0.isEmpty }
        guard !texts.isEmpty else { return }
        let classifier = try AppealClassifier()
        let redactor = PIIRedactor()
        let monitor = try MonitoringDetector()
        let duplicates = try DuplicateFeaturizer()
        var sink = 0
        func time(_ name: String, _ body: (String) -> Int) {
            for t in texts.prefix(200) { sink &+= body(t) }   // warm caches (stems) as a running service has them
            let clock = ContinuousClock()
            let elapsed = clock.measure { for t in texts { sink &+= body(t) } }
            let us = elapsed.inSeconds * 1e6
            print(String(format: "text work, %@: %.1f µs per appeal (%d texts, one thread)", name, us / Double(texts.count), texts.count))
        }
        time("normalise + tokenise") { Tokenizer.normalizedTokens($0).count }
        time("classifier") { classifier.classify($0).topicCode.utf8.count }
        time("PII redaction") { redactor.redact($0).text.utf8.count }
        time("special monitoring") { monitor.detect($0).count }
        time("duplicate features") { duplicates.features($0).terms.count }
        try indexAdds(texts: texts, featurizer: duplicates)
        let search = try SearchLexemes()
        time("search lexemes") { search.lexemes(of: $0)?.count ?? 0 }
        let work = try AppealTextWork(model: classifier.model)
        time("all of an appeal's, as the intake runs it (tokens shared)") {
            work.analyse(title: "", body: $0, channel: "", rubric: "").redactedText.utf8.count
        }
        let covered = texts.filter { search.lexemes(of: redactor.redact($0).text) != nil }.count
        print(String(format: "search lexemes computed by the service for %d of %d redacted texts (%.1f %%; PostgreSQL computes the rest)",
                     covered, texts.count, 100 * Double(covered) / Double(texts.count)))
        if sink == 42 { print("") }
    }

    /// The duplicate index's share of grouping (features computed beforehand, as the intake's text workers do):
    /// a 10,000-appeal campaign at one place (the same complaint, house numbers differ) and the real texts as
    /// text-only candidates a minute apart.
    static func indexAdds(texts: [String], featurizer: DuplicateFeaturizer) throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let campaign = (0..<10_000).map { i in
            DuplicateCandidate(id: "c\(i)", text: "Прошу отремонтировать крышу нашего дома номер \(i % 300) по улице Ленина, течёт в квартиры",
                               topicCode: "housing", categoryCode: "housing.roof", latitude: 51.73, longitude: 36.19,
                               date: t0.addingTimeInterval(Double(i)))
        }
        let real = texts.enumerated().map { i, t in DuplicateCandidate(id: "r\(i)", text: t, date: t0.addingTimeInterval(Double(i) * 60)) }
        for (name, appeals) in [("a 10,000-appeal campaign at one place", campaign), ("real texts, text-only", real)] {
            let features = appeals.map { featurizer.features($0.text) }
            let index = try DuplicateIndex()
            var groups = Set<Int>()
            let elapsed = ContinuousClock().measure {
                for (a, f) in zip(appeals, features) { groups.insert(index.add(a, features: f).groupId) }
            }
            let us = elapsed.inSeconds * 1e6
            print(String(format: "duplicate index, %@: %.1f µs per add (%d appeals, %d groups, %.0f comparisons per add, one thread)",
                         name, us / Double(appeals.count), appeals.count, groups.count,
                         Double(index.comparisons) / Double(appeals.count)))
        }
    }
}
