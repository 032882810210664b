import Contracts
import Foundation

/// Routing decided from a local directory copy, with the rule AgencyService's `Route` applies: the most specific
/// rule wins — topic+category+territory (3) > topic+category (2) > topic+territory (1) > topic (0); territory rules
/// match the municipality or any ancestor (the nearer territory wins), then higher `priority`, then the rule id;
/// only rules of active agencies count. A municipality unknown to the directory routes region-wide.
extension DirectorySnapshot {
    /// The chosen rule and its agency.
    public struct Route: Sendable, Equatable {
        public var rule: AgencyV1.RoutingRule
        public var agencyID: String
        public var specificity: Int
    }

    /// The territory chain of `oktmo`, nearest first ([settlement, district, …]); an OKTMO not in the directory
    /// falls back by code structure (`RRMMMSSSPPP`: its settlement `RRMMMSSS`, then its formation `RRMMM000`).
    public func territoryChain(_ oktmo: String) -> [String] {
        var candidates = [oktmo]
        if oktmo.count == 11 { candidates.append(String(oktmo.prefix(8))) }
        if oktmo.count >= 8 { candidates.append(String(oktmo.prefix(5)) + "000") }
        let parents = Dictionary(municipalities.map { ($0.oktmo, $0.parentOktmo) }, uniquingKeysWith: { a, _ in a })
        guard var current = candidates.first(where: { parents[$0] != nil }) else { return [] }
        var chain = [current]
        while chain.count <= 10, let parent = parents[current], !parent.isEmpty, parents[parent] != nil, !chain.contains(parent) {
            chain.append(parent)
            current = parent
        }
        return chain
    }

    /// The agency an appeal of `topic`/`category` in `oktmo` goes to, or nil when no rule matches.
    public func route(topic: String, category: String, oktmo: String) -> Route? {
        guard !topic.isEmpty else { return nil }
        let chain = oktmo.isEmpty ? [] : territoryChain(oktmo)
        let active = Set(agencies.filter(\.active).map(\.id))
        var best: (route: Route, depth: Int)?
        for r in routingRules where r.topicCode == topic && active.contains(r.agencyId) {
            guard r.categoryCode.isEmpty || r.categoryCode == category else { continue }
            var depth = 0
            if !r.municipalityOktmo.isEmpty {
                guard let at = chain.firstIndex(of: r.municipalityOktmo) else { continue }
                depth = at + 1   // array_position is 1-based; region-wide rules have 0
            }
            let candidate = Route(rule: r, agencyID: r.agencyId,
                                  specificity: (r.categoryCode.isEmpty ? 0 : 2) + (r.municipalityOktmo.isEmpty ? 0 : 1))
            guard let b = best else { best = (candidate, depth); continue }
            let better = candidate.specificity != b.route.specificity ? candidate.specificity > b.route.specificity
                : depth != b.depth ? depth < b.depth
                : r.priority != b.route.rule.priority ? r.priority > b.route.rule.priority
                : r.id < b.route.rule.id
            if better { best = (candidate, depth) }
        }
        return best?.route
    }
}
