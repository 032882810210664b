import Foundation

/// Text → model input for classification, equal to `index.vector(HashedFeatureExtractor.counts(text,
/// channel:rubric:))` value for value but without the per-text dictionaries and Strings: the text is normalised
/// to scalars once (`NormalizedScalars`), tokens are stemmed through a memo (`StemTermCache`), n-gram and
/// stem hashes are looked up in the model's open-addressing tables (`HashIndex64`) and only terms the
/// model knows are counted, in a dense scratch array. Each block's values are computed over its terms in
/// ascending index order, exactly as `FeatureIndex.vector` does, so every float operation (and hence
/// every prediction) is the same. Not thread-safe (owns a stemmer and scratch space): one per worker.
final class TextVectorizer {
    let index: FeatureIndex
    private let terms: StemTermCache
    private var text: [UInt32] = []
    private var word: [UInt32] = []
    private var stems: [StemTermCache.Entry] = []
    /// Term frequency per global feature index; zero outside the text being vectorised.
    private var tf: [Float]
    private var touched: [Int32] = []

    init(index: FeatureIndex) throws {
        self.index = index
        terms = StemTermCache(extractor: try FeatureExtractor())
        tf = [Float](repeating: 0, count: index.featureCount)
    }

    func vector(_ raw: String, channel: String, rubric: String = "") -> SparseVector {
        NormalizedScalars.normalize(raw, into: &text)
        var v = SparseVector(indices: [], values: [])
        v.indices.reserveCapacity(512)
        v.values.reserveCapacity(512)
        for b in index.blocks {
            touched.removeAll(keepingCapacity: true)
            switch b.kind {
            case .stems: countStems(b.index, offset: b.offset)
            case .charNgrams: countCharNgrams(b.index, offset: b.offset)
            case .channel:
                guard let h = FeatureBlock.channelHash(channel) else { continue }
                count(h, b.index, offset: b.offset)
            case .rubric:
                guard let h = FeatureBlock.rubricHash(channel: channel, rubric: rubric) else { continue }
                count(h, b.index, offset: b.offset)
            }
            touched.sort()
            let start = v.values.count
            var norm: Float = 0
            for g in touched {
                let j = Int(g - b.offset)
                let x = b.kind.isIndicator ? 1 : (1 + Foundation.log(tf[Int(g)])) * b.idf[j]
                tf[Int(g)] = 0
                v.indices.append(g)
                v.values.append(x)
                norm += x * x
            }
            guard norm > 0, !b.kind.isIndicator else { continue }
            let inv = 1 / norm.squareRoot()
            for k in start..<v.values.count { v.values[k] *= inv }
        }
        return v
    }

    @inline(__always) private func count(_ hash: UInt64, _ table: HashIndex64, offset: Int32) {
        let j = table.find(hash)
        guard j >= 0 else { return }
        let g = Int(offset + j)
        if tf[g] == 0 { touched.append(Int32(g)) }
        tf[g] += 1
    }

    /// `FeatureExtractor.terms`: kept stems and adjacent stem bigrams `a_b`.
    private func countStems(_ table: HashIndex64, offset: Int32) {
        stems.removeAll(keepingCapacity: true)
        let n = text.count
        var i = 0
        while i < n {
            // Tokenizer.tokenize: letters/digits, inner hyphens followed by a letter.
            guard Self.isTokenScalar(text[i]) else { i += 1; continue }
            let start = i
            i += 1
            while i < n {
                let s = text[i]
                if Self.isTokenScalar(s) || (s == 0x2D && i + 1 < n && NormalizedScalars.isAlphabetic(text[i + 1])) { i += 1 } else { break }
            }
            let e = terms.entry(text[start..<i])
            if e.stem != nil { stems.append(e) }
        }
        for (k, e) in stems.enumerated() {
            count(e.stemHash, table, offset: offset)
            guard k + 1 < stems.count, let next = stems[k + 1].stem else { continue }
            var h = FNV64(seed: 0)
            h.value = e.stemHash
            h.add(0x5F)
            for s in next { h.add(s) }
            count(h.value, table, offset: offset)
        }
    }

    @inline(__always) private static func isTokenScalar(_ v: UInt32) -> Bool { NormalizedScalars.isAlphabetic(v) || (0x30...0x39).contains(v) }

    /// `HashedFeatureExtractor.charCounts` (scikit-learn `char_wb`, n in 2…5).
    private func countCharNgrams(_ table: HashIndex64, offset: Int32) {
        word.removeAll(keepingCapacity: true)
        word.append(32)
        func flush() {
            guard word.count > 1 else { return }
            word.append(32)
            HashedFeatureExtractor.forEachCharNgram(word) { count($0, table, offset: offset) }
            word.removeAll(keepingCapacity: true)
            word.append(32)
        }
        for v in text {
            if NormalizedScalars.isWhitespace(v) { flush() } else { word.append(v) }
        }
        flush()
    }
}
