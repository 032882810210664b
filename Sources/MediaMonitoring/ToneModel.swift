import Foundation
import TextAnalysis

/// Trained tone model: multinomial logistic regression (TextAnalysis `LinearHead`, classes in
/// `Tone.allCases` order) over the two TF-IDF blocks of `ToneFeatureExtractor`.
/// Plain value type: share it between workers; each worker makes its own `ToneClassifier`.
public struct ToneModel: Codable, Sendable {
    public static let formatVersion = 1
    public var version: Int = ToneModel.formatVersion
    /// Provenance: data sets and commits, options, training metrics.
    public var metadata: [String: String]
    /// Word-block terms, then character-block terms (`#` prefix), each block sorted.
    public var vocabulary: [String]
    public var idf: [Float]
    public var head: LinearHead

    /// The model shipped in `Sources/MediaMonitoring/Resources/tone-model.json` (see the README there).
    public static func loadBundled() throws -> ToneModel {
        guard let url = ModelFiles.bundledURL("tone-model", in: .module) else {
            throw TextAnalysisError.modelNotFound("tone-model.json in MediaMonitoring bundle")
        }
        return try load(from: url)
    }

    public static func load(from url: URL) throws -> ToneModel {
        let model = try ModelFiles.decode(ToneModel.self, from: url)
        try model.validate()
        return model
    }

    /// Writes the model as JSON with sorted keys (byte-identical for identical training).
    public func save(to url: URL) throws { try ModelFiles.write(self, to: url) }

    func validate() throws {
        guard version == ToneModel.formatVersion else { throw TextAnalysisError.modelCorrupt("tone model version \(version)") }
        guard idf.count == vocabulary.count else { throw TextAnalysisError.modelCorrupt("idf/vocabulary size") }
        guard head.labels == Tone.allCases.map(\.rawValue) else { throw TextAnalysisError.modelCorrupt("tone labels \(head.labels)") }
        guard head.isWellFormed(features: vocabulary.count) else { throw TextAnalysisError.modelCorrupt("tone head layout") }
    }
}

/// Tone of one post with class probabilities.
public struct ToneResult: Sendable, Equatable {
    public let tone: Tone
    /// Probabilities in `Tone.allCases` order (negative, neutral, positive).
    public let probabilities: [Double]
    public var confidence: Double { probabilities[Tone.allCases.firstIndex(of: tone) ?? 0] }
}

/// Classifies the tone of posts with a `ToneModel`. Not thread-safe (owns a Snowball stemmer):
/// create one per task/worker. Inference is a few microseconds per post (`veche-tool sentiment-eval`
/// prints the measured speed).
public final class ToneClassifier {
    public let model: ToneModel
    private let extractor: ToneFeatureExtractor
    private let index: [String: Int32]

    public init(model: ToneModel) throws {
        self.model = model
        extractor = try ToneFeatureExtractor()
        var idx: [String: Int32] = [:]
        idx.reserveCapacity(model.vocabulary.count)
        for (i, t) in model.vocabulary.enumerated() { idx[t] = Int32(i) }
        index = idx
    }

    /// Convenience: the bundled model.
    public convenience init() throws { try self.init(model: try ToneModel.loadBundled()) }

    public func classify(_ text: String) -> ToneResult {
        let p = model.head.probabilities(vector(text))
        var best = 0
        for i in p.indices where p[i] > p[best] { best = i }
        return ToneResult(tone: Tone.allCases[best], probabilities: p)
    }

    func vector(_ text: String) -> SparseVector {
        ToneVectors.combine(Vectorizer.vectorize(terms: extractor.wordTerms(text), vocab: index, idf: model.idf),
                            Vectorizer.vectorize(terms: extractor.charTerms(text), vocab: index, idf: model.idf))
    }
}

enum ToneVectors {
    /// Concatenation of two vectors over disjoint index ranges, indices kept ascending.
    static func combine(_ a: SparseVector, _ b: SparseVector) -> SparseVector {
        var pairs = zip(a.indices, a.values).map { ($0, $1) } + zip(b.indices, b.values).map { ($0, $1) }
        pairs.sort { $0.0 < $1.0 }
        return SparseVector(indices: pairs.map(\.0), values: pairs.map(\.1))
    }
}
