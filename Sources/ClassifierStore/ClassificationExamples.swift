import Foundation
import Taxonomy
import TextAnalysis
import VecheRuntime

/// Operators' corrections stored as labelled examples (`appeal.classification_examples`), the latest
/// correction per appeal. AppealService writes them; `veche-tool classifier-train` reads them.
public enum ClassificationExamples {
    /// One corrected appeal: the text the classifier saw, the operator's labels and what the model had said.
    public struct Example: Sendable, Equatable {
        public var appealID: String
        public var text: String
        /// Intake channel name of the appeal (a classifier feature).
        public var channel: String
        /// The channel's rubric the citizen chose, as the appeal received it (`IncomingAppeal.topic_hint`; "" when
        /// none): a classifier feature unless it is a taxonomy category code (`labeled` applies `Taxonomy.rubric(topicHint:)`).
        public var rubric: String
        public var topicCode: String
        public var categoryCode: String
        public var predictedTopic: String
        public var predictedCategory: String
        public var predictedConfidence: Double
        public var modelVersion: String
        public var actor: String
        public var correctedAt: Date

        public init(appealID: String, text: String, channel: String, rubric: String = "", topicCode: String, categoryCode: String,
                    predictedTopic: String, predictedCategory: String, predictedConfidence: Double, modelVersion: String, actor: String,
                    correctedAt: Date) {
            self.appealID = appealID
            self.text = text
            self.channel = channel
            self.rubric = rubric
            self.topicCode = topicCode
            self.categoryCode = categoryCode
            self.predictedTopic = predictedTopic
            self.predictedCategory = predictedCategory
            self.predictedConfidence = predictedConfidence
            self.modelVersion = modelVersion
            self.actor = actor
            self.correctedAt = correctedAt
        }

        /// The example as a training row (`LabeledAppeal.Source.correction`).
        public var labeled: LabeledAppeal { LabeledAppeal(correctionOf: appealID, text: text, channel: channel, rubric: Taxonomy.rubric(topicHint: rubric),
                                                    categoryCode: categoryCode) }
    }

    /// Inserts or replaces the example of `e.appealID`; the first model prediction is kept.
    public static func record(_ conn: PGConnection, _ e: Example) throws {
        try conn.query("""
            INSERT INTO classification_examples (appeal_id, text, channel, rubric, topic_code, category_code, predicted_topic,
                                                 predicted_category, predicted_confidence, model_version, actor, corrected_at)
            VALUES (\(e.appealID)::uuid, \(e.text), \(e.channel), \(e.rubric), \(e.topicCode), \(e.categoryCode), \(e.predictedTopic),
                    \(e.predictedCategory), \(e.predictedConfidence), \(e.modelVersion), \(e.actor), \(e.correctedAt))
            ON CONFLICT (appeal_id) DO UPDATE SET text = EXCLUDED.text, topic_code = EXCLUDED.topic_code,
                category_code = EXCLUDED.category_code, actor = EXCLUDED.actor, corrected_at = EXCLUDED.corrected_at
            """)
    }

    /// Drops the example of `appealID` (its latest correction labels no category).
    public static func remove(_ conn: PGConnection, appealID: String) throws {
        try conn.query("DELETE FROM classification_examples WHERE appeal_id = \(appealID)::uuid")
    }

    /// All examples, oldest correction first.
    public static func all(_ conn: PGConnection) throws -> [Example] {
        try conn.query("""
            SELECT appeal_id::text AS appeal_id, text, channel, rubric, topic_code, category_code, predicted_topic, predicted_category,
                   predicted_confidence, model_version, actor, corrected_at
            FROM classification_examples ORDER BY corrected_at, appeal_id
            """).rows.map { r in
            Example(appealID: r.string("appeal_id"), text: r.string("text"), channel: r.string("channel"), rubric: r.string("rubric"), topicCode: r.string("topic_code"),
                    categoryCode: r.string("category_code"), predictedTopic: r.string("predicted_topic"),
                    predictedCategory: r.string("predicted_category"), predictedConfidence: r.double("predicted_confidence"),
                    modelVersion: r.string("model_version"), actor: r.string("actor"), correctedAt: r.date("corrected_at") ?? Date())
        }
    }
}
