import Foundation

/// The record of every look at the test split (`Resources/test-log.jsonl`, one JSON object a line,
/// committed): which model was evaluated, when, and what it scored. `veche-tool classifier-eval`
/// appends an entry the first time it evaluates a model version and only re-prints afterwards, so the
/// log shows how many models ever touched the test data — one per released model.
public struct TestLogEntry: Codable, Sendable, Equatable {
    /// One split's figures.
    public struct Split: Codable, Sendable, Equatable {
        public var count: Int
        public var project: Double
        public var projectGoldOnly: Double
        public var baseline: Double
        public var baselineGoldOnly: Double
        public var difference: Double
        public var low: Double
        public var high: Double
    }

    public var date: String
    public var modelVersion: String
    public var config: String
    public var baseline: String
    public var splits: [String: Split]
    public var topicECE: Double?
    public var routingThreshold: Double?
    public var autoRoutedShare: Double?
    public var autoRoutedTopicAccuracy: Double?
    public var microsecondsPerAppeal: Double?

    /// `ece`, `routing`, `secondsPerAppeal`: nil when the look did not measure them (activation gate).
    public init(date: Date, model: ClassifierModel, baseline: String, table: SideBySide, ece: Double?, routing: RoutingReport?, secondsPerAppeal: Double?) {
        let f = ISO8601DateFormatter()
        self.date = f.string(from: date)
        modelVersion = model.versionID
        config = model.metadata["config"] ?? ""
        self.baseline = baseline
        var s: [String: Split] = [:]
        for r in table.rows {
            s[r.split.rawValue] = Split(count: r.count, project: Self.round(r.project.macroF1), projectGoldOnly: Self.round(r.project.macroF1Supported),
                                        baseline: Self.round(r.baseline.macroF1), baselineGoldOnly: Self.round(r.baseline.macroF1Supported),
                                        difference: Self.round(r.bootstrap.difference), low: Self.round(r.bootstrap.lower), high: Self.round(r.bootstrap.upper))
        }
        splits = s
        topicECE = ece.map(Self.round)
        routingThreshold = routing?.threshold
        autoRoutedShare = routing.map { Self.round($0.share) }
        autoRoutedTopicAccuracy = routing.map { Self.round($0.topicAccuracy) }
        microsecondsPerAppeal = secondsPerAppeal.map { ($0 * 1e7).rounded() / 10 }
    }

    static func round(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
}

/// Reading and appending `test-log.jsonl`.
public enum TestLog {
    public static func entries(at url: URL) throws -> [TestLogEntry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(TestLogEntry.self, from: Data($0.utf8)) }
    }

    /// Appends `entry` unless its model version is already logged; returns the logged entry for that version.
    @discardableResult
    public static func record(_ entry: TestLogEntry, at url: URL) throws -> (entry: TestLogEntry, isNew: Bool) {
        if let existing = try entries(at: url).first(where: { $0.modelVersion == entry.modelVersion }) { return (existing, false) }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var line = try enc.encode(entry)
        line.append(UInt8(ascii: "\n"))
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try line.write(to: url)
        }
        return (entry, true)
    }
}
