import ArgumentParser
import Contracts
import DataKit
import Foundation
import Logging
import TextAnalysis
import VecheRuntime
import WorkCalendar

@main
struct VecheTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veche-tool",
        abstract: "Veche operations: evaluations on real data, demo seeding, benchmarks.",
        subcommands: [ClassifierTrain.self, ClassifierEval.self, DuplicatesEval.self, BostonReplay.self,
                      SentimentTrain.self, SentimentEval.self, SurgeEval.self, ForecastEval.self, WorkloadReport.self,
                      Seed.self, Bench.self, BusConfig.self, DBSetup.self])
}

struct DataOptions: ParsableArguments {
    @Option(help: "Directory with the evaluation data (default: ../shared/data next to the repository, or VECHE_SHARED_DATA).")
    var data: String?

    func directory() throws -> String {
        if let data { return data }
        if let d = DataFiles.sharedDataDirectory(from: FileManager.default.currentDirectoryPath + "/x") ?? DataFiles.sharedDataDirectory() { return d }
        throw ValidationError("shared/data not found; pass --data DIR")
    }
}

struct ClassifierTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-train",
        abstract: "Train the topic/category classifier on Kursk train + St Petersburg (before 2021-03-01).")
    @OptionGroup var data: DataOptions
    @Option(help: "Where to write the model JSON.")
    var output = "Sources/TextAnalysis/Resources/classifier-model.json"

    func run() throws {
        let model = try ClassifierModel.train(dataDirectory: try data.directory(), log: { print($0) })
        try model.save(to: URL(fileURLWithPath: output))
        print("model written to \(output)")
    }
}

struct ClassifierEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-eval",
        abstract: "Macro-F1 of the classifier on the Kursk test set and on later months of the St Petersburg data.")
    @OptionGroup var data: DataOptions
    @Option(help: "Model file (default: the bundled model).")
    var model: String?

    func run() throws {
        let m = try model.map { try ClassifierModel.load(from: URL(fileURLWithPath: $0)) } ?? ClassifierModel.loadBundled()
        let report = try ClassifierEvaluation.evaluate(model: m, dataDirectory: try data.directory())
        print(report.fullReport)
    }
}

struct DuplicatesEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "duplicates-eval",
        abstract: "Duplicate grouping on the St Petersburg appeals (pairwise precision/recall).")
    @OptionGroup var data: DataOptions
    @Option(help: "Use only the first N appeals.") var limit: Int?

    func run() throws {
        print(try DuplicateEvaluation.evaluateSPb(dataDirectory: try data.directory(), limit: limit))
    }
}

struct BostonReplay: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boston-replay",
        abstract: "Replay Boston 311 (2015) open/deadline/close through the SLA engine and compare with the city's on-time flag.")
    @OptionGroup var data: DataOptions

    func run() throws {
        let r = try Boston311Replay.run(path: try data.directory() + "/boston311_2015.csv.gz")
        print("rows: \(r.rows), closed: \(r.closedCases), closed with target: \(r.closedWithTarget)")
        print(String(format: "agreement with OnTime_Status: %d / %d labelled = %.4f%%; %d unlabelled (engine: %d overdue); overall %.4f%%",
                     r.agreements, r.labelled, r.agreementShareOfLabelled * 100, r.unlabelled, r.unlabelledEngineOverdue, r.agreementShareOfAll * 100))
        print("department                      volume  on-time  median h  p90 h")
        for d in r.departments.sorted(by: { $0.volume > $1.volume }).prefix(17) {
            let name = d.department.count >= 30 ? String(d.department.prefix(30)) : d.department + String(repeating: " ", count: 30 - d.department.count)
            print(name + String(format: " %7d  %6.1f%%  %8.1f  %6.1f", d.volume, (d.onTimeShare ?? 0) * 100, d.medianCloseHours ?? 0, d.p90CloseHours ?? 0))
        }
    }
}
