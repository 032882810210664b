import Contracts
import Foundation
import Taxonomy

/// What intake learns about a new appeal before it is stored: classification, routing,
/// monitoring flags, PII-free text, duplicate group. Implemented with TextAnalysis and the local directory copy.
protocol AppealEnricher: Sendable {
    /// `categoryHint`: the channel's own rubric (`IncomingAppeal.topic_hint`): a taxonomy category code is the citizen's
    /// choice (e.g. an Open311 service_code) and wins over the model; any other rubric is one of the model's features.
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

/// One appeal to enrich and the channel's rubric the citizen chose, if any (`IncomingAppeal.topic_hint`).
struct EnrichmentRequest: Sendable {
    var appeal: AppealV1.Appeal
    var categoryHint: String

    /// The rubric as a classifier feature: none when it names a taxonomy category (that choice is taken as it is).
    var classifierRubric: String { Taxonomy.rubric(topicHint: categoryHint) }
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
