import Foundation
import Taxonomy
import Testing
@testable import TextAnalysis

@Suite struct ClassifierModelTests {
    /// Character n-grams are exactly scikit-learn's `char_wb` (2–5): for "яма у дома, елка" it yields
    /// 45 n-grams, 43 distinct, «а » and «ма» twice, and the 1-letter word gives « у», «у », « у ».
    @Test func charNgramsMatchScikitLearn() {
        let counts = HashedFeatureExtractor.charCounts("яма у дома, елка")
        #expect(counts.values.reduce(0, +) == 45)
        #expect(counts.count == 43)
        func hash(_ s: String) -> UInt64 { var h = FNV64(seed: FeatureBlock.charNgrams.seed); h.add(s); return h.value }
        #expect(counts[hash("а ")] == 2 && counts[hash("ма")] == 2)
        #expect(counts[hash(" у ")] == 1 && counts[hash(" у")] == 1 && counts[hash("у ")] == 1)
        #expect(counts[hash(" дома")] == 1 && counts[hash("дома,")] == 1 && counts[hash(" дома,")] == nil)
    }

    @Test func packedArraysRoundTrip() throws {
        struct Box: Codable { var a: PackedArray<UInt64>; var q: QuantizedFloats }
        let values: [Float] = [0, 1.5, -2.25, 0.001, 3]
        let box = Box(a: PackedArray([0, 1, .max, 42]), q: QuantizedFloats(values))
        let back = try JSONDecoder().decode(Box.self, from: try JSONEncoder().encode(box))
        #expect(back.a.values == [0, 1, .max, 42])
        for (x, y) in zip(back.q.values, values) { #expect(abs(x - y) <= back.q.scale / 2 + 1e-7) }
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(PackedArray<UInt64>.self, from: Data(#""AAAA""#.utf8)) }
    }

    /// The dual coordinate-descent SVM separates separable data and is deterministic for a seed.
    @Test func linearSVMSeparatesAndIsDeterministic() {
        var x = SparseMatrix(columns: 3)
        let rows: [([Int32], [Float], Int)] = [([0], [1], 0), ([0, 2], [0.9, 0.1], 0), ([1], [1], 1), ([1, 2], [0.8, 0.3], 1), ([2], [1], 2), ([0, 2], [0.2, 1], 2)]
        for r in rows { x.append(SparseVector(indices: r.0, values: r.1)) }
        let svm = LinearSVMTrainer(c: 10, seed: 7)
        let fit = svm.fit(x, labels: rows.map(\.2), classes: 3, sampleWeight: rows.map { _ in 1 })
        for (i, r) in rows.enumerated() {
            let v = x.row(i)
            let scores = (0..<3).map { c in fit.bias[c] + zip(v.indices, v.values).reduce(Float(0)) { $0 + fit.weights[c][Int($1.0)] * $1.1 } }
            #expect(scores.indices.max { scores[$0] < scores[$1] } == r.2, "row \(i): \(scores)")
        }
        let again = svm.fit(x, labels: rows.map(\.2), classes: 3, sampleWeight: rows.map { _ in 1 })
        #expect(again.weights == fit.weights && again.bias == fit.bias)
    }

    /// The paired bootstrap scores each side with the evaluation's macro-F1 (gold ∪ predicted labels),
    /// and its interval brackets the observed difference.
    @Test func bootstrapAndMacroF1() {
        let gold = ["a", "a", "b", "b", "c", "c"], pa = ["a", "a", "b", "c", "c", "c"], pb = ["a", "b", "b", "b", "d", "c"]
        let d = PairedBootstrap(gold: gold, a: pa, b: pb, resamples: 500)
        #expect(abs(d.macroF1A - ClassificationMetrics(gold: gold, predicted: pa).macroF1) < 1e-12)
        #expect(abs(d.macroF1B - ClassificationMetrics(gold: gold, predicted: pb).macroF1) < 1e-12)
        #expect(d.lower <= d.difference && d.difference <= d.upper)
        let same = PairedBootstrap(gold: gold, a: pa, b: pa, resamples: 200)
        #expect(same.difference == 0 && same.lower == 0 && same.upper == 0)
    }

    @Test func reliabilityAndRouting() {
        // Two bins: 0.95-confident rows right 9 of 10 times, 0.55-confident rows right half the time.
        let conf = Array(repeating: 0.95, count: 10) + Array(repeating: 0.55, count: 10)
        let ok = (0..<10).map { $0 < 9 } + (0..<10).map { $0 < 5 }
        let r = ReliabilityReport(confidence: conf, correct: ok)
        #expect(abs(r.ece - (0.5 * 0.05 + 0.5 * 0.05)) < 1e-9)
        #expect(r.bins.filter { $0.count > 0 }.count == 2)
        #expect(Calibration.threshold(Array(zip(conf, ok)), target: 0.9) == 0.56)
        #expect(Calibration.threshold(Array(zip(conf, ok)), target: 0.99) == 1)
        // A large corpus right at any confidence does not carry a small one over the target: the threshold is the
        // one the small corpus needs (over all rows at once, 0 would do).
        let large = (0..<200).map { _ in (corpus: "spb", confidence: 0.3, correct: true) }
        let small = zip(conf, ok).map { (corpus: "kurskTrain", confidence: $0.0, correct: $0.1) }
        #expect(Calibration.threshold((large + small).map { ($0.confidence, $0.correct) }, target: 0.9) == 0)
        #expect(Calibration.threshold(perCorpus: large + small, target: 0.9) == 0.56)
        let routing = RoutingReport(threshold: 0.9, outcomes: zip(conf, ok).map { ($0.0, $0.1, false) })
        #expect(routing.routed == 10 && routing.share == 0.5 && abs(routing.topicAccuracy - 0.9) < 1e-12)
    }

    /// Training is deterministic, the version is a content hash, a saved model loads back identical,
    /// and a model whose content does not match its version is refused.
    @Test func trainSaveLoadAndVersion() throws {
        let rows = [("Яма на дороге, разбит асфальт", "roads.potholes", "pos"), ("Глубокие ямы на проезжей части", "roads.potholes", "portal"),
                    ("Нет отопления, холодные батареи", "housing.heating", "pos"), ("Батареи еле тёплые, холодно", "housing.heating", "portal"),
                    ("Не вывозят мусор с площадки", "waste.collection", "pos"), ("Мусор не вывозят неделю", "waste.collection", "pos")]
            .enumerated().map { LabeledAppeal(correctionOf: "r\($0.offset)", text: $0.element.0, channel: $0.element.2, categoryCode: $0.element.1) }
        var config = ClassifierConfig()
        config.minDocumentFrequency = 1
        let cache = try FeatureCache(rows: rows)
        let m1 = ClassifierTrainer.fit(config, train: cache).model, m2 = ClassifierTrainer.fit(config, train: cache).model
        #expect(m1.versionID == m2.versionID && m1.versionID.hasPrefix("v2-") && m1.versionID.count == 19)
        let clf = try AppealClassifier(model: m1)
        #expect(clf.classify("большая яма на дороге", channel: "pos").categoryCode == "roads.potholes")
        #expect(clf.classify("холодные батареи").topicCode == "housing")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("veche-model-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try m1.save(to: url)
        let back = try ClassifierModel.load(from: url)
        #expect(back.versionID == m1.versionID)
        #expect(try AppealClassifier(model: back).classify("мусор") == clf.classify("мусор"))
        var tampered = m1
        tampered.routingThreshold = 0.99
        #expect(throws: TextAnalysisError.self) { _ = try ClassifierModel.decode(try tampered.encoded()) }
    }

    /// The channel's rubric is a feature of its own: the same words are classified by the rubric the citizen chose
    /// (trained so the text alone cannot tell), folded as `Rubric.key` says (case, `ё`, spaces), tied to the channel,
    /// ignored when the model has no rubric block, and never taken from a taxonomy category code.
    @Test func rubricDecidesWhereTheTextCannot() throws {
        let texts = ["Грязно и мусор", "Мусор, грязно", "Очень грязно, мусор", "Мусор и грязь"]
        var rows: [LabeledAppeal] = []
        for (i, t) in texts.enumerated() {
            rows.append(LabeledAppeal(correctionOf: "h\(i)", text: t, channel: "portal", rubric: "Дом", categoryCode: "housing.common_areas"))
            rows.append(LabeledAppeal(correctionOf: "s\(i)", text: t, channel: "portal", rubric: "Улица", categoryCode: "waste.litter"))
        }
        var config = ClassifierConfig()
        config.minDocumentFrequency = 1
        config.blocks = [.stems, .charNgrams, .channel, .rubric]
        let clf = try AppealClassifier(model: ClassifierTrainer.fit(config, train: try FeatureCache(rows: rows)).model)
        #expect(clf.model.features.blocks.map(\.kind).contains(.rubric))
        #expect(clf.classify("мусор, грязно", channel: "portal", rubric: "Дом").categoryCode == "housing.common_areas")
        #expect(clf.classify("мусор, грязно", channel: "portal", rubric: "  УЛИЦА ").categoryCode == "waste.litter")
        #expect(Rubric.key(" Ёлка  у\tДома ") == "елка у дома")
        // Another channel's «Дом» is not the portal's: no rubric feature, so no lean towards either category.
        let portalHouse = clf.classify("мусор, грязно", channel: "portal", rubric: "Дом")
        let otherHouse = clf.classify("мусор, грязно", channel: "email", rubric: "Дом")
        #expect(otherHouse.categoryConfidence < portalHouse.categoryConfidence)
        #expect(otherHouse == clf.classify("мусор, грязно", channel: "email"))
        // A model without the block ignores the rubric.
        config.blocks = [.stems, .charNgrams, .channel]
        let plain = try AppealClassifier(model: ClassifierTrainer.fit(config, train: try FeatureCache(rows: rows)).model)
        #expect(plain.classify("мусор", channel: "portal", rubric: "Дом") == plain.classify("мусор", channel: "portal", rubric: "Улица"))
        // A category code in topic_hint is the citizen's choice, not a rubric; other hints are.
        #expect(Taxonomy.rubric(topicHint: "roads.potholes") == "" && Taxonomy.rubric(topicHint: "Двор") == "Двор")
    }

    /// Selection records written before `balanceScope`, `categoryC`, `recencyHalfLifeDays` and `rubricDropout` existed
    /// decode with their defaults, a default config keeps its summary (released models carry it), and the new settings
    /// round-trip.
    @Test func configDecodesOlderSelectionRecords() throws {
        let old = #"{"blocks":["stems","charNgrams","channel"],"c":1,"classBalancePower":0,"correctionWeight":3,"decoding":"joint","#
            + #""kurskWeight":1,"minDocumentFrequency":2,"pruneThreshold":0.02,"seed":20240611}"#
        let config = try JSONDecoder().decode(ClassifierConfig.self, from: Data(old.utf8))
        #expect(config == ClassifierConfig())
        #expect(config.summary == "blocks=stems+charNgrams+channel minDF=2 C=1.0 kursk×1.0 balance^0.0 joint prune=0.02")
        var changed = config
        changed.balanceScope = .kursk
        changed.categoryC = 2
        changed.recencyHalfLifeDays = 30
        changed.rubricDropout = 0.2
        #expect(try JSONDecoder().decode(ClassifierConfig.self, from: JSONEncoder().encode(changed)) == changed)
        #expect(changed.summary.hasSuffix("balance-scope=kursk categoryC=2.0 recency-half-life=30.0d rubric-dropout=0.2"))
        // The committed selection record (read by `classifier-train`) still loads, its chosen settings unchanged.
        let record = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/TextAnalysis/Resources/model-selection.json")
        let chosen = try SelectionLog.load(from: record).chosenCandidate.config
        #expect(chosen.balanceScope == .kursk && chosen.classBalancePower == 0.5 && chosen.categoryC == nil && chosen.recencyHalfLifeDays == 0)
        #expect(chosen.decoding == .categoryFirst && chosen.blocks.contains(.rubric) && chosen.rubricDropout == 0.2)
    }

    /// Row weights: recency halves a St Petersburg row's weight per half-life before the newest one (Kursk rows have
    /// no date and keep 1); class balancing counts classes over all rows, per corpus, or re-weights Kursk rows only.
    @Test func rowWeightsFollowScopeAndRecency() {
        func row(_ id: String, _ source: LabeledAppeal.Source, _ created: String) -> LabeledAppeal {
            LabeledAppeal(id: id, text: "", categoryCode: "other.other", source: source, rawLabel: "", labelKey: "", created: created,
                          latitude: nil, longitude: nil, channel: "")
        }
        let rows = [row("a", .spb, "2021-01-31T10:00:00"), row("b", .spb, "2021-01-01T23:00:00"), row("c", .spb, "2021-01-31T00:00:00"),
                    row("d", .kurskTrain, ""), row("e", .kurskTrain, ""), row("f", .kurskTrain, ""), row("g", .kurskTrain, "")]
        let y = [0, 0, 1, 1, 1, 0, 1]
        let recency = ClassifierTrainer.recencyWeights(rows, halfLifeDays: 30)
        #expect(recency == [1, 0.5, 1, 1, 1, 1, 1])
        #expect(ClassifierTrainer.recencyWeights(rows, halfLifeDays: 0) == [Float](repeating: 1, count: 7))
        var config = ClassifierConfig()
        #expect(ClassifierTrainer.rowWeights(config, rows: rows, labels: y, classes: 2, recency: recency) == [1, 0.5, 1, 1, 1, 1, 1])
        config.classBalancePower = 1
        let third: Float = 4.0 / 3.0
        #expect(ClassifierTrainer.rowWeights(config, rows: rows, labels: y, classes: 2, recency: recency) == [third, third / 2, 1, 1, 1, third, 1])
        config.balanceScope = .perCorpus
        #expect(ClassifierTrainer.rowWeights(config, rows: rows, labels: y, classes: 2, recency: recency) == [1, 0.5, 2, 1, 1, 3, 1])
        config.balanceScope = .kursk
        #expect(ClassifierTrainer.rowWeights(config, rows: rows, labels: y, classes: 2, recency: recency) == [1, 0.5, 1, 1, 1, 3, 1])
    }

    /// The selection margin of a split is the smaller of the margins over gold ∪ predicted and over gold labels only:
    /// a baseline that once predicts a label absent from the gold labels loses a whole zero-F1 class over the union,
    /// which does not make the project better where both predict only gold labels.
    @Test func selectionMarginDiscountsLabelsAbsentFromGold() {
        func row(_ id: String, _ category: String) -> LabeledAppeal {
            LabeledAppeal(id: id, text: "", categoryCode: category, source: .spb, rawLabel: "", labelKey: "", created: "",
                          latitude: nil, longitude: nil, channel: "portal")
        }
        let rows = (0..<4).map { row("a\($0)", "roads.potholes") } + (0..<4).map { row("b\($0)", "housing.roof") }
        var project = Predictions(), baseline = Predictions()
        for r in rows { project.category[r.id] = r.categoryCode; baseline.category[r.id] = r.categoryCode }
        project.category["a0"] = "housing.roof"  // one error inside the gold labels
        baseline.category["a0"] = "housing.billing"  // one error outside them
        let split = SideBySide(rows: rows, project: project, baseline: baseline, resamples: 0).rows.first { $0.split == .spbCategories }!
        #expect(split.project.macroF1 > split.baseline.macroF1)  // the union alone would call the project better
        #expect(split.project.macroF1Supported < split.baseline.macroF1Supported)
        #expect(ModelSelection.margin(split) == split.project.macroF1Supported - split.baseline.macroF1Supported)
        #expect(ModelSelection.margin(split) < 0)
    }

    @Test func bundledModelPredictions() throws {
        let clf = try AppealClassifier()
        let cases: [(String, String, String)] = [
            ("В квартире холодные батареи, нет отопления уже неделю", "pos", "housing"),
            ("Огромные ямы на дороге, разбит асфальт на проезжей части", "portal", "roads"),
            ("Автобус по маршруту 12 ходит раз в час, в салоне грязно", "pos", "transport"),
            ("В поликлинике невозможно записаться к врачу, нет лекарств", "pos", "health"),
            ("Не вывозят мусор с контейнерной площадки, баки переполнены", "", "waste"),
        ]
        for (text, channel, topic) in cases {
            let c = clf.classify(text, channel: channel)
            #expect(c.topicCode == topic, "\(text) → \(c.topicCode) \(c.categoryCode) \(c.topicConfidence)")
            #expect(Taxonomy.category(code: c.categoryCode)?.topicCode == c.topicCode)
            #expect(c.topicConfidence > 0 && c.topicConfidence <= 1 && c.categoryConfidence <= c.topicConfidence + 1e-9)
            #expect(c.modelVersion == clf.model.versionID)
        }
        #expect(clf.classify("").topicConfidence < 1)
    }

    /// The test log keeps one entry per model version: a second look at the same model is not appended.
    @Test func testLogRecordsEachModelOnce() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("veche-test-log-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try ClassifierModel.loadBundled()
        let rows = [LabeledAppeal(correctionOf: "x", text: "яма", channel: "pos", categoryCode: "roads.potholes")]
        var p = Predictions()
        p.topic["correction-x"] = "roads"
        p.category["correction-x"] = "roads.potholes"
        let table = SideBySide(rows: rows, project: p, baseline: p, resamples: 10)
        let entry = TestLogEntry(date: Date(), model: model, baseline: "same", table: table, ece: 0.01, routing: nil, secondsPerAppeal: 1e-4)
        #expect(try TestLog.record(entry, at: url).isNew)
        #expect(try !TestLog.record(entry, at: url).isNew)
        #expect(try TestLog.entries(at: url).count == 1)
        #expect(try TestLog.entries(at: url).first?.splits["correctionTopics"]?.project == 1)
    }
}
