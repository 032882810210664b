import Foundation
import TextAnalysis
import VecheRuntime

/// Trained classifier models stored in `appeal.classifier_models`; at most one is active.
public enum ClassifierModels {
    /// A stored model's row without the weights.
    public struct Entry: Sendable {
        public let version: String
        public let active: Bool
        public let createdAt: Date?
        public let activatedAt: Date?
        public let metricsJSON: String
    }

    /// The active model, nil when none is (AppealService then uses the bundled one).
    public static func active(_ conn: PGConnection) throws -> ClassifierModel? {
        guard let row = try conn.query("SELECT model FROM classifier_models WHERE active").first else { return nil }
        guard let bytes = row.bytes("model") else { throw TextAnalysisError.modelCorrupt("classifier_models.model is not bytea") }
        return try ClassifierModel.decode(Data(bytes))
    }

    /// Version of the active model (cheap; used to notice an activation).
    public static func activeVersion(_ conn: PGConnection) throws -> String? {
        try conn.query("SELECT version FROM classifier_models WHERE active").first?.string("version")
    }

    /// Stores `model` (inactive) with its evaluation figures; a version already stored is left as it is.
    public static func store(_ conn: PGConnection, _ model: ClassifierModel, metricsJSON: String) throws {
        try conn.query("""
            INSERT INTO classifier_models (version, model, metrics)
            VALUES (\(model.versionID), \(PGBytes.encode([UInt8](try model.encoded())))::bytea, \(metricsJSON)::jsonb)
            ON CONFLICT (version) DO NOTHING
            """)
    }

    /// Makes the stored model `version` the only active one. Call inside a transaction.
    public static func activate(_ conn: PGConnection, version: String) throws {
        try conn.query("UPDATE classifier_models SET active = false WHERE active AND version <> \(version)")
        let r = try conn.query("UPDATE classifier_models SET active = true, activated_at = now() WHERE version = \(version)")
        guard r.affectedRows == 1 else { throw TextAnalysisError.modelNotFound("classifier_models version \(version)") }
    }

    /// Every stored model, newest first.
    public static func list(_ conn: PGConnection) throws -> [Entry] {
        try conn.query("SELECT version, active, created_at, activated_at, metrics::text AS metrics FROM classifier_models ORDER BY created_at DESC, version")
            .rows.map { Entry(version: $0.string("version"), active: $0.bool("active"), createdAt: $0.date("created_at"),
                              activatedAt: $0.date("activated_at"), metricsJSON: $0.string("metrics")) }
    }
}
