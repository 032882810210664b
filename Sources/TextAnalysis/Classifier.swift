import Foundation
import Taxonomy

/// Stop-word-filtered Snowball stems of words with at least 2 letters (pure numbers dropped) plus
/// adjacent stem bigrams `"a_b"`. Owns a `RussianStemmer`, hence one extractor per worker.
public final class FeatureExtractor {
    public let stemmer: RussianStemmer

    public init() throws { stemmer = try RussianStemmer() }

    public func terms(_ text: String) -> [String] { terms(normalizedText: TextNormalizer.normalize(text)) }

    /// The stem a token contributes, or nil for tokens that yield no term (shorter than 2 characters,
    /// stop words, digits only). The one rule for `terms` and `StemTermCache`.
    func termStem(_ t: String) -> String? {
        if t.count < 2 || RussianStopWords.contains(t) { return nil }
        if t.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) { return nil }
        return stemmer.stem(t)
    }

    /// Terms of text already passed through `TextNormalizer.normalize`.
    func terms(normalizedText: String) -> [String] {
        var stems: [String] = []
        for t in Tokenizer.tokenize(normalizedText) {
            if let s = termStem(t) { stems.append(s) }
        }
        var out = stems
        if stems.count > 1 {
            for i in 0..<(stems.count - 1) { out.append(stems[i] + "_" + stems[i + 1]) }
        }
        return out
    }
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
    /// `ClassifierModel.versionID` of the model that decided.
    public let modelVersion: String

    public static func == (a: Classification, b: Classification) -> Bool {
        a.topicCode == b.topicCode && a.categoryCode == b.categoryCode && a.topicConfidence == b.topicConfidence
            && a.categoryConfidence == b.categoryConfidence && a.modelVersion == b.modelVersion
    }
}

/// How the category is chosen given the two heads' probabilities (always consistent with the topic).
public enum CategoryDecoding: String, Codable, Sendable, CaseIterable {
    /// Topic = argmax of the topic head; category = best category of that topic.
    case withinTopic
    /// Category = argmax of P(topic) · P(category | topic); topic = its topic.
    case joint
    /// Category = argmax of the category head; topic = its topic.
    case categoryFirst
}

/// Trained two-head linear classifier (topic head + category head over hashed TF-IDF feature blocks;
/// one-vs-rest linear SVMs, softmax with a fitted temperature for calibrated probabilities).
/// Plain value type: share it freely between workers; each worker makes its own `AppealClassifier`.
public struct ClassifierModel: Codable, Sendable {
    public static let formatVersion = 2
    public var format = ClassifierModel.formatVersion
    /// Content hash of the model (`"v2-<16 hex>"`): recorded on every appeal it classifies.
    public var versionID = ""
    /// Free-form provenance (datasets, settings, figures at training time).
    public var metadata: [String: String]
    public var features: FeatureSpace
    public var topicHead: ClassifierHead
    public var categoryHead: ClassifierHead
    public var decoding: CategoryDecoding
    /// Default confidence threshold for auto-routing (chosen on validation data); AppealService may override it.
    public var routingThreshold: Double

    init(metadata: [String: String], features: FeatureSpace, topicHead: ClassifierHead, categoryHead: ClassifierHead,
         decoding: CategoryDecoding, routingThreshold: Double) {
        self.metadata = metadata
        self.features = features
        self.topicHead = topicHead
        self.categoryHead = categoryHead
        self.decoding = decoding
        self.routingThreshold = routingThreshold
        versionID = computeVersionID()
    }

    /// FNV-1a over the encoded model with an empty version (so equal weights give equal versions).
    func computeVersionID() -> String {
        var copy = self
        copy.versionID = ""
        var h = FNV64(seed: 0)
        for b in (try? copy.encodedBytes()) ?? [] { h.value = (h.value ^ UInt64(b)) &* FNV64.prime }
        return "v2-" + String(h.value, radix: 16).leftPadded(16).replacingOccurrences(of: " ", with: "0")
    }

    /// Loads the model shipped in the TextAnalysis resources (`Resources/classifier-model.json`).
    /// Derived from the Kursk «Цифровой прорыв 2022» train file and «Наш Санкт-Петербург» appeals before
    /// 2021-03-01 (eval-only data; only weights and term hashes are shipped). See Resources/README.md.
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
        do { return try decode(try Data(contentsOf: url)) } catch let e as TextAnalysisError {
            throw TextAnalysisError.modelCorrupt("\(url.path): \(e)")
        }
    }

    public static func decode(_ data: Data) throws -> ClassifierModel {
        let model: ClassifierModel
        do { model = try JSONDecoder().decode(ClassifierModel.self, from: data) } catch {
            throw TextAnalysisError.modelCorrupt("\(error)")
        }
        try model.validate()
        return model
    }

    func encodedBytes() throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return [UInt8](try enc.encode(self))
    }

    public func encoded() throws -> Data { Data(try encodedBytes()) }

    public func save(to url: URL) throws { try encoded().write(to: url, options: .atomic) }

    func validate() throws {
        guard format == ClassifierModel.formatVersion else { throw TextAnalysisError.modelCorrupt("format \(format)") }
        for b in features.blocks where b.hashes.values.count != b.idf.count { throw TextAnalysisError.modelCorrupt("block \(b.kind) hashes/idf") }
        try topicHead.validate(features: features.count)
        try categoryHead.validate(features: features.count)
        guard categoryHead.labels.allSatisfy({ Taxonomy.category(code: $0) != nil }) else { throw TextAnalysisError.modelCorrupt("unknown category label") }
        guard versionID == computeVersionID() else { throw TextAnalysisError.modelCorrupt("content does not match version \(versionID)") }
    }
}

/// Classifies appeal text with a `ClassifierModel`. Not thread-safe (owns a Snowball stemmer):
/// create one per task/worker.
public final class AppealClassifier {
    /// `classifier_version` of an appeal whose topic and category an operator set.
    public static let operatorVersion = "operator"
    /// `classifier_version` of an appeal whose category the citizen chose (e.g. an Open311 service code).
    public static let citizenChoiceVersion = "citizen"

    /// The text the classifier sees for an appeal: title and body.
    public static func inputText(title: String, body: String) -> String { title.isEmpty ? body : title + ". " + body }

    public let model: ClassifierModel
    private let vectorizer: TextVectorizer
    private let scorer: JointScorer
    /// For each category label, the index of its topic in the topic head.
    private let categoryTopic: [Int]

    public init(model: ClassifierModel) throws {
        self.model = model
        vectorizer = try TextVectorizer(index: FeatureIndex(model.features))
        scorer = JointScorer(topic: model.topicHead, category: model.categoryHead)
        let topicIndex = Dictionary(uniqueKeysWithValues: model.topicHead.labels.enumerated().map { ($1, $0) })
        categoryTopic = model.categoryHead.labels.map { topicIndex[DatasetLabelMapping.topicCode(ofCategory: $0)] ?? -1 }
    }

    /// Convenience: loads the bundled model.
    public convenience init() throws { try self.init(model: try ClassifierModel.loadBundled()) }

    func vector(_ text: String, channel: String, rubric: String = "") -> SparseVector { vectorizer.vector(text, channel: channel, rubric: rubric) }

    /// Classifies an appeal's text; `channel` is its intake channel name (`AppealV1.Channel`, "" if unknown), `rubric`
    /// the channel's own rubric the citizen chose (`IncomingAppeal.topic_hint`, "" if none; a model trained without
    /// the rubric block ignores it).
    public func classify(_ text: String, channel: String = "", rubric: String = "") -> Classification {
        classify(vector: vector(text, channel: channel, rubric: rubric))
    }

    func classify(vector x: SparseVector) -> Classification {
        let p = scorer.probabilities(x)
        return decode(topic: p.topic, category: p.category, decoding: model.decoding)
    }

    /// Topic and category from the heads' probabilities; the category always belongs to the topic.
    func decode(topic pt: [Double], category pc: [Double], decoding: CategoryDecoding) -> Classification {
        var mass = [Double](repeating: 0, count: pt.count)
        for (c, p) in pc.enumerated() where categoryTopic[c] >= 0 { mass[categoryTopic[c]] += p }
        func conditional(_ c: Int) -> Double { mass[categoryTopic[c]] > 0 ? pc[c] / mass[categoryTopic[c]] : 0 }
        var bestTopic = pt.indices.max { pt[$0] < pt[$1] } ?? 0
        var bestCategory = -1
        switch decoding {
        case .withinTopic:
            for c in pc.indices where categoryTopic[c] == bestTopic && (bestCategory < 0 || pc[c] > pc[bestCategory]) { bestCategory = c }
        case .joint:
            var best = -1.0
            for c in pc.indices where categoryTopic[c] >= 0 {
                let joint = pt[categoryTopic[c]] * conditional(c)
                if joint > best { best = joint; bestCategory = c }
            }
            if bestCategory >= 0 { bestTopic = categoryTopic[bestCategory] }
        case .categoryFirst:
            for c in pc.indices where categoryTopic[c] >= 0 && (bestCategory < 0 || pc[c] > pc[bestCategory]) { bestCategory = c }
            if bestCategory >= 0 { bestTopic = categoryTopic[bestCategory] }
        }
        let topic = model.topicHead.labels.isEmpty ? Taxonomy.otherTopicCode : model.topicHead.labels[bestTopic]
        let category = bestCategory >= 0 ? model.categoryHead.labels[bestCategory]
            : (Taxonomy.topic(code: topic)?.otherCategory.code ?? Taxonomy.otherCategory.code)
        let pTopic = pt.isEmpty ? 0 : pt[bestTopic]
        let order = pt.indices.sorted { pt[$0] > pt[$1] }
        return Classification(topicCode: topic, topicConfidence: pTopic, categoryCode: category,
                              categoryConfidence: bestCategory >= 0 ? pTopic * conditional(bestCategory) : 0,
                              topicAlternatives: order.prefix(3).map { (model.topicHead.labels[$0], pt[$0]) },
                              modelVersion: model.versionID)
    }
}
