import ClassifierStore
import Contracts
import Foundation
import TextAnalysis
import VecheRuntime

/// What an operator's reclassification (`ReclassifyAppeal`) does besides changing topic and category:
/// the appeal is marked as classified by a person and leaves triage, and the correction is kept as a
/// labelled example for retraining (`classification_examples`, the latest per appeal).
enum ClassificationCorrection {
    /// `current` with the operator's labels: confidence 1, classifier version "operator", out of triage.
    static func corrected(_ current: AppealV1.Appeal, topic: String, category: String) -> AppealV1.Appeal {
        var next = current
        next.topicCode = topic
        next.categoryCode = category
        next.classificationConfidence = 1
        next.classifierVersion = AppealClassifier.operatorVersion
        next.needsTriage = false
        return next
    }

    /// Keeps the correction of `current` (what the model had said) as a training example. A topic-only
    /// correction labels no category, so it cannot train the classifier: it replaces an earlier example of
    /// the appeal by none rather than leave a label the operator has since overruled.
    static func recordExample(_ conn: PGConnection, current: AppealV1.Appeal, topic: String, category: String,
                              actor: String, at now: Date) throws {
        guard !category.isEmpty else {
            try ClassificationExamples.remove(conn, appealID: current.id)
            return
        }
        let body = current.redactedText.isEmpty ? current.text : current.redactedText
        try ClassificationExamples.record(conn, .init(
            appealID: current.id, text: AppealClassifier.inputText(title: current.title, body: body), channel: current.channel.name,
            rubric: current.topicHint, topicCode: topic, categoryCode: category, predictedTopic: current.topicCode,
            predictedCategory: current.categoryCode, predictedConfidence: current.classificationConfidence,
            modelVersion: current.classifierVersion, actor: actor, correctedAt: now))
    }
}
