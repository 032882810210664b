import Foundation
import Taxonomy

/// Settings of one classifier candidate. The released settings are chosen by `ModelSelection` on the
/// validation split and recorded, with the temperatures and routing threshold fitted there, in
/// `Resources/model-selection.json`.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    public var blocks: [FeatureBlock] = [.stems, .charNgrams, .channel]
    /// Terms kept when they occur in at least this many training documents.
    public var minDocumentFrequency = 2
    /// SVM regularisation (larger = less regularised).
    public var c = 1.0
    /// Sample weight of Kursk rows (few, long, the non-housing sectors).
    public var kurskWeight: Float = 1
    /// Sample weight of operators' corrections.
    public var correctionWeight: Float = 3
    /// Class re-weighting exponent: weight ∝ (n_max / n_class)^power, capped at 20; 0 = none.
    public var classBalancePower: Float = 0
    public var decoding: CategoryDecoding = .joint
    /// Weights with |w| below this are not stored.
    public var pruneThreshold: Float = 0.02
    public var seed: UInt64 = 20_240_611

    public init() {}

    /// Short description for logs and tables.
    public var summary: String {
        "blocks=\(blocks.map(\.rawValue).joined(separator: "+")) minDF=\(minDocumentFrequency) C=\(c) kursk×\(kurskWeight) "
            + "balance^\(classBalancePower) \(decoding.rawValue) prune=\(pruneThreshold)"
    }
}

/// Term counts of rows, extracted once and shared by every candidate trained on them.
public final class FeatureCache: @unchecked Sendable {
    public let rows: [LabeledAppeal]
    let counts: [[FeatureBlock: [UInt64: Float]]]

    public init(rows: [LabeledAppeal]) throws {
        let extractor = try HashedFeatureExtractor()
        self.rows = rows
        counts = rows.map { extractor.counts($0.text, channel: $0.channel) }
    }

    init(rows: [LabeledAppeal], counts: [[FeatureBlock: [UInt64: Float]]]) {
        self.rows = rows
        self.counts = counts
    }

    /// Rows (and their counts) concatenated.
    public static func + (a: FeatureCache, b: FeatureCache) -> FeatureCache {
        FeatureCache(rows: a.rows + b.rows, counts: a.counts + b.counts)
    }
}

/// Fits `ClassifierModel`s: a feature space from the training rows, two one-vs-rest SVM heads (topic,
/// category) with sample and class weights, weights pruned, unused features dropped.
public enum ClassifierTrainer {
    static let topicLabels = Taxonomy.topics.map(\.code)

    /// Fits on `train`. Temperatures and routing threshold: fitted on `calibration` when given, else
    /// taken from `calibrated` (the values selection fitted on validation data).
    public static func fit(_ config: ClassifierConfig, train: FeatureCache, calibration: FeatureCache? = nil,
                           calibrated: Calibration? = nil, metadata: [String: String] = [:],
                           log: (String) -> Void = { _ in }) -> (model: ClassifierModel, calibration: Calibration) {
        let start = Date()
        let space = FeatureSpace.build(documents: train.counts, blocks: config.blocks, minDocumentFrequency: config.minDocumentFrequency)
        let index = FeatureIndex(space)
        var x = SparseMatrix(columns: space.count)
        for c in train.counts { x.append(index.vector(c)) }
        log("features: \(space.blocks.map { "\($0.kind.rawValue) \($0.hashes.values.count)" }.joined(separator: ", ")); rows \(x.rows), non-zeros \(x.index.count)")

        let categoryLabels = Array(Set(train.rows.map(\.categoryCode))).sorted()
        let topicHead = fitHead("topic", config, x: x, rows: train.rows, labels: topicLabels, label: \.topicCode, log: log)
        let categoryHead = fitHead("category", config, x: x, rows: train.rows, labels: categoryLabels, label: \.categoryCode, log: log)

        // Drop features no head uses.
        let usedT = topicHead.usedFeatures(), usedC = categoryHead.usedFeatures()
        let keep = (0..<space.count).filter { usedT[$0] || usedC[$0] }
        var meta = metadata
        meta["config"] = config.summary
        meta["trainingRows"] = String(train.rows.count)
        var model = ClassifierModel(metadata: meta, features: space.restricted(to: keep), topicHead: topicHead.restricted(to: keep),
                                    categoryHead: categoryHead.restricted(to: keep), decoding: config.decoding, routingThreshold: 0.5)
        let cal: Calibration
        if let calibration {
            cal = Calibration.fit(model, on: calibration)
        } else {
            cal = calibrated ?? Calibration(topicTemperature: 1, categoryTemperature: 1, routingThreshold: 0.5, routingTarget: 0)
        }
        model.topicHead.temperature = cal.topicTemperature
        model.categoryHead.temperature = cal.categoryTemperature
        model.routingThreshold = cal.routingThreshold
        model.versionID = model.computeVersionID()
        log("model \(model.versionID): \(keep.count) features, \(model.topicHead.weight.count) + \(model.categoryHead.weight.count) weights, "
            + "T = \(cal.topicTemperature) / \(cal.categoryTemperature), routing threshold \(cal.routingThreshold), "
            + String(format: "%.0f s", Date().timeIntervalSince(start)))
        return (model, cal)
    }

    static func sampleWeight(_ r: LabeledAppeal, _ config: ClassifierConfig) -> Float {
        switch r.source {
        case .spb: return 1
        case .kurskTrain, .kurskTest: return config.kurskWeight
        case .correction: return config.correctionWeight
        }
    }

    private static func fitHead(_ name: String, _ config: ClassifierConfig, x: SparseMatrix, rows: [LabeledAppeal], labels: [String],
                                label: KeyPath<LabeledAppeal, String>, log: (String) -> Void) -> ClassifierHead {
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let y = rows.map { labelIndex[$0[keyPath: label]] ?? 0 }
        var counts = [Float](repeating: 0, count: labels.count)
        for v in y { counts[v] += 1 }
        let maxCount = counts.max() ?? 1
        let classWeight = counts.map { n -> Float in n > 0 && config.classBalancePower > 0 ? min(20, pow(maxCount / n, config.classBalancePower)) : 1 }
        let w = zip(rows, y).map { sampleWeight($0.0, config) * classWeight[$0.1] }
        let start = Date()
        let svm = LinearSVMTrainer(c: config.c, seed: config.seed).fit(x, labels: y, classes: labels.count, sampleWeight: w)
        let head = ClassifierHead(labels: labels, weights: svm.weights, bias: svm.bias, features: x.columns, prune: config.pruneThreshold)
        log("\(name) head: \(labels.count) classes, \(head.weight.count) weights kept, "
            + String(format: "%.0f s", Date().timeIntervalSince(start)))
        return head
    }
}
