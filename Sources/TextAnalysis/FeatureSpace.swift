import Foundation

/// The terms a model knows, per feature block (sorted term hashes and IDF), and the mapping of a
/// text's term counts to the model's input: per text block sublinear TF-IDF (1 + ln tf) · idf,
/// L2-normalised on its own, blocks concatenated; the channel and rubric blocks are plain indicators (value 1).
public struct FeatureSpace: Codable, Sendable {
    /// One block's vocabulary.
    public struct Block: Codable, Sendable {
        public var kind: FeatureBlock
        var hashes: PackedArray<UInt64>
        var idf: QuantizedFloats
    }

    public var blocks: [Block]

    /// Number of features over all blocks.
    public var count: Int { blocks.reduce(0) { $0 + $1.hashes.values.count } }

    /// Smoothed IDF (scikit-learn `smooth_idf`): ln((1 + n) / (1 + df)) + 1.
    static func idf(documentFrequency df: Int, documents n: Int) -> Float {
        Float(Foundation.log(Double(1 + n) / Double(1 + df))) + 1
    }

    /// Builds the vocabulary from per-document term counts: terms in at least `minDocumentFrequency` documents.
    static func build(documents: [[FeatureBlock: [UInt64: Float]]], blocks kinds: [FeatureBlock], minDocumentFrequency: Int) -> FeatureSpace {
        var out: [Block] = []
        for kind in kinds {
            var df: [UInt64: Int] = [:]
            for d in documents { for h in (d[kind] ?? [:]).keys { df[h, default: 0] += 1 } }
            let kept = df.filter { $0.value >= minDocumentFrequency }.keys.sorted()
            let weights = kind.isIndicator ? kept.map { _ in Float(1) } : kept.map { idf(documentFrequency: df[$0] ?? 0, documents: documents.count) }
            out.append(Block(kind: kind, hashes: PackedArray(kept), idf: QuantizedFloats(weights)))
        }
        return FeatureSpace(blocks: out)
    }

    /// Keeps only the features whose global index is in `keep` (sorted ascending).
    func restricted(to keep: [Int]) -> FeatureSpace {
        var out: [Block] = []
        var offset = 0, k = 0
        for b in blocks {
            let n = b.hashes.values.count
            var hashes: [UInt64] = [], idf: [Float] = []
            let values = b.idf.values
            while k < keep.count, keep[k] < offset + n {
                hashes.append(b.hashes.values[keep[k] - offset])
                idf.append(values[keep[k] - offset])
                k += 1
            }
            out.append(Block(kind: b.kind, hashes: PackedArray(hashes), idf: QuantizedFloats(idf)))
            offset += n
        }
        return FeatureSpace(blocks: out)
    }
}

/// A `FeatureSpace` ready for lookups (hash → global index, IDF expanded).
struct FeatureIndex: Sendable {
    let blocks: [(kind: FeatureBlock, offset: Int32, index: HashIndex64, idf: [Float])]
    /// Number of features over all blocks.
    let featureCount: Int

    init(_ space: FeatureSpace) {
        var out: [(FeatureBlock, Int32, HashIndex64, [Float])] = []
        var offset: Int32 = 0
        for b in space.blocks {
            out.append((b.kind, offset, HashIndex64(b.hashes.values), b.idf.values))
            offset += Int32(b.hashes.values.count)
        }
        blocks = out
        featureCount = Int(offset)
    }

    /// Blocks are laid out in ascending offsets and each block's terms are sorted before the norm is
    /// summed, so the vector (and training) is the same in every process whatever the dictionary order.
    func vector(_ counts: [FeatureBlock: [UInt64: Float]]) -> SparseVector {
        var v = SparseVector(indices: [], values: [])
        for b in blocks {
            guard let terms = counts[b.kind] else { continue }
            let found = terms.compactMap { h, tf in b.index[h].map { ($0, tf) } }.sorted { $0.0 < $1.0 }
            let start = v.values.count
            var norm: Float = 0
            for (j, tf) in found {
                let x = b.kind.isIndicator ? 1 : (1 + Foundation.log(tf)) * b.idf[Int(j)]
                v.indices.append(b.offset + j)
                v.values.append(x)
                norm += x * x
            }
            guard norm > 0, !b.kind.isIndicator else { continue }
            let inv = 1 / norm.squareRoot()
            for k in start..<v.values.count { v.values[k] *= inv }
        }
        return v
    }
}
