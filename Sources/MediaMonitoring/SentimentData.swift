import DataKit
import Foundation
import TextAnalysis

/// Tone of a public post.
public enum Tone: String, Sendable, Hashable, Codable, CaseIterable {
    case negative, neutral, positive

    public var nameRu: String {
        switch self {
        case .negative: return "негативная"
        case .neutral: return "нейтральная"
        case .positive: return "позитивная"
        }
    }
}

/// One labelled post of the shared tone corpora (`shared/data/sentiment`, see its README).
public struct SentimentExample: Sendable {
    /// `rusentitweet`, `sentirueval2016_banks` or `sentirueval2016_telecom`.
    public let dataset: String
    /// Source split (`train`, `test`, `bank_train_2014-07`, `tkk_test2016_etalon_2015`, …).
    public let subset: String
    public let text: String
    public let tone: Tone
    /// Row number in its file (0-based, header excluded): the join key with baseline predictions.
    public let row: Int
    public let file: String

    /// The source's own test part: RuSentiTweet `test` and the SentiRuEval-2016 test gold
    /// (`*_test2016_etalon_2015`, tweets of 2015 — a time gap after the 2013–2014 training collection).
    public var isHeldOut: Bool { subset == "test" || subset.contains("test2016") }
}

/// Loader of the two tone corpora. Research/evaluation data (no licence; cite Smetanin 2022 and
/// Loukachevitch & Rubtsova 2016) — never redistributed; only derived weights are shipped.
public enum SentimentDatasets {
    public static let files = ["rusentitweet.csv.gz", "sentirueval2016_banks_telecom.csv.gz"]
    /// Data sets reported separately, in report order.
    public static let datasets = ["rusentitweet", "sentirueval2016_banks", "sentirueval2016_telecom"]

    /// All rows of both files; `dataDirectory` is `shared/data` (the files are in its `sentiment/`).
    public static func load(dataDirectory: String) throws -> [SentimentExample] {
        var out: [SentimentExample] = []
        for file in files {
            let path = (dataDirectory as NSString).appendingPathComponent("sentiment/" + file)
            guard FileManager.default.fileExists(atPath: path) else { throw TextAnalysisError.dataMissing(path) }
            let table = try CSVTable.load(path: path)
            for (i, r) in table.rows.enumerated() {
                guard let tone = Tone(rawValue: table.value(r, "label")) else { continue }
                out.append(SentimentExample(dataset: table.value(r, "dataset"), subset: table.value(r, "subset"),
                                            text: table.value(r, "text"), tone: tone, row: i, file: file))
            }
        }
        return out
    }
}
