import Foundation
import Taxonomy

/// Options of `ClassifierModel.train`. Defaults reproduce the shipped model.
public struct TrainingOptions: Sendable {
    /// SPb rows created before this date (exclusive, `yyyy-MM-dd`) are used for training; later
    /// rows are the temporal hold-out of the evaluation. nil = use all SPb rows.
    public var spbTrainBefore: String? = "2021-03-01"
    /// Include the Kursk train file.
    public var useKursk = true
    /// Sample weight of Kursk rows (they are few, longer, and cover the non-housing sectors).
    public var kurskWeight: Float = 3
    /// Class re-weighting exponent: weight ∝ (n_max / n_class)^classBalancePower, capped at 20.
    public var classBalancePower: Float = 0.4
    public var minDocumentFrequency = 3
    public var maxFeatures = 40_000
    public var epochs = 8
    public var learningRate: Float = 0.2
    public var l2: Float = 2e-6
    /// Weights with |w| below this are dropped from the saved model.
    public var pruneThreshold: Float = 0.06
    /// Fraction of the training rows held out for temperature calibration.
    public var calibrationFraction = 0.1
    public var seed: UInt64 = 20_240_611

    public init() {}
}

/// Deterministic SplitMix64 PRNG (reproducible training, demo data).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension ClassifierModel {
    /// Trains on the shared datasets in `dataDirectory` (Kursk train + SPb rows before
    /// `options.spbTrainBefore`). Deterministic for a given seed.
    public static func train(dataDirectory: String, options: TrainingOptions = TrainingOptions(),
                             log: (String) -> Void = { _ in }) throws -> ClassifierModel {
        var rows: [LabeledAppeal] = []
        if options.useKursk {
            rows += try AppealDatasets.loadKurskTrain(dataDirectory: dataDirectory).rows
        }
        let spb = try AppealDatasets.loadSPb(dataDirectory: dataDirectory)
        rows += spb.filter { r in options.spbTrainBefore.map { r.created < $0 } ?? true }
        log("training rows: \(rows.count) (kursk \(rows.filter { $0.source == .kurskTrain }.count))")
        var meta = [
            "datasets": "kursk_cp2022_appeals_train.csv.gz (github:k1ck3r777/1234@8c77cab, hackathon data, no license, eval-only); "
                + "spb_nash_peterburg_appeals_2020_2021.csv.gz (github:Timmy-Max/Appeals-to-Housing-and-Communal-Services@f639e6e, no license, eval-only)",
            "spbTrainBefore": options.spbTrainBefore ?? "all",
            "seed": String(options.seed),
        ]
        var model = try train(rows: rows, options: options, log: log)
        for (k, v) in model.metadata { meta[k] = v }
        model.metadata = meta
        return model
    }

    /// Trains on already loaded rows.
    public static func train(rows: [LabeledAppeal], options: TrainingOptions = TrainingOptions(),
                             log: (String) -> Void = { _ in }) throws -> ClassifierModel {
        let extractor = try FeatureExtractor()
        let docs = rows.map { extractor.terms($0.text) }

        // Vocabulary by document frequency.
        var df: [String: Int] = [:]
        for d in docs { for t in Set(d) { df[t, default: 0] += 1 } }
        let kept = df.filter { $0.value >= options.minDocumentFrequency }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(options.maxFeatures)
        var vocabulary = kept.map { $0.key }.sorted()
        var vocabIndex: [String: Int32] = [:]
        for (i, t) in vocabulary.enumerated() { vocabIndex[t] = Int32(i) }
        let n = Float(docs.count)
        var idf: [Float] = vocabulary.map { t -> Float in
            let d = Float(df[t] ?? 0)
            let ratio: Float = (1 + n) / (1 + d)
            return Float(Foundation.log(Double(ratio))) + 1
        }
        log("vocabulary: \(vocabulary.count) terms")
        let vectors = docs.map { Vectorizer.vectorize(terms: $0, vocab: vocabIndex, idf: idf) }

        // Labels.
        let topicLabels = Taxonomy.topics.map { $0.code }
        let categoryLabels = Taxonomy.allCategories.map { $0.code }
        let topicIdx = Dictionary(uniqueKeysWithValues: topicLabels.enumerated().map { ($1, $0) })
        let catIdx = Dictionary(uniqueKeysWithValues: categoryLabels.enumerated().map { ($1, $0) })
        let yTopic = rows.map { topicIdx[$0.topicCode] ?? (topicIdx[Taxonomy.otherTopicCode] ?? 0) }
        let yCat = rows.map { catIdx[$0.categoryCode] ?? (catIdx[Taxonomy.otherCategory.code] ?? 0) }
        let baseWeight = rows.map { $0.source == .spb ? Float(1) : options.kurskWeight }

        // Deterministic calibration split.
        var rng = SplitMix64(seed: options.seed)
        var order = Array(rows.indices)
        order.shuffle(using: &rng)
        let nCal = Int(Double(order.count) * options.calibrationFraction)
        let calIdx = Array(order.prefix(nCal)), trainIdx = Array(order.dropFirst(nCal))

        func fit(_ y: [Int], classes: Int, name: String) -> LinearHead {
            var counts = [Float](repeating: 0, count: classes)
            for i in trainIdx { counts[y[i]] += 1 }
            let maxCount = counts.max() ?? 1
            let classWeight = counts.map { c -> Float in c > 0 ? min(20, pow(maxCount / c, options.classBalancePower)) : 0 }
            var sgd = SoftmaxSGD(features: vocabulary.count, classes: classes, l2: options.l2)
            var rng = SplitMix64(seed: options.seed &+ UInt64(classes))
            var idx = trainIdx
            for epoch in 0..<options.epochs {
                idx.shuffle(using: &rng)
                let lr = options.learningRate / (1 + Float(epoch))
                var loss = 0.0
                for i in idx {
                    loss += sgd.step(vectors[i], label: y[i], weight: baseWeight[i] * classWeight[y[i]], lr: lr)
                }
                log("\(name) epoch \(epoch + 1)/\(options.epochs) loss \(String(format: "%.4f", loss / Double(max(1, idx.count))))")
            }
            var head = sgd.head(labels: name == "topic" ? topicLabels : categoryLabels, prune: options.pruneThreshold)
            head.temperature = calibrate(head, calIdx.map { (vectors[$0], y[$0]) })
            log("\(name) head: \(head.weight.count) weights kept, temperature \(head.temperature)")
            return head
        }
        var topicHead = fit(yTopic, classes: topicLabels.count, name: "topic")
        var categoryHead = fit(yCat, classes: categoryLabels.count, name: "category")

        // Drop features that lost all their weights in both heads.
        var used = [Bool](repeating: false, count: vocabulary.count)
        for h in [topicHead, categoryHead] {
            for f in 0..<vocabulary.count where h.rowStart[f + 1] > h.rowStart[f] { used[f] = true }
        }
        let keep = used.indices.filter { used[$0] }
        func compact(_ h: LinearHead) -> LinearHead {
            var out = h
            var rs: [Int32] = [0], ci: [UInt16] = [], w: [Float] = []
            for f in keep {
                for e in Int(h.rowStart[f])..<Int(h.rowStart[f + 1]) { ci.append(h.classIndex[e]); w.append(h.weight[e]) }
                rs.append(Int32(w.count))
            }
            out.rowStart = rs; out.classIndex = ci; out.weight = w
            return out
        }
        topicHead = compact(topicHead)
        categoryHead = compact(categoryHead)
        vocabulary = keep.map { vocabulary[$0] }
        idf = keep.map { (idf[$0] * 1000).rounded() / 1000 }
        log("final vocabulary: \(vocabulary.count) terms")
        return ClassifierModel(metadata: ["trainingRows": String(rows.count), "calibrationRows": String(nCal)],
                               vocabulary: vocabulary, idf: idf, topicHead: topicHead, categoryHead: categoryHead)
    }

    /// Temperature minimising held-out negative log-likelihood (grid search).
    public static func calibrate(_ head: LinearHead, _ data: [(SparseVector, Int)]) -> Float {
        guard !data.isEmpty else { return 1 }
        let scores = data.map { (head.scores($0.0), $0.1) }
        var best: (t: Float, nll: Double) = (1, .infinity)
        var t: Float = 0.3
        while t <= 3.0 {
            var nll = 0.0
            for (z, y) in scores { nll -= log(max(softmax(z, temperature: t)[y], 1e-12)) }
            if nll < best.nll { best = (t, nll) }
            t += 0.05
        }
        return (best.t * 100).rounded() / 100
    }
}

/// Multinomial logistic regression trained by SGD with L2 via a global weight scale
/// (W_eff = scale · W), so regularisation costs O(1) per step.
public struct SoftmaxSGD {
    public let features: Int, classes: Int, l2: Float
    var w: [Float]
    var b: [Float]
    var scale: Float = 1

    public init(features: Int, classes: Int, l2: Float) {
        self.features = features; self.classes = classes; self.l2 = l2
        w = [Float](repeating: 0, count: features * classes)
        b = [Float](repeating: 0, count: classes)
    }

    /// One weighted SGD step on (x, label); returns the weighted log-loss before the step.
    public mutating func step(_ x: SparseVector, label: Int, weight: Float, lr: Float) -> Double {
        var z = b
        for (k, f) in x.indices.enumerated() {
            let base = Int(f) * classes, v = x.values[k] * scale
            for c in 0..<classes { z[c] += w[base + c] * v }
        }
        let p = softmax(z, temperature: 1)
        let loss = -log(max(p[label], 1e-12))
        scale *= (1 - lr * l2)
        if scale < 1e-4 {
            for i in w.indices { w[i] *= scale }
            scale = 1
        }
        let step = lr * weight
        for c in 0..<classes {
            let g = Float(p[c]) - (c == label ? 1 : 0)
            if abs(g) < 1e-6 { continue }
            let gs = step * g / scale
            for (k, f) in x.indices.enumerated() { w[Int(f) * classes + c] -= gs * x.values[k] }
            b[c] -= step * g * 0.1
        }
        return loss * Double(weight)
    }

    /// The trained weights as a sparse head; |w| < `prune` dropped, values rounded to 3 decimals.
    public func head(labels: [String], prune: Float) -> LinearHead {
        var rs: [Int32] = [0], ci: [UInt16] = [], ws: [Float] = []
        for f in 0..<features {
            for c in 0..<classes {
                let v = w[f * classes + c] * scale
                if abs(v) >= prune { ci.append(UInt16(c)); ws.append((v * 1000).rounded() / 1000) }
            }
            rs.append(Int32(ws.count))
        }
        return LinearHead(labels: labels, bias: b.map { ($0 * 1000).rounded() / 1000 }, temperature: 1,
                          rowStart: rs, classIndex: ci, weight: ws)
    }
}
