import Foundation
import TextAnalysis

/// Classifier settings of AppealService, from the environment.
struct ClassifierSettings: Sendable {
    /// `VECHE_CLASSIFIER_MIN_CONFIDENCE` (0…1): below this calibrated topic probability an appeal goes to the
    /// operators' triage queue instead of being routed automatically. Default: the model's own threshold,
    /// chosen on validation data when it was trained (`ClassifierModel.routingThreshold`).
    var minRoutingConfidence: Double?

    init(minRoutingConfidence: Double?) { self.minRoutingConfidence = minRoutingConfidence }

    init(environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let raw = env["VECHE_CLASSIFIER_MIN_CONFIDENCE"], !raw.isEmpty else { minRoutingConfidence = nil; return }
        guard let v = Double(raw), (0...1).contains(v) else {
            throw SettingError(message: "VECHE_CLASSIFIER_MIN_CONFIDENCE must be a number in 0…1, got \(raw)")
        }
        minRoutingConfidence = v
    }

    func threshold(for model: ClassifierModel) -> Double { minRoutingConfidence ?? model.routingThreshold }
}

/// A setting in the environment that cannot be used; the service refuses to start with it.
struct SettingError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
