import Foundation

/// One linear scoring head (a class per label) stored sparsely: for each feature the (class, weight)
/// pairs with |weight| above the training's prune threshold. Softmax of scores / temperature gives
/// calibrated probabilities (temperature fitted on held-out data).
public struct ClassifierHead: Codable, Sendable {
    public var labels: [String]
    public var bias: [Float]
    public var temperature: Float
    /// CSR over features: entries of feature f are `rowStart[f] ..< rowStart[f+1]`.
    var rowStart: PackedArray<Int32>
    var classIndex: PackedArray<UInt8>
    var weight: QuantizedFloats

    /// Builds a head from dense per-class weights, keeping |w| ≥ `prune`.
    init(labels: [String], weights: [[Float]], bias: [Float], features: Int, prune: Float) {
        var rs: [Int32] = [0], ci: [UInt8] = [], w: [Float] = []
        for f in 0..<features {
            for c in weights.indices where abs(weights[c][f]) >= prune {
                ci.append(UInt8(c))
                w.append(weights[c][f])
            }
            rs.append(Int32(w.count))
        }
        self.labels = labels
        self.bias = bias
        temperature = 1
        rowStart = PackedArray(rs)
        classIndex = PackedArray(ci)
        weight = QuantizedFloats(w)
    }

    /// Features that carry at least one weight.
    func usedFeatures() -> [Bool] {
        let rs = rowStart.values
        return (0..<(rs.count - 1)).map { rs[$0 + 1] > rs[$0] }
    }

    /// The head over the features `keep` (sorted global indices) only.
    func restricted(to keep: [Int]) -> ClassifierHead {
        var out = self
        let rs = rowStart.values, ci = classIndex.values, w = weight.values
        var nrs: [Int32] = [0], nci: [UInt8] = [], nw: [Float] = []
        for f in keep {
            for e in Int(rs[f])..<Int(rs[f + 1]) { nci.append(ci[e]); nw.append(w[e]) }
            nrs.append(Int32(nw.count))
        }
        out.rowStart = PackedArray(nrs)
        out.classIndex = PackedArray(nci)
        out.weight = QuantizedFloats(nw)
        return out
    }

    func validate(features: Int) throws {
        let rs = rowStart.values
        guard rs.count == features + 1, classIndex.values.count == weight.count, Int(rs.last ?? -1) == weight.count,
              bias.count == labels.count, labels.count <= 256, classIndex.values.allSatisfy({ Int($0) < labels.count }),
              temperature > 0 else {
            throw TextAnalysisError.modelCorrupt("head layout")
        }
    }
}

/// A `ClassifierHead` expanded for fast scoring.
struct HeadScorer: Sendable {
    let labels: [String]
    let bias: [Float]
    let temperature: Float
    let rowStart: [Int32]
    let classIndex: [UInt8]
    let weight: [Float]

    init(_ h: ClassifierHead) {
        labels = h.labels
        bias = h.bias
        temperature = h.temperature
        rowStart = h.rowStart.values
        classIndex = h.classIndex.values
        weight = h.weight.values
    }

    /// bias + Σ over the active features in ascending order (the summation order is part of the model's
    /// output: keep it). Bounds are checked once by `validate`, so the loop reads through raw pointers.
    func scores(_ x: SparseVector) -> [Float] {
        var z = bias
        rowStart.withUnsafeBufferPointer { rs in
            classIndex.withUnsafeBufferPointer { ci in
                weight.withUnsafeBufferPointer { w in
                    z.withUnsafeMutableBufferPointer { zp in
                        x.indices.withUnsafeBufferPointer { xi in
                            x.values.withUnsafeBufferPointer { xv in
                                guard let rsp = rs.baseAddress, let cip = ci.baseAddress, let wp = w.baseAddress, let zb = zp.baseAddress else { return }
                                for k in 0..<xi.count {
                                    let f = Int(xi[k]), v = xv[k]
                                    var e = Int(rsp[f])
                                    let end = Int(rsp[f + 1])
                                    while e < end {
                                        zb[Int(cip[e])] += wp[e] * v
                                        e += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return z
    }

    func probabilities(_ x: SparseVector) -> [Double] { softmax(scores(x), temperature: temperature) }
}
