import Foundation

/// Training rows as sparse vectors in CSR form.
struct SparseMatrix: Sendable {
    var rowStart: [Int] = [0]
    var index: [Int32] = []
    var value: [Float] = []
    var columns: Int

    init(columns: Int) { self.columns = columns }

    var rows: Int { rowStart.count - 1 }

    mutating func append(_ v: SparseVector) {
        index.append(contentsOf: v.indices)
        value.append(contentsOf: v.values)
        rowStart.append(index.count)
    }

    func row(_ i: Int) -> SparseVector {
        SparseVector(indices: Array(index[rowStart[i]..<rowStart[i + 1]]), values: Array(value[rowStart[i]..<rowStart[i + 1]]))
    }
}

/// One-vs-rest linear SVMs (squared hinge loss, L2 regularisation, a regularised bias feature of value 1),
/// solved in the dual by coordinate descent with shrinking — Hsieh et al., "A Dual Coordinate Descent Method
/// for Large-scale Linear SVM" (ICML 2008), the algorithm of LIBLINEAR and scikit-learn's `LinearSVC`.
/// Per-sample weights scale C. Deterministic for a seed.
struct LinearSVMTrainer: Sendable {
    var c: Double = 1
    var tolerance: Double = 1e-4
    var maxIterations = 1000
    var seed: UInt64 = 1

    /// Weights (dense, one array per class) and biases of `classes` binary problems "class k vs the rest".
    func fit(_ x: SparseMatrix, labels: [Int], classes: Int, sampleWeight: [Float]) -> (weights: [[Float]], bias: [Float]) {
        let n = x.rows
        var sqNorm = [Double](repeating: 1, count: n)  // the bias feature contributes 1
        for i in 0..<n {
            for k in x.rowStart[i]..<x.rowStart[i + 1] { sqNorm[i] += Double(x.value[k]) * Double(x.value[k]) }
        }
        var weights: [[Float]] = []
        var biases: [Float] = []
        for cls in 0..<classes {
            let y = labels.map { $0 == cls ? 1.0 : -1.0 }
            let (w, b) = solve(x, y: y, sqNorm: sqNorm, sampleWeight: sampleWeight, seed: seed &+ UInt64(cls))
            weights.append(w.map { Float($0) })
            biases.append(Float(b))
        }
        return (weights, biases)
    }

    /// One binary problem (y ∈ {−1, +1}).
    private func solve(_ x: SparseMatrix, y: [Double], sqNorm: [Double], sampleWeight: [Float], seed: UInt64) -> ([Double], Double) {
        let n = x.rows
        var w = [Double](repeating: 0, count: x.columns)
        var b = 0.0
        guard n > 0 else { return (w, b) }
        var alpha = [Double](repeating: 0, count: n)
        let diag = (0..<n).map { 0.5 / (c * Double(max(sampleWeight[$0], 1e-6))) }
        let qd = (0..<n).map { diag[$0] + sqNorm[$0] }
        var order = Array(0..<n)
        var rng = SplitMix64(seed: seed)
        var active = n
        // Shrinking: a sample at alpha = 0 whose gradient exceeds last pass's largest projected gradient leaves the active set.
        var pgMaxOld = Double.infinity
        x.index.withUnsafeBufferPointer { idx in
            x.value.withUnsafeBufferPointer { val in
                w.withUnsafeMutableBufferPointer { wp in
                    var iteration = 0
                    while iteration < maxIterations {
                        var pgMax = -Double.infinity, pgMin = Double.infinity
                        for s in stride(from: active - 1, to: 0, by: -1) {
                            order.swapAt(s, Int(rng.next() % UInt64(s + 1)))
                        }
                        var s = 0
                        while s < active {
                            let i = order[s]
                            let lo = x.rowStart[i], hi = x.rowStart[i + 1]
                            var dot = b
                            for k in lo..<hi { dot += wp[Int(idx[k])] * Double(val[k]) }
                            let g = y[i] * dot - 1 + alpha[i] * diag[i]
                            var pg = 0.0
                            if alpha[i] == 0 {
                                if g > pgMaxOld {
                                    active -= 1
                                    order.swapAt(s, active)
                                    continue
                                } else if g < 0 {
                                    pg = g
                                }
                            } else {
                                pg = g
                            }
                            pgMax = max(pgMax, pg)
                            pgMin = min(pgMin, pg)
                            if abs(pg) > 1e-12 {
                                let old = alpha[i]
                                alpha[i] = max(old - g / qd[i], 0)
                                let d = (alpha[i] - old) * y[i]
                                for k in lo..<hi { wp[Int(idx[k])] += d * Double(val[k]) }
                                b += d
                            }
                            s += 1
                        }
                        iteration += 1
                        if pgMax - pgMin <= tolerance {
                            if active == n { break }
                            active = n
                            pgMaxOld = .infinity
                            continue
                        }
                        pgMaxOld = pgMax <= 0 ? .infinity : pgMax
                    }
                }
            }
        }
        return (w, b)
    }
}
