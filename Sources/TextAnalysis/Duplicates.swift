import Foundation

/// An appeal as seen by the duplicate index (any channel).
public struct DuplicateCandidate: Sendable {
    public var id: String
    public var text: String
    public var topicCode: String?
    public var categoryCode: String?
    public var latitude: Double?
    public var longitude: Double?
    public var date: Date

    public init(id: String, text: String, topicCode: String? = nil, categoryCode: String? = nil,
                latitude: Double? = nil, longitude: Double? = nil, date: Date) {
        self.id = id; self.text = text; self.topicCode = topicCode; self.categoryCode = categoryCode
        self.latitude = latitude; self.longitude = longitude; self.date = date
    }
}

/// Thresholds of `DuplicateIndex`: geo radius, time window, text similarities and MinHash-LSH parameters.
public struct DuplicateIndexOptions: Sendable {
    /// Max distance between two geo-located appeals of the same problem.
    public var radiusMeters: Double = 50
    /// Max time between an appeal and the earlier appeal it duplicates.
    public var timeWindow: TimeInterval = 7 * 86_400
    /// Min stem-Jaccard similarity when both are geo-close and have the same category.
    public var sameCategoryGeoSimilarity: Double = 0.05
    /// Min similarity when geo-close and same topic but different/unknown category.
    public var sameTopicGeoSimilarity: Double = 0.35
    /// Min similarity when at least one side has no coordinates (text-only match).
    public var textOnlySimilarity: Double = 0.6
    /// MinHash size and LSH bands (rows per band = hashes / bands) for text-only candidates.
    public var minHashSize = 24
    public var lshBands = 8
    /// Most recent members kept per LSH bucket and per geo cell: the candidates of one appeal are at most
    /// `(lshBands + 3 × (2·dLon + 1)) × maxBucketMembers`, however large a campaign or the index grows.
    public var maxBucketMembers = 64
    public init() {}
}

/// What the index compares of one text: its stem-hash set and its MinHash-LSH band keys. Computed by a
/// `DuplicateFeaturizer`, off the index's lock (one featurizer per thread).
public struct DuplicateFeatures: Sendable, Equatable {
    public let terms: Set<UInt64>
    public let bandKeys: [UInt64]

    public init(terms: Set<UInt64>, bandKeys: [UInt64]) {
        self.terms = terms
        self.bandKeys = bandKeys
    }
}

/// Turns texts into `DuplicateFeatures` (stems, hashes, MinHash signature). Not thread-safe (owns a stemmer);
/// featurizers built with equal options produce equal features.
public final class DuplicateFeaturizer {
    public let options: DuplicateIndexOptions
    private let stemmer: RussianStemmer
    private let seeds: [UInt64]

    public init(options: DuplicateIndexOptions = DuplicateIndexOptions()) throws {
        self.options = options
        stemmer = try RussianStemmer()
        var rng = SplitMix64(seed: 0xD0_D0)
        seeds = (0..<max(1, options.minHashSize)).map { _ in rng.next() }
    }

    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func mix(_ x: UInt64, _ seed: UInt64) -> UInt64 {
        var z = x ^ seed
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }

    public func features(_ text: String) -> DuplicateFeatures { features(tokens: Tokenizer.normalizedTokens(text)) }

    /// From the text's `Tokenizer.normalizedTokens` (shared with the monitoring detector at intake).
    public func features(tokens: [String]) -> DuplicateFeatures {
        var terms = Set<UInt64>()
        for t in tokens where t.count > 1 && !RussianStopWords.contains(t) {
            terms.insert(Self.fnv(stemmer.stem(t)))
        }
        return DuplicateFeatures(terms: terms, bandKeys: bandKeys(terms))
    }

    private func bandKeys(_ terms: Set<UInt64>) -> [UInt64] {
        guard !terms.isEmpty else { return [] }
        let sig = seeds.map { s in terms.reduce(UInt64.max) { min($0, Self.mix($1, s)) } }
        let bands = max(1, min(options.lshBands, sig.count))
        let rows = sig.count / bands
        return (0..<bands).map { b in
            var h = UInt64(b) &* 0x9E37_79B9_7F4A_7C15
            for r in 0..<rows { h = Self.mix(h ^ sig[b * rows + r], 0x1234_5678) }
            return h
        }
    }
}

/// Outcome of `DuplicateIndex.add`.
public struct DuplicateDecision: Sendable, Equatable {
    public let groupId: Int
    /// True when the appeal started a new group.
    public let isNewGroup: Bool
    /// Id of the earlier appeal it was matched to.
    public let matchedId: String?
    public let similarity: Double
}

/// Incremental duplicate grouping: `add` an appeal, get the id of the group of earlier appeals that
/// describe the same problem (same topic, within `radiusMeters` and `timeWindow`, similar text) or
/// of a new group. Candidates come from a geo grid (when coordinates are known) and MinHash-LSH
/// buckets over stem sets (text-only matching), so each `add` touches only nearby items.
/// Each `add` compares at most a bounded number of candidates (`maxBucketMembers`).
/// Not thread-safe (owns a stemmer and mutable state): use from one task, or wrap in an actor.
public final class DuplicateIndex {
    /// The live items, by index minus `base`, one array per field: `add` reads a candidate's date, place, topic and
    /// sorted stem hashes without hashing its index or copying (and reference-counting) a whole record; a dropped
    /// item is nil in `ids`. Topic and category codes are interned (`code`), −1 for none.
    private struct Items {
        var ids: [String?] = []
        var groups: [Int] = []
        var dates: [Date] = []
        var lats: [Double?] = [], lons: [Double?] = []
        var topics: [Int32] = [], categories: [Int32] = []
        var terms: [[UInt64]] = []
        var base: Int32 = 0
        var live = 0

        func slot(_ idx: Int32) -> Int? {
            let i = Int(idx - base)
            return i >= 0 && i < ids.count && ids[i] != nil ? i : nil
        }
    }

    public let options: DuplicateIndexOptions
    private let featurizer: DuplicateFeaturizer
    /// Live items; items older than `timeWindow` before the latest appeal are dropped (`compact`).
    private var items = Items()
    private var codes: [String: Int32] = [:]
    private var nextIndex: Int32 = 0
    private var latest = Date.distantPast
    private var addsSinceCompaction = 0
    private var grid: [Int64: [Int32]] = [:]
    private var buckets: [UInt64: [Int32]] = [:]
    private var nextGroup = 0
    private let cellDeg: Double
    /// Similarity checks made so far (the cost measure of `add`: bounded per appeal by `maxBucketMembers`).
    public private(set) var comparisons = 0

    public init(options: DuplicateIndexOptions = DuplicateIndexOptions()) throws {
        self.options = options
        featurizer = try DuplicateFeaturizer(options: options)
        cellDeg = max(options.radiusMeters, 10) / 111_320
    }

    public var count: Int { items.live }

    private func cellKey(_ a: Int64, _ b: Int64) -> Int64 { (a &* 1_000_003) ^ b }

    private func remember(_ idx: Int32, in list: inout [Int32]) {
        list.append(idx)
        if list.count > options.maxBucketMembers { list.removeFirst(list.count - options.maxBucketMembers) }
    }

    /// The interned number of a topic or category code (−1: none).
    private func code(_ s: String?) -> Int32 {
        guard let s else { return -1 }
        if let known = codes[s] { return known }
        let n = Int32(codes.count)
        codes[s] = n
        return n
    }

    /// Drops items no later appeal can match (older than `timeWindow` before the latest one) and the bucket
    /// entries pointing at them, so memory follows the time window, not the whole history.
    private func compact() {
        addsSinceCompaction = 0
        let cutoff = latest.addingTimeInterval(-options.timeWindow)
        var dropped = 0
        for i in items.ids.indices where items.ids[i] != nil && items.dates[i] < cutoff {
            items.ids[i] = nil
            items.terms[i] = []
            dropped += 1
        }
        guard dropped > 0 else { return }
        items.live -= dropped
        // The leading run of dropped items goes (items arrive mostly in time order, so most of them).
        let lead = items.ids.firstIndex { $0 != nil } ?? items.ids.count
        if lead > 0 {
            items.ids.removeFirst(lead); items.groups.removeFirst(lead); items.dates.removeFirst(lead)
            items.lats.removeFirst(lead); items.lons.removeFirst(lead); items.topics.removeFirst(lead)
            items.categories.removeFirst(lead); items.terms.removeFirst(lead)
            items.base += Int32(lead)
        }
        func prune<K: Hashable>(_ map: inout [K: [Int32]]) {
            map = map.compactMapValues { list in
                let kept = list.filter { items.slot($0) != nil }
                return kept.isEmpty ? nil : kept
            }
        }
        prune(&grid)
        prune(&buckets)
    }

    /// Jaccard similarity of two ascending arrays of distinct values (one merge pass, no hashing).
    static func jaccardSorted(_ a: [UInt64], _ b: [UInt64]) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        var i = 0, j = 0, inter = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { inter += 1; i += 1; j += 1 }
        }
        return Double(inter) / Double(a.count + b.count - inter)
    }

    /// Great-circle distance in metres.
    public static func distance(lat1: Double, lon1: Double, lat2: Double, lon2: Double) -> Double {
        let r = 6_371_000.0, p = Double.pi / 180
        let dLat = (lat2 - lat1) * p, dLon = (lon2 - lon1) * p
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * p) * cos(lat2 * p) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * r * asin(min(1, sqrt(a)))
    }

    /// Adds an appeal and returns its duplicate group. `features`: precomputed by a `DuplicateFeaturizer` with
    /// the same options (nil: computed here).
    @discardableResult
    public func add(_ appeal: DuplicateCandidate, features: DuplicateFeatures? = nil) -> DuplicateDecision {
        let f = features ?? featurizer.features(appeal.text)
        let t = f.terms.sorted()
        let keys = f.bandKeys
        // Candidates from the geo neighbourhood and the LSH buckets, each once, in index order (a sorted array:
        // cheaper than a set for the few hundred a bucket bound allows).
        var candidates: [Int32] = []
        let geoCell = cell(of: appeal)
        if let (a, b) = geoCell, let lat = appeal.latitude {
            let dLon = Int64(min(20, (1 / max(0.05, cos(lat * Double.pi / 180))).rounded(.up)))
            for da in -1...1 { for db in -dLon...dLon { candidates.append(contentsOf: grid[cellKey(a + Int64(da), b + db)] ?? []) } }
        }
        for k in keys { candidates.append(contentsOf: buckets[k] ?? []) }
        candidates.sort()

        let topic = appeal.topicCode.map { codes[$0] ?? -2 } ?? -1   // −2: a code no item has
        let category = appeal.categoryCode.map { codes[$0] ?? -2 } ?? -1
        var best: (slot: Int, score: Double, sim: Double)?
        var previous: Int32 = -1
        for c in candidates {   // in index order: equal scores resolve the same way every time
            guard c != previous else { continue }
            previous = c
            guard let i = items.slot(c) else { continue }
            comparisons += 1
            let dt = appeal.date.timeIntervalSince(items.dates[i])
            guard abs(dt) <= options.timeWindow else { continue }
            if topic != -1, items.topics[i] != -1, topic != items.topics[i] { continue }
            // The distance first: most neighbours from the geo grid are out of the radius, and the text similarity
            // (a set intersection) is the expensive part of a comparison.
            var distance: Double?
            if let lat = appeal.latitude, let lon = appeal.longitude, let olat = items.lats[i], let olon = items.lons[i] {
                let d = Self.distance(lat1: lat, lon1: lon, lat2: olat, lon2: olon)
                guard d <= options.radiusMeters else { continue }
                distance = d
            }
            let sim = Self.jaccardSorted(t, items.terms[i])
            var score: Double
            if let d = distance {
                let sameCat = category != -1 && category == items.categories[i]
                let need = sameCat ? options.sameCategoryGeoSimilarity : options.sameTopicGeoSimilarity
                guard sim >= need else { continue }
                score = sim + (sameCat ? 1 : 0.5) + 0.5 * (1 - d / max(1, options.radiusMeters))
            } else {
                guard sim >= options.textOnlySimilarity else { continue }
                score = sim
            }
            score -= 0.1 * abs(dt) / max(1, options.timeWindow)
            if best == nil || score > (best?.score ?? 0) { best = (i, score, sim) }
        }

        let decision: DuplicateDecision
        if let b = best {
            decision = DuplicateDecision(groupId: items.groups[b.slot], isNewGroup: false, matchedId: items.ids[b.slot], similarity: b.sim)
        } else {
            decision = DuplicateDecision(groupId: reserveGroup(), isNewGroup: true, matchedId: nil, similarity: 0)
        }
        place(appeal, terms: t, bandKeys: keys, group: decision.groupId, geoCell: geoCell)
        return decision
    }

    /// A group number no item has yet (for a group decided elsewhere: see `insert`).
    public func reserveGroup() -> Int {
        defer { nextGroup += 1 }
        return nextGroup
    }

    /// Adds an appeal whose group was decided elsewhere (by another instance, read back from a shared log),
    /// exactly as `add` would have placed it with that decision.
    public func insert(_ appeal: DuplicateCandidate, features: DuplicateFeatures, group: Int) {
        nextGroup = max(nextGroup, group + 1)
        place(appeal, terms: features.terms.sorted(), bandKeys: features.bandKeys, group: group, geoCell: cell(of: appeal))
    }

    /// The geo-grid cell of an appeal with finite coordinates.
    private func cell(of appeal: DuplicateCandidate) -> (Int64, Int64)? {
        guard let lat = appeal.latitude, let lon = appeal.longitude, lat.isFinite, lon.isFinite else { return nil }
        return (Int64((lat / cellDeg).rounded(.down)), Int64((lon / cellDeg).rounded(.down)))
    }

    private func place(_ appeal: DuplicateCandidate, terms: [UInt64], bandKeys: [UInt64], group: Int, geoCell: (Int64, Int64)?) {
        let idx = nextIndex
        nextIndex += 1
        items.ids.append(appeal.id)
        items.groups.append(group)
        items.dates.append(appeal.date)
        items.lats.append(appeal.latitude)
        items.lons.append(appeal.longitude)
        items.topics.append(code(appeal.topicCode))
        items.categories.append(code(appeal.categoryCode))
        items.terms.append(terms)
        items.live += 1
        if let (a, b) = geoCell { remember(idx, in: &grid[cellKey(a, b), default: []]) }
        for k in bandKeys { remember(idx, in: &buckets[k, default: []]) }
        latest = max(latest, appeal.date)
        addsSinceCompaction += 1
        if addsSinceCompaction >= 10_000 { compact() }
    }
}

/// Quick evaluation of `DuplicateIndex` on the St Petersburg data. Reference duplicates: pairs with
/// the same fine-grained `reason`, within `referenceRadius` metres and `referenceWindow` of each other.
/// The index sees the taxonomy category (mapped from reason), coordinates, time and text.
public enum DuplicateEvaluation {
    /// Pairwise precision, recall and F1 of the grouping against the reference pairs, with counts and run time.
    public struct Report: Sendable, CustomStringConvertible {
        public let appeals: Int
        public let groups: Int
        public let referencePairs: Int
        public let predictedPairs: Int
        public let truePairs: Int
        public let seconds: Double
        public var precision: Double { predictedPairs > 0 ? Double(truePairs) / Double(predictedPairs) : 0 }
        public var recall: Double { referencePairs > 0 ? Double(truePairs) / Double(referencePairs) : 0 }
        public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }
        public var description: String {
            String(format: "duplicates on SPb: %d appeals → %d groups in %.1f s; pairwise P=%.3f R=%.3f F1=%.3f (ref pairs %d, predicted pairs %d)",
                   appeals, groups, seconds, precision, recall, f1, referencePairs, predictedPairs)
        }
    }

    static func parseDate(_ s: String) -> Date? {
        // "2020-10-18T14:50:40.817676"
        let parts = s.split(separator: "T")
        guard parts.count == 2 else { return nil }
        let d = parts[0].split(separator: "-").compactMap { Int($0) }
        let t = parts[1].split(separator: ":")
        guard d.count == 3, t.count >= 2, let h = Int(t[0]), let m = Int(t[1]) else { return nil }
        let sec = t.count > 2 ? (Double(t[2]) ?? 0) : 0
        var c = DateComponents()
        c.year = d[0]; c.month = d[1]; c.day = d[2]; c.hour = h; c.minute = m
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 10_800) ?? cal.timeZone
        return cal.date(from: c).map { $0.addingTimeInterval(sec) }
    }

    public static func evaluateSPb(dataDirectory: String, limit: Int? = nil, options: DuplicateIndexOptions = DuplicateIndexOptions(),
                                   referenceRadius: Double = 50, referenceWindow: TimeInterval = 7 * 86_400) throws -> Report {
        var rows = try AppealDatasets.loadSPb(dataDirectory: dataDirectory)
            .compactMap { r -> (LabeledAppeal, Date)? in parseDate(r.created).map { (r, $0) } }
            .sorted { $0.1 < $1.1 }
        if let l = limit { rows = Array(rows.prefix(l)) }
        let start = Date()
        let index = try DuplicateIndex(options: options)
        var groups: [Int] = []
        for (r, d) in rows {
            groups.append(index.add(DuplicateCandidate(id: r.id, text: r.text, topicCode: r.topicCode, categoryCode: r.categoryCode,
                                                       latitude: r.latitude, longitude: r.longitude, date: d)).groupId)
        }
        let seconds = Date().timeIntervalSince(start)
        // Reference pairs via a coarse grid on coordinates.
        var cells: [Int64: [Int]] = [:]
        let cell = 0.001
        for (i, (r, _)) in rows.enumerated() {
            guard let la = r.latitude, let lo = r.longitude else { continue }
            cells[Int64((la / cell).rounded(.down)) &* 1_000_003 ^ Int64((lo / cell).rounded(.down)), default: []].append(i)
        }
        var ref = 0, tp = 0
        for (i, (r, d)) in rows.enumerated() {
            guard let la = r.latitude, let lo = r.longitude else { continue }
            let a = Int64((la / cell).rounded(.down)), b = Int64((lo / cell).rounded(.down))
            for da in -1...1 { for db in -1...1 {
                for j in cells[(a + Int64(da)) &* 1_000_003 ^ (b + Int64(db))] ?? [] where j > i {
                    let (o, od) = rows[j]
                    guard o.rawLabel == r.rawLabel, abs(od.timeIntervalSince(d)) <= referenceWindow,
                          let ola = o.latitude, let olo = o.longitude,
                          DuplicateIndex.distance(lat1: la, lon1: lo, lat2: ola, lon2: olo) <= referenceRadius else { continue }
                    ref += 1
                    if groups[i] == groups[j] { tp += 1 }
                }
            } }
        }
        var sizes: [Int: Int] = [:]
        for g in groups { sizes[g, default: 0] += 1 }
        let predicted = sizes.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }
        return Report(appeals: rows.count, groups: sizes.count, referencePairs: ref, predictedPairs: predicted, truePairs: tp, seconds: seconds)
    }
}
