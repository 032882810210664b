import ArgumentParser
import ClassifierStore
import Foundation
import TextAnalysis
import VecheRuntime

/// Where the classifier's files live in the repository (commands run from the repository root).
struct ClassifierPaths: ParsableArguments {
    @Option(help: "Model file.") var model = "Sources/TextAnalysis/Resources/classifier-model.json"
    @Option(help: "Model-selection log (written by classifier-select, read by classifier-train).")
    var selectionLog = "Sources/TextAnalysis/Resources/model-selection.json"
    @Option(help: "Test-access log (one entry per model version evaluated on the test split).")
    var testLog = "Sources/TextAnalysis/Resources/test-log.jsonl"
    @Option(help: "The baseline script.") var baselineScript = "scripts/classifier_baseline.py"
}

/// Progress of long classifier commands goes to standard error (unbuffered), results to standard output.
func progress(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// `veche-tool classifier-select`: model selection on the validation split (never loads the test split).
struct ClassifierSelect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-select",
        abstract: "Choose the classifier settings on the validation split (carved from training data) and write the selection log.")
    @OptionGroup var data: DataOptions
    @OptionGroup var paths: ClassifierPaths
    @Option(parsing: .upToNextOption, help: "Only these candidates (indices into the fixed list, 0…\(ClassifierCandidates.all.count - 1)).")
    var only: [Int] = []

    func run() throws {
        let candidates = try only.isEmpty ? ClassifierCandidates.all : only.map { i in
            guard ClassifierCandidates.all.indices.contains(i) else { throw ValidationError("no candidate \(i)") }
            return ClassifierCandidates.all[i]
        }
        let splits = try ClassifierSplits.load(dataDirectory: try data.directory(), includeTest: false)
        print("train \(splits.train.count) rows, validation \(splits.validation.count) rows (test not loaded)")
        let baseline = try BaselineRunner(script: paths.baselineScript).predictions(splits: splits, fit: [.train], predict: [.validation], log: progress)
        let train = try FeatureCache(rows: splits.train), validation = try FeatureCache(rows: splits.validation)
        let (log, chosenModel) = try ModelSelection.run(candidates: candidates, train: train, validation: validation, baseline: baseline,
                                                        baselineName: BaselineRunner.name, splits: splits.settings, log: progress)
        try log.save(to: URL(fileURLWithPath: paths.selectionLog))
        print(log.render(), terminator: "")
        if let model = chosenModel, model.features.blocks.contains(where: { $0.kind == .rubric }) {
            // Not a selection criterion (the issue's baseline is the text-only one): the like-for-like comparison.
            let given = try BaselineRunner(script: paths.baselineScript, metadata: true)
                .predictions(splits: splits, fit: [.train], predict: [.validation], log: progress)
            let run = try ModelRun(model: model, rows: validation.rows)
            let table = SideBySide(rows: validation.rows, project: run.predictions, baseline: given, resamples: 1000)
            print(table.render(title: "Validation: the chosen candidate vs \(BaselineRunner.metadataName)"))
        }
        print("selection log written to \(paths.selectionLog)")
    }
}

/// `veche-tool classifier-train`: the released model — the selected settings trained on train + validation
/// (+ operators' corrections when a database is given).
struct ClassifierTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-train",
        abstract: "Train the classifier with the selected settings on train + validation, plus operators' corrections from the database (--postgres).")
    @OptionGroup var data: DataOptions
    @OptionGroup var paths: ClassifierPaths
    @Option(help: "libpq conninfo of the Veche database: add the operators' corrections (appeal.classification_examples).")
    var postgres: String?
    @Option(help: "Where to write the model (default: --model).") var output: String?

    func run() async throws {
        let selection = try SelectionLog.load(from: URL(fileURLWithPath: paths.selectionLog))
        let chosen = selection.chosenCandidate
        let splits = try ClassifierSplits.load(dataDirectory: try data.directory(), settings: selection.splits, includeTest: false)
        var rows = splits.rows([.train, .validation])
        var corrections = 0
        if let postgres {
            let examples = try await ClassifierDatabase.corrections(conninfo: postgres)
            rows += examples.training.map(\.labeled)
            corrections = examples.training.count
            print("operators' corrections: \(examples.training.count) for training, \(examples.heldOut.count) held out for activation")
        }
        print("training rows: \(rows.count) (train + validation\(corrections > 0 ? " + \(corrections) corrections" : ""))")
        let metadata = [
            "datasets": "kursk_cp2022_appeals_train.csv.gz (github:k1ck3r777/1234@8c77cab, no license, eval-only); "
                + "spb_nash_peterburg_appeals_2020_2021.csv.gz before \(selection.splits.testFrom) (github:Timmy-Max/Appeals-to-Housing-and-Communal-Services@f639e6e, no license, eval-only)",
            "selection": "\(paths.selectionLog) \(selection.date), candidate #\(selection.chosen)",
            "corrections": String(corrections),
        ]
        let (model, _) = ClassifierTrainer.fit(chosen.config, train: try FeatureCache(rows: rows), calibrated: chosen.calibration,
                                               metadata: metadata, log: progress)
        let out = output ?? paths.model
        try model.save(to: URL(fileURLWithPath: out))
        print("model \(model.versionID) written to \(out)")
    }
}

/// `veche-tool classifier-eval`: the project's model and the baseline side by side on the test split.
struct ClassifierEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-eval",
        abstract: "Evaluate the model against the baseline on the test split (paired bootstrap), calibration, triage and speed; logs the test access.")
    @OptionGroup var data: DataOptions
    @OptionGroup var paths: ClassifierPaths
    @Option(help: "Bootstrap resamples.") var resamples = 1000
    @Flag(help: "Also print per-class metrics.") var perClass = false

    func run() throws {
        let splits = try ClassifierSplits.load(dataDirectory: try data.directory(), includeTest: true)
        let baseline = try BaselineRunner(script: paths.baselineScript).predictions(splits: splits, fit: [.train, .validation], predict: [.test], log: progress)
        let model = try ClassifierModel.load(from: URL(fileURLWithPath: paths.model))
        let run = try ModelRun(model: model, rows: splits.test)
        let table = SideBySide(rows: splits.test, project: run.predictions, baseline: baseline, resamples: resamples)
        print(table.render(title: "Test split (Kursk test file; St Petersburg from \(splits.settings.testFrom)): model \(model.versionID) vs baseline \(BaselineRunner.name)"))
        let reliability = ReliabilityReport(confidence: run.outcomes.map(\.confidence), correct: run.outcomes.map(\.topicCorrect))
        print(reliability.render(title: "Calibration of the topic confidence"))
        let routing = RoutingReport(threshold: model.routingThreshold, outcomes: run.outcomes)
        print("Routing at the model's threshold (chosen on validation for \(Int(Calibration.defaultRoutingTarget * 100))% topic accuracy; VECHE_CLASSIFIER_MIN_CONFIDENCE overrides):")
        print("  all:           " + routing.line)
        for (name, source) in [("Kursk:", LabeledAppeal.Source.kurskTest), ("St Petersburg:", .spb)] {
            let o = zip(splits.test, run.outcomes).filter { $0.0.source == source }.map(\.1)
            print("  " + name.padding(toLength: 15, withPad: " ", startingAt: 0) + RoutingReport(threshold: model.routingThreshold, outcomes: o).line)
        }
        print(String(format: "Speed: %.1f µs per appeal = %.3f ms (CPU time of one thread, %d test appeals, text → topic + category; %.1f µs wall-clock under the machine's load)\n",
                     run.secondsPerAppeal * 1e6, run.secondsPerAppeal * 1e3, splits.test.count, run.wallSecondsPerAppeal * 1e6))
        if perClass {
            for r in table.rows { print(r.project.report(title: "\(r.split.title) — project")) }
        }
        if model.features.blocks.contains(where: { $0.kind == .rubric }) {
            // The model sees the channel's rubric; the issue's baseline sees the text only. The like-for-like figure:
            let given = try BaselineRunner(script: paths.baselineScript, metadata: true)
                .predictions(splits: splits, fit: [.train, .validation], predict: [.test], log: progress)
            let fair = SideBySide(rows: splits.test, project: run.predictions, baseline: given, resamples: resamples)
            print(fair.render(title: "The same model vs \(BaselineRunner.metadataName)"))
        }
        let entry = TestLogEntry(date: Date(), model: model, baseline: BaselineRunner.name, table: table, ece: reliability.ece,
                                 routing: routing, secondsPerAppeal: run.secondsPerAppeal)
        let (logged, isNew) = try TestLog.record(entry, at: URL(fileURLWithPath: paths.testLog))
        let count = try TestLog.entries(at: URL(fileURLWithPath: paths.testLog)).count
        print(isNew ? "test access recorded in \(paths.testLog) (\(count) models evaluated on the test split so far)"
                    : "model \(model.versionID) was first evaluated on the test split on \(logged.date); not recorded again (\(count) models in \(paths.testLog))")
        print(table.projectWinsEverywhere ? "The model beats the baseline on every split (95% intervals above zero)."
                                          : "The model does NOT beat the baseline on every split.")
    }
}
