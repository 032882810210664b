import ArgumentParser
import ClassifierStore
import Foundation
import TextAnalysis
import VecheRuntime

/// `veche-tool classifier-activate`: stores a retrained model in the database and makes AppealService use
/// it — only if it is not worse than the active model on the same held-out data (`ActivationGate`).
struct ClassifierActivate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-activate",
        abstract: "Compare a model with the active one on held-out data (test split + held-out corrections) and activate it unless it is worse.")
    @OptionGroup var data: DataOptions
    @OptionGroup var paths: ClassifierPaths
    @Option(help: "libpq conninfo of the Veche database.") var postgres: String
    @Flag(help: "Compare on the operators' held-out corrections only (no evaluation data on this machine).") var correctionsOnly = false
    @Flag(help: "Only list the stored models.") var list = false

    func run() async throws {
        if list {
            let entries = try await ClassifierDatabase.withPool(postgres) { pool in try await pool.withConnection { try ClassifierModels.list($0) } }
            for e in entries { print("\(e.active ? "*" : " ") \(e.version)  created \(e.createdAt.map { "\($0)" } ?? "")  \(e.metricsJSON)") }
            return
        }
        let candidate = try ClassifierModel.load(from: URL(fileURLWithPath: paths.model))
        let stored = try await ClassifierDatabase.withPool(postgres) { pool in try await pool.withConnection { try ClassifierModels.active($0) } }
        let current = try stored ?? ClassifierModel.loadBundled()
        guard candidate.versionID != current.versionID else { print("model \(candidate.versionID) is already the one in use"); return }
        var heldOut = try await ClassifierDatabase.corrections(conninfo: postgres).heldOut.map(\.labeled)
        if !correctionsOnly { heldOut += try ClassifierSplits.load(dataDirectory: try data.directory(), includeTest: true).test }
        let gate = try ActivationGate(candidate: candidate, current: current, heldOut: heldOut)
        print(gate.table.render(title: "Candidate \(candidate.versionID) vs current \(current.versionID)\(stored == nil ? " (bundled)" : "") on \(heldOut.count) held-out appeals"))
        if !correctionsOnly, gate.accepted {
            let (logged, isNew) = try TestLog.record(TestLogEntry(date: Date(), model: candidate, baseline: "active model \(current.versionID)",
                                                                   table: gate.table, ece: nil, routing: nil, secondsPerAppeal: nil), at: URL(fileURLWithPath: paths.testLog))
            print(isNew ? "test access recorded in \(paths.testLog)" : "model already in the test log since \(logged.date)")
        }
        guard gate.accepted else { throw ValidationError("refused: \(gate.reason); the active model stays \(current.versionID)") }
        let metrics = try String(decoding: JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: gate.table.rows.map { ($0.split.rawValue, $0.project.macroF1) }),
                                                                   options: [.sortedKeys]), as: UTF8.self)
        try await ClassifierDatabase.withPool(postgres) { pool in
            try await pool.transaction { conn in
                try ClassifierModels.store(conn, candidate, metricsJSON: metrics)
                try ClassifierModels.activate(conn, version: candidate.versionID)
            }
        }
        print("activated \(candidate.versionID) (\(gate.reason)); AppealService switches within its check interval")
    }
}
