import ClassifierStore
import Foundation
import Logging
import TextAnalysis
import VecheRuntime

/// The classifier's tables in the Veche database (AppealService's schema), as `veche-tool` uses them.
enum ClassifierDatabase {
    static let schema = "appeal"

    static func withPool<T: Sendable>(_ conninfo: String, _ body: (PGPool) async throws -> T) async throws -> T {
        let pool = try await PGPool(conninfo: conninfo, size: 1, schema: schema, logger: Logger(label: "veche-tool"), connectTimeout: .seconds(10))
        defer { pool.close() }
        return try await body(pool)
    }

    /// Operators' corrections, split into the part trained on and the part held out for the activation gate.
    static func corrections(conninfo: String) async throws -> (training: [ClassificationExamples.Example], heldOut: [ClassificationExamples.Example]) {
        let all = try await withPool(conninfo) { pool in try await pool.withConnection { try ClassificationExamples.all($0) } }
        let heldOut = all.filter { ClassifierSplits.isHeldOutCorrection(appealID: $0.appealID) }
        return (all.filter { !ClassifierSplits.isHeldOutCorrection(appealID: $0.appealID) }, heldOut)
    }
}
