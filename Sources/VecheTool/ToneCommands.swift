import ArgumentParser
import Foundation
import MediaMonitoring

struct SentimentTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sentiment-train",
        abstract: "Train the tone model (negative/neutral/positive) on the non-held-out part of shared/data/sentiment (deterministic).")
    @OptionGroup var data: DataOptions
    @Option(help: "Where to write the model JSON.")
    var output = "Sources/MediaMonitoring/Resources/tone-model.json"

    func run() throws {
        let model = try ToneModel.train(dataDirectory: try data.directory(), log: { print($0) })
        try model.save(to: URL(fileURLWithPath: output))
        print("model written to \(output)")
    }
}

struct SentimentEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sentiment-eval",
        abstract: "Macro-F1 of the tone model per held-out data set, side by side with the TF-IDF + linear baseline (paired bootstrap).")
    @OptionGroup var data: DataOptions
    @Option(help: "Model file (default: the bundled model).")
    var model: String?
    @Option(help: "Baseline predictions CSV written by scripts/sentiment_baseline.py (file,row,dataset,gold,pred).")
    var baseline: String?
    @Option(help: "Bootstrap resamples.") var resamples = 2000
    @Flag(help: "Also print per-class metrics.") var verbose = false

    func run() throws {
        let m = try model.map { try ToneModel.load(from: URL(fileURLWithPath: $0)) } ?? ToneModel.loadBundled()
        let base = try baseline.map { try ToneEvaluation.loadBaseline(path: $0) }
        let report = try ToneEvaluation.evaluate(model: m, dataDirectory: try data.directory(), baseline: base, resamples: resamples)
        print(report.table, terminator: "")
        if verbose {
            for r in report.results {
                print(r.model.report(title: "\(r.dataset) / model"), terminator: "")
                if let b = r.baseline { print(b.report(title: "\(r.dataset) / baseline"), terminator: "") }
            }
        }
    }
}
