import Foundation

// Multinomial logistic regression over a string vocabulary: the building blocks of the tone model
// (MediaMonitoring). The appeal classifier uses `ClassifierHead` over hashed feature blocks instead.

/// A sparse L2-normalised TF-IDF vector (feature indices ascending).
public struct SparseVector: Sendable {
    public var indices: [Int32]
    public var values: [Float]
    public init(indices: [Int32], values: [Float]) { self.indices = indices; self.values = values }
}

/// Softmax head stored sparsely: for each feature the non-zero (class, weight) pairs.
public struct LinearHead: Codable, Sendable {
    public var labels: [String]
    public var bias: [Float]
    /// Temperature used to calibrate the softmax (fitted on held-out data).
    public var temperature: Float
    /// CSR layout over features: entries of feature f are `rowStart[f] ..< rowStart[f+1]`.
    var rowStart: [Int32]
    var classIndex: [UInt16]
    var weight: [Float]

    /// Raw class scores (bias + weights · x), before the temperature-scaled softmax.
    public func scores(_ x: SparseVector) -> [Float] {
        var z = bias
        for (k, f) in x.indices.enumerated() {
            let fi = Int(f)
            guard fi + 1 < rowStart.count else { continue }
            let v = x.values[k]
            for e in Int(rowStart[fi])..<Int(rowStart[fi + 1]) { z[Int(classIndex[e])] += weight[e] * v }
        }
        return z
    }

    public func probabilities(_ x: SparseVector, temperature t: Float? = nil) -> [Double] {
        softmax(scores(x), temperature: t ?? temperature)
    }
}

/// Numerically stable softmax of `z / temperature`.
public func softmax(_ z: [Float], temperature: Float) -> [Double] {
    let t = Double(max(temperature, 1e-3))
    let m = Double(z.max() ?? 0)
    var e = z.map { exp((Double($0) - m) / t) }
    let s = e.reduce(0, +)
    if s > 0 { for i in e.indices { e[i] /= s } }
    return e
}

/// Sublinear TF-IDF (1 + log tf) · idf over a fixed vocabulary, L2-normalised.
public enum Vectorizer {
    public static func vectorize(terms: [String], vocab: [String: Int32], idf: [Float]) -> SparseVector {
        var tf: [Int32: Float] = [:]
        for t in terms { if let i = vocab[t] { tf[i, default: 0] += 1 } }
        var idx = Array(tf.keys).sorted()
        var vals = idx.map { i -> Float in (1 + log(tf[i] ?? 1)) * idf[Int(i)] }
        let norm = sqrt(vals.reduce(0) { $0 + $1 * $1 })
        if norm > 0 { vals = vals.map { $0 / norm } } else { idx = []; vals = [] }
        return SparseVector(indices: idx, values: vals)
    }
}

/// Multinomial logistic regression trained by SGD with L2 via a global weight scale
/// (W_eff = scale · W), so regularisation costs O(1) per step.
public struct SoftmaxSGD {
    public let features: Int, classes: Int, l2: Float
    var w: [Float]
    var b: [Float]
    var scale: Float = 1

    public init(features: Int, classes: Int, l2: Float) {
        self.features = features; self.classes = classes; self.l2 = l2
        w = [Float](repeating: 0, count: features * classes)
        b = [Float](repeating: 0, count: classes)
    }

    /// One weighted SGD step on (x, label); returns the weighted log-loss before the step.
    public mutating func step(_ x: SparseVector, label: Int, weight: Float, lr: Float) -> Double {
        var z = b
        for (k, f) in x.indices.enumerated() {
            let base = Int(f) * classes, v = x.values[k] * scale
            for c in 0..<classes { z[c] += w[base + c] * v }
        }
        let p = softmax(z, temperature: 1)
        let loss = -log(max(p[label], 1e-12))
        scale *= (1 - lr * l2)
        if scale < 1e-4 {
            for i in w.indices { w[i] *= scale }
            scale = 1
        }
        let step = lr * weight
        for c in 0..<classes {
            let g = Float(p[c]) - (c == label ? 1 : 0)
            if abs(g) < 1e-6 { continue }
            let gs = step * g / scale
            for (k, f) in x.indices.enumerated() { w[Int(f) * classes + c] -= gs * x.values[k] }
            b[c] -= step * g * 0.1
        }
        return loss * Double(weight)
    }

    /// The trained weights as a sparse head; |w| < `prune` dropped, values rounded to 3 decimals.
    public func head(labels: [String], prune: Float) -> LinearHead {
        var rs: [Int32] = [0], ci: [UInt16] = [], ws: [Float] = []
        for f in 0..<features {
            for c in 0..<classes {
                let v = w[f * classes + c] * scale
                if abs(v) >= prune { ci.append(UInt16(c)); ws.append((v * 1000).rounded() / 1000) }
            }
            rs.append(Int32(ws.count))
        }
        return LinearHead(labels: labels, bias: b.map { ($0 * 1000).rounded() / 1000 }, temperature: 1,
                          rowStart: rs, classIndex: ci, weight: ws)
    }
}
