/// Both heads of a `ClassifierModel` in one feature-major table for classification: the entries of a
/// feature (its topic weights, then its category weights, category classes offset by the number of
/// topics) sit side by side as 4-byte (16-bit weight code, class) pairs, so an active feature costs one
/// range lookup and one contiguous read instead of six scattered arrays. A weight is
/// `Float(code) · scale`, the very value `QuantizedFloats.values` gives, and each class still sums its
/// weights in ascending feature order, so the scores equal `HeadScorer`'s bit for bit. Immutable: share
/// it between workers.
struct JointScorer: Sendable {
    struct Entry: Sendable {
        var code: Int16
        var slot: UInt8
    }

    private let bias: [Float]
    private let topicCount: Int
    private let topicTemperature: Float, categoryTemperature: Float
    private let topicScale: Float, categoryScale: Float
    /// Per feature: start of its topic entries, start of its category entries (the next feature's topic start ends them).
    private let rows: [Int32]
    private let entries: [Entry]

    /// The heads must be valid for the same features (`ClassifierModel.validate`).
    init(topic t: ClassifierHead, category c: ClassifierHead) {
        bias = t.bias + c.bias
        topicCount = t.labels.count
        topicTemperature = t.temperature
        categoryTemperature = c.temperature
        topicScale = t.weight.scale
        categoryScale = c.weight.scale
        let trs = t.rowStart.values, tci = t.classIndex.values, tw = t.weight.codes.values
        let crs = c.rowStart.values, cci = c.classIndex.values, cw = c.weight.codes.values
        var rs: [Int32] = [], es: [Entry] = []
        es.reserveCapacity(tw.count + cw.count)
        for f in 0..<(trs.count - 1) {
            rs.append(Int32(es.count))
            for e in Int(trs[f])..<Int(trs[f + 1]) { es.append(Entry(code: tw[e], slot: tci[e])) }
            rs.append(Int32(es.count))
            for e in Int(crs[f])..<Int(crs[f + 1]) { es.append(Entry(code: cw[e], slot: cci[e])) }
        }
        rs.append(Int32(es.count))
        rows = rs
        entries = es
    }

    /// Calibrated probabilities of both heads.
    func probabilities(_ x: SparseVector) -> (topic: [Double], category: [Double]) {
        var z = bias
        let ts = topicScale, cs = categoryScale, nTopics = topicCount
        rows.withUnsafeBufferPointer { rs in
            entries.withUnsafeBufferPointer { es in
                z.withUnsafeMutableBufferPointer { zp in
                    x.indices.withUnsafeBufferPointer { xi in
                        x.values.withUnsafeBufferPointer { xv in
                            guard let rp = rs.baseAddress, let ep = es.baseAddress, let zt = zp.baseAddress else { return }
                            let zc = zt + nTopics
                            for k in 0..<xi.count {
                                let f = 2 * Int(xi[k]), v = xv[k]
                                var e = Int(rp[f])
                                let split = Int(rp[f + 1]), end = Int(rp[f + 2])
                                while e < split {
                                    let entry = ep[e]
                                    zt[Int(entry.slot)] += Float(entry.code) * ts * v
                                    e += 1
                                }
                                while e < end {
                                    let entry = ep[e]
                                    zc[Int(entry.slot)] += Float(entry.code) * cs * v
                                    e += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return (softmax(Array(z[..<topicCount]), temperature: topicTemperature), softmax(Array(z[topicCount...]), temperature: categoryTemperature))
    }
}
