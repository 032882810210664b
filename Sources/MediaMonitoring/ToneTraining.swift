import Foundation
import TextAnalysis

/// Options of `ToneModel.train`. Defaults reproduce the shipped model.
public struct ToneTrainingOptions: Sendable {
    public var minWordDocumentFrequency = 2
    public var minCharDocumentFrequency = 3
    public var maxCharFeatures = 120_000
    public var epochs = 10
    public var learningRate: Float = 0.5
    /// Per-example L2 strength; 1/(C·n) of scikit-learn's `LogisticRegression(C:)` on n examples.
    public var l2: Float = 5e-5
    /// Weights with |w| below this are dropped from the saved model.
    public var pruneThreshold: Float = 0.02
    /// Class weights balanced *within each data set* (weight ∝ n_dataset / (3 · n_dataset,class)), so
    /// the ~64 % neutral SentiRuEval does not swamp the minority classes and each corpus keeps its size.
    public var balancePerDataset = true
    public var seed: UInt64 = 20_160_601

    public init() {}
}

extension ToneModel {
    /// Trains on the non-held-out rows of the shared tone corpora (RuSentiTweet `train`; SentiRuEval-2016
    /// training collection: 2013-12 etalon + 2014-07 train). Deterministic for a given seed.
    public static func train(dataDirectory: String, options: ToneTrainingOptions = ToneTrainingOptions(),
                             log: (String) -> Void = { _ in }) throws -> ToneModel {
        let rows = try SentimentDatasets.load(dataDirectory: dataDirectory).filter { !$0.isHeldOut }
        var model = try train(examples: rows, options: options, log: log)
        model.metadata["datasets"] = "sentiment/rusentitweet.csv.gz (github:sismetanin/rusentitweet@bb71455, subset train; Smetanin 2022, "
            + "doi:10.7717/peerj-cs.1039); sentiment/sentirueval2016_banks_telecom.csv.gz (github:mokoron/sentirueval@95b24c0 + "
            + "github:searayeah/russian-sentiment-emotion-datasets@b43a50a, SentiRuEval-2016 training collection; Loukachevitch & "
            + "Rubtsova 2016). No licence files: research/eval use with citation; only derived weights are shipped"
        model.metadata["heldOut"] = "rusentitweet test; sentirueval *_test2016_etalon_2015 (not used for training)"
        return model
    }

    /// Trains on already loaded examples.
    public static func train(examples: [SentimentExample], options: ToneTrainingOptions = ToneTrainingOptions(),
                             log: (String) -> Void = { _ in }) throws -> ToneModel {
        let extractor = try ToneFeatureExtractor()
        let wordDocs = examples.map { extractor.wordTerms($0.text) }
        let charDocs = examples.map { extractor.charTerms($0.text) }
        let words = selectVocabulary(wordDocs, minDF: options.minWordDocumentFrequency, maxFeatures: Int.max)
        let chars = selectVocabulary(charDocs, minDF: options.minCharDocumentFrequency, maxFeatures: options.maxCharFeatures)
        var vocabulary = words.terms + chars.terms
        var idf = words.idf + chars.idf
        var index: [String: Int32] = [:]
        for (i, t) in vocabulary.enumerated() { index[t] = Int32(i) }
        log("examples \(examples.count); vocabulary \(words.terms.count) word + \(chars.terms.count) char terms")
        let vectors = examples.indices.map { i in
            ToneVectors.combine(Vectorizer.vectorize(terms: wordDocs[i], vocab: index, idf: idf),
                                Vectorizer.vectorize(terms: charDocs[i], vocab: index, idf: idf))
        }
        let labels = Tone.allCases
        let y = examples.map { labels.firstIndex(of: $0.tone) ?? 1 }
        let weights = sampleWeights(examples, balance: options.balancePerDataset)

        var sgd = SoftmaxSGD(features: vocabulary.count, classes: labels.count, l2: options.l2)
        var rng = SplitMix64(seed: options.seed)
        var order = Array(examples.indices)
        for epoch in 0..<options.epochs {
            order.shuffle(using: &rng)
            let lr = options.learningRate / (1 + Float(epoch))
            var loss = 0.0
            for i in order { loss += sgd.step(vectors[i], label: y[i], weight: weights[i], lr: lr) }
            log("epoch \(epoch + 1)/\(options.epochs) weighted loss \(String(format: "%.4f", loss / Double(max(1, order.count))))")
        }

        // Drop features whose every weight was pruned.
        let (compacted, keep) = sgd.head(labels: labels.map(\.rawValue), prune: options.pruneThreshold).droppingUnusedFeatures()
        let head = compacted
        vocabulary = keep.map { vocabulary[$0] }
        idf = keep.map { (idf[$0] * 1000).rounded() / 1000 }
        log("kept \(vocabulary.count) terms, \(head.storedWeightCount) weights")
        var meta: [String: String] = [
            "trainingExamples": String(examples.count), "seed": String(options.seed), "epochs": String(options.epochs),
            "l2": String(options.l2), "prune": String(options.pruneThreshold),
            "balance": options.balancePerDataset ? "per-dataset balanced class weights" : "none",
        ]
        for d in Set(examples.map(\.dataset)) { meta["examples." + d] = String(examples.filter { $0.dataset == d }.count) }
        return ToneModel(metadata: meta, vocabulary: vocabulary, idf: idf, head: head)
    }

    /// Terms with document frequency ≥ `minDF` (at most `maxFeatures`, most frequent first), sorted,
    /// with smoothed idf = ln((1 + n) / (1 + df)) + 1.
    static func selectVocabulary(_ docs: [[String]], minDF: Int, maxFeatures: Int) -> (terms: [String], idf: [Float]) {
        var df: [String: Int] = [:]
        for d in docs { for t in Set(d) { df[t, default: 0] += 1 } }
        let kept = df.filter { $0.value >= minDF }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxFeatures).map(\.key).sorted()
        let n = Double(docs.count)
        return (kept, kept.map { Float(log((1 + n) / (1 + Double(df[$0] ?? 0))) + 1) })
    }

    /// Per-example weights, mean 1.
    static func sampleWeights(_ examples: [SentimentExample], balance: Bool) -> [Float] {
        guard balance else { return examples.map { _ in 1 } }
        var perDataset: [String: Int] = [:], perClass: [String: Int] = [:]
        for e in examples { perDataset[e.dataset, default: 0] += 1; perClass[e.dataset + "|" + e.tone.rawValue, default: 0] += 1 }
        let classes = Float(Tone.allCases.count)
        var w = examples.map { e -> Float in
            Float(perDataset[e.dataset] ?? 1) / (classes * Float(perClass[e.dataset + "|" + e.tone.rawValue] ?? 1))
        }
        let mean = w.reduce(0, +) / Float(max(1, w.count))
        if mean > 0 { w = w.map { $0 / mean } }
        return w
    }
}
