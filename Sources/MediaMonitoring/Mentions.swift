import TextAnalysis

/// What kind of directory body an entity is.
public enum EntityKind: String, Sendable, Hashable, Codable, CaseIterable {
    case governor, government, region, agency, municipality
}

/// A body the media officer monitors, with every name it goes by.
public struct MonitoredEntity: Sendable, Hashable, Codable {
    /// Directory id (agency id, OKTMO, `governor`, …).
    public var id: String
    public var kind: EntityKind
    /// Display name (nominative).
    public var name: String
    /// Names and aliases in dictionary form; see `NamePattern` for how each is inflected.
    public var aliases: [String]

    public init(id: String, kind: EntityKind, name: String, aliases: [String]) {
        self.id = id
        self.kind = kind
        self.name = name
        self.aliases = aliases
    }
}

/// One mention found in a post.
public struct Mention: Sendable, Hashable, Codable {
    public var entityID: String
    public var kind: EntityKind
    /// The text as written in the post.
    public var text: String
    /// Offset / length in Unicode scalars of the post (PostgreSQL `substr`, Python indexing).
    public var offset: Int
    public var length: Int
    /// The alias (dictionary form) that matched.
    public var alias: String
}

/// How an alias is matched: words up to and including the head noun inflect (adjectives agree with it),
/// words after the head — the genitive complement — are fixed. Names that begin with a settlement
/// type («город Курск», «поселок …») and quoted brand names inflect throughout («городе Курске»).
public struct NamePattern: Sendable, Hashable {
    public let words: [InflectedWord]
    public let alias: String

    public init(_ alias: String) {
        self.alias = alias
        let tokens = Tokenizer.spans(alias).map(\.text)
        let inflectAll = ["город", "поселок", "посёлок", "село", "деревня", "губернатор", "глава"].contains(tokens.first?.lowercased() ?? "")
        var out: [InflectedWord] = []
        var headSeen = false
        for t in tokens {
            if headSeen && !inflectAll { out.append(InflectedWord(fixed: t)); continue }
            let w = InflectedWord(t)
            out.append(w)
            if !w.isAdjective { headSeen = true }
        }
        words = out
    }
}

/// Finds mentions of directory entities in free text, with offsets.
///
/// Tokens come from TextAnalysis's `Tokenizer.spans`; each alias is a `NamePattern`. Candidate
/// aliases are looked up by the first word's base, the remaining words must follow (only spaces,
/// quotes, dashes, commas or a dot between them). Overlaps resolve to the longest match, so
/// «Администрация Железногорского района» is the administration, not the district, and «губернатор
/// Курской области» is the governor, not the region. The same alias on two entities yields a mention
/// of each. Stateless after init and `Sendable`: share one detector.
public struct MentionDetector: Sendable {
    struct Entry: Sendable {
        let entity: Int
        let pattern: NamePattern
    }

    public let entities: [MonitoredEntity]
    private let entries: [Entry]
    private let byBase: [String: [Int]]
    private let endingLengths: [Int: Set<String>]

    public init(entities: [MonitoredEntity]) {
        self.entities = entities
        var entries: [Entry] = []
        var seen = Set<String>()
        for (i, e) in entities.enumerated() {
            for a in [e.name] + e.aliases {
                let key = e.id + "\u{1}" + a.lowercased()
                guard seen.insert(key).inserted else { continue }
                let p = NamePattern(a)
                if !p.words.isEmpty { entries.append(Entry(entity: i, pattern: p)) }
            }
        }
        var byBase: [String: [Int]] = [:]
        var endings: [Int: Set<String>] = [:]
        for (k, e) in entries.enumerated() {
            let first = e.pattern.words[0]
            byBase[first.base, default: []].append(k)
            for end in first.endings { endings[end.count, default: []].insert(end) }
        }
        self.entries = entries
        self.byBase = byBase
        endingLengths = endings
    }

    /// Mentions in `text`, ordered by offset; overlapping candidates resolved to the longest.
    public func detect(_ text: String) -> [Mention] {
        let spans = Tokenizer.spans(text)
        guard !spans.isEmpty else { return [] }
        let tokens = spans.map(\.normalized)
        let scalars = Array(text.unicodeScalars)
        var candidates: [(start: Int, end: Int, entry: Int)] = []
        for i in tokens.indices {
            for k in candidateEntries(tokens[i]) {
                let words = entries[k].pattern.words
                guard i + words.count <= tokens.count, words[0].matches(tokens[i]) else { continue }
                var ok = true
                for j in 1..<max(1, words.count) where j < words.count {
                    if !words[j].matches(tokens[i + j]) || !Self.joinable(scalars, spans[i + j - 1], spans[i + j]) { ok = false; break }
                }
                if ok { candidates.append((i, i + words.count - 1, k)) }
            }
        }
        // Longest (in characters) first, then leftmost; keep non-overlapping, plus equal-span duplicates
        // of other entities (the same alias on two bodies).
        candidates.sort { a, b in
            let la = spans[a.end].offset + spans[a.end].length - spans[a.start].offset
            let lb = spans[b.end].offset + spans[b.end].length - spans[b.start].offset
            return la != lb ? la > lb : (a.start != b.start ? a.start < b.start : a.entry < b.entry)
        }
        var taken = [Bool](repeating: false, count: tokens.count)
        var chosen: [(start: Int, end: Int, entry: Int)] = []
        for c in candidates {
            let sameSpan = chosen.contains { $0.start == c.start && $0.end == c.end }
            if sameSpan {
                if !chosen.contains(where: { $0.start == c.start && $0.end == c.end && entries[$0.entry].entity == entries[c.entry].entity }) {
                    chosen.append(c)
                }
                continue
            }
            guard !(c.start...c.end).contains(where: { taken[$0] }) else { continue }
            for t in c.start...c.end { taken[t] = true }
            chosen.append(c)
        }
        return chosen.sorted { ($0.start, $0.entry) < ($1.start, $1.entry) }.map { c in
            let e = entities[entries[c.entry].entity]
            let start = spans[c.start].offset, end = spans[c.end].offset + spans[c.end].length
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[start..<end])
            return Mention(entityID: e.id, kind: e.kind, text: String(s), offset: start, length: end - start,
                           alias: entries[c.entry].pattern.alias)
        }
    }

    private func candidateEntries(_ token: String) -> [Int] {
        var out: [Int] = []
        for (len, ends) in endingLengths where len <= token.count {
            let suffix = String(token.suffix(len))
            guard ends.contains(suffix) else { continue }
            if let ks = byBase[String(token.dropLast(len))] { out += ks }
        }
        return Array(Set(out)).sorted()
    }

    /// Two consecutive tokens belong to one name when at most 4 characters separate them, none of
    /// which ends a sentence or a line.
    static func joinable(_ scalars: [Unicode.Scalar], _ a: TokenSpan, _ b: TokenSpan) -> Bool {
        let gap = scalars[(a.offset + a.length)..<b.offset]
        guard gap.count <= 4 else { return false }
        return !gap.contains { "!?;\n\r".unicodeScalars.contains($0) }
    }
}
