import Foundation
import Taxonomy

/// Settings of one classifier candidate. The released settings are chosen by `ModelSelection` on the
/// validation split and recorded, with the temperatures and routing threshold fitted there, in
/// `Resources/model-selection.json`.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    /// Scope of the class re-weighting.
    public enum BalanceScope: String, Codable, Sendable {
        /// Class counts over all rows, every row re-weighted.
        case all
        /// Class counts within each corpus (Kursk, St Petersburg, corrections): a class common in one corpus and
        /// rare in the other is up-weighted only where it is rare.
        case perCorpus
        /// Only Kursk rows re-weighted, by the Kursk class counts (St Petersburg's label distribution is left as it is).
        case kursk
    }

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
    /// Which rows `classBalancePower` re-weights and over which rows the class counts are taken.
    public var balanceScope: BalanceScope = .all
    /// SVM regularisation of the category head; nil = `c`.
    public var categoryC: Double? = nil
    /// Temporal weighting of St Petersburg rows: weight 2^(−age / half-life), age in days before the newest
    /// St Petersburg training row; 0 = none.
    public var recencyHalfLifeDays: Double = 0
    public var decoding: CategoryDecoding = .joint
    /// Share of the training rows with a rubric that are trained without it (chosen by a hash of the row id and the
    /// seed): every St Petersburg row has one, and a model that never saw the portal channel without a rubric
    /// classified «ямы на дороге, разбит асфальт» from a portal that sends none as housing. 0 = none.
    public var rubricDropout: Double = 0
    /// Weights with |w| below this are not stored.
    public var pruneThreshold: Float = 0.02
    public var seed: UInt64 = 20_240_611

    public init() {}

    enum CodingKeys: String, CodingKey {
        case blocks, minDocumentFrequency, c, kurskWeight, correctionWeight, classBalancePower, balanceScope, categoryC,
             recencyHalfLifeDays, decoding, rubricDropout, pruneThreshold, seed
    }

    /// Settings recorded before a field existed decode with its default.
    public init(from decoder: Decoder) throws {
        let k = try decoder.container(keyedBy: CodingKeys.self)
        blocks = try k.decode([FeatureBlock].self, forKey: .blocks)
        minDocumentFrequency = try k.decode(Int.self, forKey: .minDocumentFrequency)
        c = try k.decode(Double.self, forKey: .c)
        kurskWeight = try k.decode(Float.self, forKey: .kurskWeight)
        correctionWeight = try k.decode(Float.self, forKey: .correctionWeight)
        classBalancePower = try k.decode(Float.self, forKey: .classBalancePower)
        balanceScope = try k.decodeIfPresent(BalanceScope.self, forKey: .balanceScope) ?? .all
        categoryC = try k.decodeIfPresent(Double.self, forKey: .categoryC)
        recencyHalfLifeDays = try k.decodeIfPresent(Double.self, forKey: .recencyHalfLifeDays) ?? 0
        decoding = try k.decode(CategoryDecoding.self, forKey: .decoding)
        rubricDropout = try k.decodeIfPresent(Double.self, forKey: .rubricDropout) ?? 0
        pruneThreshold = try k.decode(Float.self, forKey: .pruneThreshold)
        seed = try k.decode(UInt64.self, forKey: .seed)
    }

    /// Short description for logs and tables (settings added later appear only when not at their default).
    public var summary: String {
        var s = "blocks=\(blocks.map(\.rawValue).joined(separator: "+")) minDF=\(minDocumentFrequency) C=\(c) kursk×\(kurskWeight) "
            + "balance^\(classBalancePower) \(decoding.rawValue) prune=\(pruneThreshold)"
        if balanceScope != .all { s += " balance-scope=\(balanceScope.rawValue)" }
        if let categoryC { s += " categoryC=\(categoryC)" }
        if recencyHalfLifeDays > 0 { s += " recency-half-life=\(recencyHalfLifeDays)d" }
        if rubricDropout > 0 { s += " rubric-dropout=\(rubricDropout)" }
        return s
    }
}

/// Term counts of rows, extracted once and shared by every candidate trained on them.
public final class FeatureCache: @unchecked Sendable {
    public let rows: [LabeledAppeal]
    let counts: [[FeatureBlock: [UInt64: Float]]]

    public init(rows: [LabeledAppeal]) throws {
        let extractor = try HashedFeatureExtractor()
        self.rows = rows
        counts = rows.map { extractor.counts($0.text, channel: $0.channel, rubric: $0.rubric) }
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
        for (row, c) in zip(train.rows, train.counts) {
            if config.rubricDropout > 0, c[.rubric] != nil,
               Double(stableHash(row.id, seed: config.seed) % 10_000) < config.rubricDropout * 10_000 {
                var without = c
                without[.rubric] = nil
                x.append(index.vector(without))
            } else {
                x.append(index.vector(c))
            }
        }
        log("features: \(space.blocks.map { "\($0.kind.rawValue) \($0.hashes.values.count)" }.joined(separator: ", ")); rows \(x.rows), non-zeros \(x.index.count)")

        let categoryLabels = Array(Set(train.rows.map(\.categoryCode))).sorted()
        let recency = recencyWeights(train.rows, halfLifeDays: config.recencyHalfLifeDays)
        let topicHead = fitHead("topic", config, c: config.c, x: x, rows: train.rows, recency: recency, labels: topicLabels,
                                label: \.topicCode, log: log)
        let categoryHead = fitHead("category", config, c: config.categoryC ?? config.c, x: x, rows: train.rows, recency: recency,
                                   labels: categoryLabels, label: \.categoryCode, log: log)

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

    /// Per-row factor of `recencyHalfLifeDays` (1 for rows without a creation time and when it is 0).
    static func recencyWeights(_ rows: [LabeledAppeal], halfLifeDays: Double) -> [Float] {
        guard halfLifeDays > 0 else { return rows.map { _ in 1 } }
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "yyyy-MM-dd"
        let days = rows.map { r -> Double? in
            guard r.source == .spb, r.created.count >= 10, let d = parser.date(from: String(r.created.prefix(10))) else { return nil }
            return d.timeIntervalSince1970 / 86_400
        }
        let newest = days.compactMap { $0 }.max() ?? 0
        return days.map { d in d.map { Float(pow(2, -(newest - $0) / halfLifeDays)) } ?? 1 }
    }

    /// Training weight of each row: sample weight (corpus, corrections) × class weight (`classBalancePower` within
    /// `balanceScope`) × recency factor.
    static func rowWeights(_ config: ClassifierConfig, rows: [LabeledAppeal], labels y: [Int], classes: Int, recency: [Float]) -> [Float] {
        // Class counts over all rows, or per corpus (Kursk train/test count as one corpus): group 0 = all / St Petersburg,
        // 1 = Kursk, 2 = corrections.
        func group(_ r: LabeledAppeal) -> Int {
            config.balanceScope == .all ? 0 : r.source == .spb ? 0 : r.source == .correction ? 2 : 1
        }
        var counts = [[Float]](repeating: [Float](repeating: 0, count: classes), count: 3)
        for (r, v) in zip(rows, y) { counts[group(r)][v] += 1 }
        let classWeight = counts.enumerated().map { g, cs -> [Float] in
            let maxCount = cs.max() ?? 1
            let power = config.balanceScope == .kursk && g != 1 ? 0 : config.classBalancePower
            return cs.map { n -> Float in n > 0 && power > 0 ? min(20, pow(maxCount / n, power)) : 1 }
        }
        return zip(rows, y).enumerated().map { i, ry in sampleWeight(ry.0, config) * classWeight[group(ry.0)][ry.1] * recency[i] }
    }

    private static func fitHead(_ name: String, _ config: ClassifierConfig, c: Double, x: SparseMatrix, rows: [LabeledAppeal], recency: [Float],
                                labels: [String], label: KeyPath<LabeledAppeal, String>, log: (String) -> Void) -> ClassifierHead {
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let y = rows.map { labelIndex[$0[keyPath: label]] ?? 0 }
        let w = rowWeights(config, rows: rows, labels: y, classes: labels.count, recency: recency)
        let start = Date()
        let svm = LinearSVMTrainer(c: c, seed: config.seed).fit(x, labels: y, classes: labels.count, sampleWeight: w)
        let head = ClassifierHead(labels: labels, weights: svm.weights, bias: svm.bias, features: x.columns, prune: config.pruneThreshold)
        log("\(name) head: \(labels.count) classes, \(head.weight.count) weights kept, "
            + String(format: "%.0f s", Date().timeIntervalSince(start)))
        return head
    }
}
