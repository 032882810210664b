import Foundation

/// What is fitted on held-out (validation) data after the weights: the softmax temperatures of both heads
/// (minimum negative log-likelihood) and the auto-routing threshold — the lowest topic confidence at which
/// the appeals routed automatically are right at least `routingTarget` of the time in every corpus of the held-out
/// data (Kursk, St Petersburg, operators' corrections): one region's portal must not carry another's feedback platform
/// over the target (St Petersburg is 95 % of the validation rows; over all rows at once, a model that reached the
/// target there routed every Kursk appeal at 78 % accuracy).
public struct Calibration: Codable, Sendable, Equatable {
    public var topicTemperature: Float
    public var categoryTemperature: Float
    public var routingThreshold: Double
    public var routingTarget: Double

    public init(topicTemperature: Float, categoryTemperature: Float, routingThreshold: Double, routingTarget: Double) {
        self.topicTemperature = topicTemperature
        self.categoryTemperature = categoryTemperature
        self.routingThreshold = routingThreshold
        self.routingTarget = routingTarget
    }

    /// Topic accuracy wanted among automatically routed appeals.
    public static let defaultRoutingTarget = 0.95

    static func fit(_ model: ClassifierModel, on data: FeatureCache, routingTarget: Double = defaultRoutingTarget) -> Calibration {
        let index = FeatureIndex(model.features)
        let vectors = data.counts.map { index.vector($0) }
        let topic = HeadScorer(model.topicHead), category = HeadScorer(model.categoryHead)
        let topicIdx = Dictionary(uniqueKeysWithValues: model.topicHead.labels.enumerated().map { ($1, $0) })
        let catIdx = Dictionary(uniqueKeysWithValues: model.categoryHead.labels.enumerated().map { ($1, $0) })
        let tScores = vectors.map { topic.scores($0) }, cScores = vectors.map { category.scores($0) }
        let tT = temperature(tScores, gold: data.rows.map { topicIdx[$0.topicCode] })
        let tC = temperature(cScores, gold: data.rows.map { catIdx[$0.categoryCode] })
        var calibrated = model
        calibrated.topicHead.temperature = tT
        calibrated.categoryHead.temperature = tC
        let outcomes = Self.outcomes(calibrated, vectors: vectors, gold: data.rows)
        return Calibration(topicTemperature: tT, categoryTemperature: tC,
                           routingThreshold: threshold(perCorpus: zip(data.rows, outcomes).map { ($0.source.corpus, $1.confidence, $1.topicCorrect) },
                                                       target: routingTarget),
                           routingTarget: routingTarget)
    }

    /// (topic confidence, topic right, category right) of each row under `model`'s decoding.
    static func outcomes(_ model: ClassifierModel, vectors: [SparseVector], gold: [LabeledAppeal]) -> [(confidence: Double, topicCorrect: Bool, categoryCorrect: Bool)] {
        guard let clf = try? AppealClassifier(model: model) else { return [] }
        return zip(vectors, gold).map { x, g in
            let c = clf.classify(vector: x)
            return (c.topicConfidence, c.topicCode == g.topicCode, c.categoryCode == g.categoryCode)
        }
    }

    /// Temperature (multiplicative grid 0.02…5) with the least negative log-likelihood of the gold labels.
    static func temperature(_ scores: [[Float]], gold: [Int?]) -> Float {
        var best: (t: Float, nll: Double) = (1, .infinity)
        var t: Float = 0.02
        while t <= 5 {
            var nll = 0.0
            for (z, g) in zip(scores, gold) {
                guard let g else { continue }
                nll -= log(max(softmax(z, temperature: t)[g], 1e-12))
            }
            if nll < best.nll { best = (t, nll) }
            t *= 1.05
        }
        return (best.t * 1000).rounded() / 1000
    }

    /// The largest of the corpora's `threshold`s: at it, every corpus's auto-routed rows reach `target`.
    static func threshold(perCorpus rows: [(corpus: String, confidence: Double, correct: Bool)], target: Double) -> Double {
        Dictionary(grouping: rows, by: \.corpus).values
            .map { threshold($0.map { ($0.confidence, $0.correct) }, target: target) }.max() ?? 1
    }

    /// Lowest threshold on a 0.01 grid whose auto-routed rows reach `target` accuracy (1.0 if none does).
    static func threshold(_ rows: [(confidence: Double, correct: Bool)], target: Double) -> Double {
        for step in 0...100 {
            let t = Double(step) / 100
            let routed = rows.filter { $0.confidence >= t }
            guard !routed.isEmpty else { break }
            if Double(routed.filter(\.correct).count) / Double(routed.count) >= target { return t }
        }
        return 1
    }
}
