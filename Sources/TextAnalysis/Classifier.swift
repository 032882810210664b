import Foundation
import Taxonomy

/// Extracts the classifier's feature terms from text: stop-word-filtered Snowball stems of words with
/// at least 2 letters (pure numbers dropped) plus adjacent stem bigrams `"a_b"`.
/// Owns a `RussianStemmer`, hence one extractor per worker.
public final class FeatureExtractor {
    public let stemmer: RussianStemmer

    public init() throws { stemmer = try RussianStemmer() }

    public func terms(_ text: String) -> [String] {
        var stems: [String] = []
        for t in Tokenizer.normalizedTokens(text) {
            if t.count < 2 || RussianStopWords.contains(t) { continue }
            if t.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) { continue }
            stems.append(stemmer.stem(t))
        }
        var out = stems
        if stems.count > 1 {
            for i in 0..<(stems.count - 1) { out.append(stems[i] + "_" + stems[i + 1]) }
        }
        return out
    }
}

/// A sparse L2-normalised TF-IDF vector (feature indices ascending).
public struct SparseVector: Sendable {
    public var indices: [Int32]
    public var values: [Float]
    public init(indices: [Int32], values: [Float]) { self.indices = indices; self.values = values }
}

/// Softmax head stored sparsely: for each feature the non-zero (class, weight) pairs.
public struct LinearHead: Codable, Sendable {
    public var labels: [String]
    public var bias: [Float]
    /// Temperature used to calibrate the softmax (fitted on held-out data).
    public var temperature: Float
    /// CSR layout over features: entries of feature f are `rowStart[f] ..< rowStart[f+1]`.
    var rowStart: [Int32]
    var classIndex: [UInt16]
    var weight: [Float]

    /// Raw class scores (bias + weights · x), before the temperature-scaled softmax.
    public func scores(_ x: SparseVector) -> [Float] {
        var z = bias
        for (k, f) in x.indices.enumerated() {
            let fi = Int(f)
            guard fi + 1 < rowStart.count else { continue }
            let v = x.values[k]
            for e in Int(rowStart[fi])..<Int(rowStart[fi + 1]) { z[Int(classIndex[e])] += weight[e] * v }
        }
        return z
    }

    public func probabilities(_ x: SparseVector, temperature t: Float? = nil) -> [Double] {
        softmax(scores(x), temperature: t ?? temperature)
    }
}

/// Numerically stable softmax of `z / temperature`.
public func softmax(_ z: [Float], temperature: Float) -> [Double] {
    let t = Double(max(temperature, 1e-3))
    let m = Double(z.max() ?? 0)
    var e = z.map { exp((Double($0) - m) / t) }
    let s = e.reduce(0, +)
    if s > 0 { for i in e.indices { e[i] /= s } }
    return e
}

/// Result of classifying one appeal.
public struct Classification: Sendable, Equatable {
    public let topicCode: String
    /// Calibrated probability of the topic.
    public let topicConfidence: Double
    public let categoryCode: String
    /// Calibrated probability of the category = P(topic) · P(category | topic).
    public let categoryConfidence: Double
    /// Top topic alternatives (code, probability), best first.
    public let topicAlternatives: [(code: String, probability: Double)]

    public static func == (a: Classification, b: Classification) -> Bool {
        a.topicCode == b.topicCode && a.categoryCode == b.categoryCode && a.topicConfidence == b.topicConfidence
            && a.categoryConfidence == b.categoryConfidence
    }

    /// True when the caller should route the appeal to manual review.
    public func needsManualReview(minTopicConfidence: Double = 0.5) -> Bool { topicConfidence < minTopicConfidence }
}

/// Trained two-head linear classifier (topic head + category head over TF-IDF of stems and stem
/// bigrams; multinomial logistic regression trained by seeded SGD, temperature-calibrated).
/// Plain value type: share it freely between workers; each worker makes its own `AppealClassifier`.
public struct ClassifierModel: Codable, Sendable {
    public static let formatVersion = 1
    public var version: Int = ClassifierModel.formatVersion
    /// Free-form provenance (datasets, commits, options, metrics at training time).
    public var metadata: [String: String]
    public var vocabulary: [String]
    public var idf: [Float]
    public var topicHead: LinearHead
    public var categoryHead: LinearHead

    /// Loads the model shipped in the TextAnalysis resources (`Resources/classifier-model.json`,
    /// target declared with `resources: [.copy("Resources")]`). Trained on the Kursk «Цифровой прорыв
    /// 2022» train file (github:k1ck3r777/1234@8c77cab) and «Наш Санкт-Петербург» appeals before
    /// 2021-03-01 (github:Timmy-Max/Appeals-to-Housing-and-Communal-Services@f639e6e); both have no
    /// license and are eval-only — only derived weights are shipped. See Resources/README.md.
    public static func loadBundled() throws -> ClassifierModel {
        let candidates = [
            Bundle.module.url(forResource: "classifier-model", withExtension: "json", subdirectory: "Resources"),
            Bundle.module.url(forResource: "classifier-model", withExtension: "json"),
        ]
        guard let url = candidates.compactMap({ $0 }).first else {
            throw TextAnalysisError.modelNotFound("classifier-model.json in TextAnalysis bundle")
        }
        return try load(from: url)
    }

    public static func load(from url: URL) throws -> ClassifierModel {
        let data = try Data(contentsOf: url)
        let model: ClassifierModel
        do { model = try JSONDecoder().decode(ClassifierModel.self, from: data) } catch {
            throw TextAnalysisError.modelCorrupt("\(url.path): \(error)")
        }
        try model.validate()
        return model
    }

    public func save(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try enc.encode(self).write(to: url, options: .atomic)
    }

    func validate() throws {
        guard version == ClassifierModel.formatVersion else { throw TextAnalysisError.modelCorrupt("version \(version)") }
        guard idf.count == vocabulary.count else { throw TextAnalysisError.modelCorrupt("idf/vocabulary size") }
        for h in [topicHead, categoryHead] {
            guard h.rowStart.count == vocabulary.count + 1, h.classIndex.count == h.weight.count,
                  Int(h.rowStart.last ?? -1) == h.weight.count, h.bias.count == h.labels.count,
                  h.classIndex.allSatisfy({ Int($0) < h.labels.count }) else {
                throw TextAnalysisError.modelCorrupt("head layout")
            }
        }
    }
}

/// Classifies appeal text with a `ClassifierModel`. Not thread-safe (owns a Snowball stemmer):
/// create one per task/worker.
public final class AppealClassifier {
    public let model: ClassifierModel
    private let extractor: FeatureExtractor
    private let vocabIndex: [String: Int32]
    private let categoryTopic: [String]

    public init(model: ClassifierModel) throws {
        self.model = model
        extractor = try FeatureExtractor()
        var idx: [String: Int32] = [:]
        idx.reserveCapacity(model.vocabulary.count)
        for (i, t) in model.vocabulary.enumerated() { idx[t] = Int32(i) }
        vocabIndex = idx
        categoryTopic = model.categoryHead.labels.map { DatasetLabelMapping.topicCode(ofCategory: $0) }
    }

    /// Convenience: loads the bundled model.
    public convenience init() throws { try self.init(model: try ClassifierModel.loadBundled()) }

    func vector(_ text: String) -> SparseVector {
        Vectorizer.vectorize(terms: extractor.terms(text), vocab: vocabIndex, idf: model.idf)
    }

    public func classify(_ text: String) -> Classification {
        classify(vector: vector(text))
    }

    func classify(vector x: SparseVector) -> Classification {
        let th = model.topicHead, ch = model.categoryHead
        let pt = th.probabilities(x)
        let order = pt.indices.sorted { pt[$0] > pt[$1] }
        let best = order.first ?? 0
        let topic = th.labels.isEmpty ? Taxonomy.otherTopicCode : th.labels[best]
        let pc = ch.probabilities(x)
        var bestCat = -1
        var mass = 0.0
        for (i, p) in pc.enumerated() where categoryTopic[i] == topic {
            mass += p
            if bestCat < 0 || p > pc[bestCat] { bestCat = i }
        }
        let catCode = bestCat >= 0 ? ch.labels[bestCat] : (Taxonomy.topic(code: topic)?.otherCategory.code ?? Taxonomy.otherCategory.code)
        let pTopic = pt.isEmpty ? 0 : pt[best]
        let pCatGivenTopic = (bestCat >= 0 && mass > 0) ? pc[bestCat] / mass : 0
        let alts = order.prefix(3).map { (code: th.labels[$0], probability: pt[$0]) }
        return Classification(topicCode: topic, topicConfidence: pTopic, categoryCode: catCode,
                              categoryConfidence: pTopic * pCatGivenTopic, topicAlternatives: alts)
    }
}

/// Sublinear TF-IDF (1 + log tf) · idf over a fixed vocabulary, L2-normalised.
public enum Vectorizer {
    public static func vectorize(terms: [String], vocab: [String: Int32], idf: [Float]) -> SparseVector {
        var tf: [Int32: Float] = [:]
        for t in terms { if let i = vocab[t] { tf[i, default: 0] += 1 } }
        var idx = Array(tf.keys).sorted()
        var vals = idx.map { i -> Float in (1 + log(tf[i] ?? 1)) * idf[Int(i)] }
        let norm = sqrt(vals.reduce(0) { $0 + $1 * $1 })
        if norm > 0 { vals = vals.map { $0 / norm } } else { idx = []; vals = [] }
        return SparseVector(indices: idx, values: vals)
    }
}
