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
        subcommands: [ClassifierLabels.self, ClassifierSelect.self, ClassifierTrain.self, ClassifierEval.self, ClassifierActivate.self,
                       DuplicatesEval.self, BostonReplay.self,
                      SentimentTrain.self, SentimentEval.self, SurgeEval.self, ForecastEval.self, WorkloadReport.self,
                      Seed.self, ArchiveImport.self, Bench.self, BusConfig.self, DBSetup.self, MessengerBridgeCommand.self])
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
        abstract: "Infer Boston 311 SLA policies from Jan–Jun 2015, compute Jul–Dec TARGET_DT from OPEN_DT with the SLA engine.")
    @OptionGroup var data: DataOptions
    @Flag(help: "Print every case type (default: the 30 with most test cases).") var allTypes = false

    func run() throws {
        let file = try Boston311Cases.load(path: try data.directory() + "/boston311_2015.csv.gz")
        let r = Boston311Replay.run(file)
        print(BostonReplayReport.text(r, evidence: Boston311Replay.calendarEvidence(file, result: r), limit: allTypes ? nil : 30))
    }
}
