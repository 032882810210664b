import Foundation
import Testing
import TextAnalysis
@testable import MediaMonitoring

@Suite struct ToneFeatureTests {
    @Test func negationEmoticonsAndMasking() throws {
        let x = try ToneFeatureExtractor()
        let terms = x.wordTerms("RT @vasya: Не работает интернет(((( http://t.co/x !!!")
        #expect(terms.prefix(6) == ["userx", "не", "!работа", "!интернет", "(((", "urlx"])
        #expect(terms.contains("!!"))
        #expect(terms.contains("не_!работа"), "bigrams of adjacent terms")
        #expect(x.wordTerms("спасибо :) 2024").prefix(3) == ["спасиб", ":)", "<num>"])
        #expect(x.charTerms("да").sorted() == ["# д", "# да", "# да ", "#а ", "#да", "#да "].sorted())
    }

    @Test func datasetWeightsBalanceClassesWithinEachCorpus() {
        func ex(_ d: String, _ t: Tone) -> SentimentExample { SentimentExample(dataset: d, subset: "train", text: "", tone: t, row: 0, file: "") }
        let rows = [ex("a", .neutral), ex("a", .neutral), ex("a", .neutral), ex("a", .negative), ex("b", .positive)]
        let w = ToneModel.sampleWeights(rows, balance: true)
        #expect(abs(w.reduce(0, +) / Float(w.count) - 1) < 1e-5)
        #expect(abs(w[3] / w[0] - 3) < 1e-5, "the single negative weighs as much as the three neutrals together")
    }
}

@Suite struct PairedBootstrapTests {
    @Test func identicalSystemsDifferByZero() {
        let gold = ["a", "b", "c", "a", "b"], pred = ["a", "b", "a", "a", "c"]
        let b = PairedBootstrap(gold: gold, a: pred, b: pred, resamples: 200)
        #expect(b.difference == 0 && b.lower == 0 && b.upper == 0 && b.shareNotBetter == 1)
    }

    @Test func aClearlyBetterSystemHasAnIntervalAboveZero() {
        var rng = SplitMix64(seed: 3)
        let labels = ["negative", "neutral", "positive"]
        let gold = (0..<600).map { _ in labels[Int(rng.next() % 3)] }
        let good = gold.enumerated().map { $0.offset % 10 == 0 ? "neutral" : $0.element }
        let random = gold.map { _ in labels[Int(rng.next() % 3)] }
        let b = PairedBootstrap(gold: gold, a: good, b: random, resamples: 500)
        #expect(b.macroF1A > 0.85 && b.macroF1B < 0.45)
        #expect(b.lower > 0.3 && b.upper >= b.lower && b.shareNotBetter == 0)
    }
}

@Suite struct ToneModelTests {
    @Test func bundledModelLoadsAndReadsObviousTone() throws {
        let clf = try ToneClassifier()
        #expect(clf.model.metadata["datasets"]?.contains("rusentitweet") == true)
        #expect(clf.classify("Спасибо огромное, всё починили быстро, отличная работа!").tone == .positive)
        #expect(clf.classify("Опять нет горячей воды, безобразие, сколько можно терпеть!!!").tone == .negative)
        let r = clf.classify("Заседание комиссии назначено на 10 марта")
        #expect(r.tone == .neutral)
        #expect(abs(r.probabilities.reduce(0, +) - 1) < 1e-9)
    }

    @Test func corruptModelFileIsRejected() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tone-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"version\":1}".utf8).write(to: url)
        #expect(throws: TextAnalysisError.self) { try ToneModel.load(from: url) }
    }

    @Test func trainingIsDeterministic() throws {
        guard let dir = sharedData() else { return }
        let rows = Array(try SentimentDatasets.load(dataDirectory: dir).filter { !$0.isHeldOut }.prefix(400))
        var o = ToneTrainingOptions()
        o.epochs = 2
        let a = try ToneModel.train(examples: rows, options: o), b = try ToneModel.train(examples: rows, options: o)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        #expect(try enc.encode(a) == enc.encode(b))
        #expect(!a.vocabulary.isEmpty && a.head.storedWeightCount > 0)
    }

    /// The shipped model on the held-out parts of the real corpora (RuSentiTweet test, SentiRuEval-2016
    /// test gold): macro-F1 per data set stays at the level reported in the README.
    @Test func heldOutMacroF1() throws {
        guard let dir = sharedData() else { return }
        let report = try ToneEvaluation.evaluate(model: try ToneModel.loadBundled(), dataDirectory: dir)
        let f1 = Dictionary(uniqueKeysWithValues: report.results.map { ($0.dataset, $0.model.macroF1) })
        #expect((f1["rusentitweet"] ?? 0) > 0.66, "\(report.table)")
        #expect((f1["sentirueval2016_banks"] ?? 0) > 0.64, "\(report.table)")
        #expect((f1["sentirueval2016_telecom"] ?? 0) > 0.61, "\(report.table)")
    }
}
