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
    var agencyID = ""
    var municipalityOktmo = ""
    var redactedText = ""
    var monitoringFlags: [String] = []
    var problemGroupID = ""
    var notes: [String] = []
}
