/// Per-worker memo of what `FeatureExtractor.terms` makes of one token: dropped (too short, stop word,
/// digits only) or its Snowball stem, kept as scalars and as the FNV state of the stems block after the stem
/// (the unigram's hash, and the prefix of every bigram that starts with it). A miss decides with the
/// String-based rules themselves, so cached and uncached terms are identical; a hit costs one hash of
/// the token's scalars and a comparison. Not thread-safe (owns the extractor's stemmer through `terms`).
final class StemTermCache {
    struct Entry {
        var token: [UInt32]
        /// nil: the token yields no term.
        var stem: [UInt32]?
        var stemHash: UInt64
    }

    private let extractor: FeatureExtractor
    private var entries: [UInt64: Entry] = [:]
    /// Bound on memoised tokens; the memo starts over when it is reached.
    let capacity: Int

    init(extractor: FeatureExtractor, capacity: Int = 200_000) {
        self.extractor = extractor
        self.capacity = capacity
    }

    /// The entry of the token `scalars`.
    func entry(_ scalars: ArraySlice<UInt32>) -> Entry {
        var h = FNV64(seed: 0x544F_4B45_4E00_0004)
        for v in scalars { h.add(v) }
        if let e = entries[h.value], e.token.elementsEqual(scalars) { return e }
        let e = decide(scalars)
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[h.value] = e
        return e
    }

    private func decide(_ scalars: ArraySlice<UInt32>) -> Entry {
        var token = ""
        token.unicodeScalars.append(contentsOf: scalars.compactMap(Unicode.Scalar.init))
        guard let stem = extractor.termStem(token) else { return Entry(token: Array(scalars), stem: nil, stemHash: 0) }
        var h = FNV64(seed: FeatureBlock.stems.seed)
        h.add(stem)
        return Entry(token: Array(scalars), stem: stem.unicodeScalars.map(\.value), stemHash: h.value)
    }
}
