import Contracts
import Foundation

/// What intake learns about a new appeal before it is stored: classification, routing,
/// monitoring flags, PII-free text, duplicate group. Implemented with TextAnalysis and the local directory copy.
protocol AppealEnricher: Sendable {
    /// `categoryHint`: a category code chosen by the citizen (e.g. an Open311 service_code).
    func enrich(_ appeal: AppealV1.Appeal, categoryHint: String) async -> Enrichment
    /// A whole intake batch, one result per appeal in the same order.
    func enrich(batch: [EnrichmentRequest]) async -> [Enrichment]
}

extension AppealEnricher {
    /// One by one (enrichers without a batch path).
    func enrich(batch: [EnrichmentRequest]) async -> [Enrichment] {
        var out: [Enrichment] = []
        for r in batch { out.append(await enrich(r.appeal, categoryHint: r.categoryHint)) }
        return out
    }
}

/// One appeal to enrich and the category the citizen chose, if any.
struct EnrichmentRequest: Sendable {
    var appeal: AppealV1.Appeal
    var categoryHint: String
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
    /// The full-text search lexemes of `redactedText` (nil: PostgreSQL computes them when it is stored).
    var searchLexemes: [String]?
    var monitoringFlags: [String] = []
    /// A problem group decided by the enricher itself ("" = none; see `grouping`).
    var problemGroupID = ""
    /// What the shared `ProblemGrouper` needs to group the appeal when it is stored (nil = not grouped there).
    var grouping: GroupingInput?
    var notes: [String] = []
}
