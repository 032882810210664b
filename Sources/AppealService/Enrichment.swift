import Contracts
import Foundation

/// What intake learns about a new appeal before it is stored: classification, routing,
/// monitoring flags, PII-free text, duplicate group. Implemented with TextAnalysis + AgencyService.
protocol AppealEnricher: Sendable {
    /// `categoryHint`: a category code chosen by the citizen (e.g. an Open311 service_code).
    func enrich(_ appeal: AppealV1.Appeal, categoryHint: String) async -> Enrichment
}

struct Enrichment: Sendable {
    var topicCode = ""
    var categoryCode = ""
    var confidence = 0.0
    /// Version of the classifier model that produced topic and category ("" when none did).
    var classifierVersion = ""
    /// Confidence below the routing threshold: left for the operators' triage queue, not auto-routed.
    var needsTriage = false
    var agencyID = ""
    var municipalityOktmo = ""
    var redactedText = ""
    var monitoringFlags: [String] = []
    var problemGroupID = ""
    var notes: [String] = []
}
