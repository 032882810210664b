extension LinearHead {
    /// Number of features the head has rows for.
    public var featureCount: Int { max(0, rowStart.count - 1) }
    /// Number of stored (non-pruned) weights.
    public var storedWeightCount: Int { weight.count }

    /// True when the CSR layout is consistent with `features` features.
    public func isWellFormed(features: Int) -> Bool {
        rowStart.count == features + 1 && classIndex.count == weight.count && Int(rowStart.last ?? -1) == weight.count
            && bias.count == labels.count && classIndex.allSatisfy { Int($0) < labels.count }
    }
}

extension LinearHead {
    /// Drops features that have no stored weight. Returns the smaller head and, for each of its
    /// features, the index it had before (so callers can shrink their vocabulary and idf alike).
    public func droppingUnusedFeatures() -> (head: LinearHead, kept: [Int]) {
        let kept = (0..<featureCount).filter { rowStart[$0 + 1] > rowStart[$0] }
        var out = self
        out.rowStart = [0]
        out.classIndex = []
        out.weight = []
        for f in kept {
            let entries = Int(rowStart[f])..<Int(rowStart[f + 1])
            out.classIndex += classIndex[entries]
            out.weight += weight[entries]
            out.rowStart.append(Int32(out.weight.count))
        }
        return (out, kept)
    }
}
