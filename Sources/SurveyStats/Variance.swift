extension SurveyDesign {
    /// Design-based variance of a total of influence values `x` (one per row), as R's `svyrecvar`:
    /// first residualise against every calibration step (post-strata / raking margins), then sum
    /// the stratified between-cluster variance over stages. When an fpc is given, later stages add
    /// their within-cluster variance multiplied by the previous stage's sampling fraction
    /// (R's default `survey.ultimate.cluster = FALSE`); otherwise the ultimate-cluster
    /// (with-replacement) estimator is used.
    public func linearizedVariance(_ influence: [Double]) throws -> Double {
        try checkLength(influence, "influence")
        for i in 0..<count where !influence[i].isFinite {
            throw SurveyError.nonFiniteValue(field: "influence", row: i)
        }
        let x = residualized(influence)
        return try multistage(x, rows: Array(0..<count), stage: 0)
    }

    func residualized(_ influence: [Double]) -> [Double] {
        var x = influence
        for step in calibration {
            switch step {
            case let .postStratification(cells, oldW, newW):
                let k = (cells.max() ?? -1) + 1
                var num = Array(repeating: 0.0, count: k)
                var den = Array(repeating: 0.0, count: k)
                for i in 0..<count {
                    num[cells[i]] += x[i] * oldW[i] / newW[i]
                    den[cells[i]] += oldW[i]
                }
                for i in 0..<count where den[cells[i]] > 0 {
                    x[i] -= num[cells[i]] / den[cells[i]] * newW[i]
                }
            case let .raking(margins):
                for _ in 0..<10 {
                    for m in margins {
                        let k = (m.cells.max() ?? -1) + 1
                        var num = Array(repeating: 0.0, count: k)
                        var cnt = Array(repeating: 0.0, count: k)
                        for i in 0..<count {
                            num[m.cells[i]] += x[i] / m.weights[i]
                            cnt[m.cells[i]] += 1
                        }
                        for i in 0..<count where cnt[m.cells[i]] > 0 {
                            x[i] -= m.weights[i] * num[m.cells[i]] / cnt[m.cells[i]]
                        }
                    }
                }
            }
        }
        return x
    }

    private func multistage(_ x: [Double], rows: [Int], stage: Int) throws -> Double {
        var v = try onestage(x, rows: rows, stage: stage)
        if hasFPC, stage + 1 < stages.count {
            let st = stages[stage]
            guard let pop = st.popSize else { return v }
            var groups: [Int: [Int]] = [:]
            var order: [Int] = []
            for r in rows {
                if groups[st.cluster[r]] == nil { order.append(st.cluster[r]) }
                groups[st.cluster[r], default: []].append(r)
            }
            for c in order {
                guard let g = groups[c], let first = g.first else { continue }
                let fraction = Double(st.nPSU[first]) / pop[first]
                v += try multistage(x, rows: g, stage: stage + 1) * fraction
            }
        }
        return v
    }

    private func onestage(_ x: [Double], rows: [Int], stage: Int) throws -> Double {
        let st = stages[stage]
        var strataRows: [Int: [Int]] = [:]
        var order: [Int] = []
        for r in rows {
            if strataRows[st.stratum[r]] == nil { order.append(st.stratum[r]) }
            strataRows[st.stratum[r], default: []].append(r)
        }
        // Grand mean of PSU totals, used to centre lonely PSUs under `.adjust`.
        var clusterTotals: [Int: Double] = [:]
        for r in rows { clusterTotals[st.cluster[r], default: 0] += x[r] }
        let grandCentre = clusterTotals.isEmpty ? 0 : clusterTotals.values.reduce(0, +) / Double(clusterTotals.count)

        var total = 0.0
        var ok = 0
        for s in order {
            guard let idx = strataRows[s], let first = idx.first else { continue }
            if let v = try onestrat(x, rows: idx, stage: stage, first: first, centre: grandCentre) {
                total += v
                ok += 1
            }
        }
        guard ok > 0 else { return 0 }
        return total * Double(order.count) / Double(ok)
    }

    /// Returns nil when the stratum is dropped (lonely PSU with `.average`).
    private func onestrat(_ x: [Double], rows: [Int], stage: Int, first: Int, centre: Double) throws -> Double? {
        let st = stages[stage]
        let nPSU = st.nPSU[first]
        var f = 1.0
        if let pop = st.popSize?[first] { f = (pop - Double(nPSU)) / pop }
        if f < 1e-7 { return 0 } // self-representing stratum
        var totals: [Int: Double] = [:]
        for r in rows { totals[st.cluster[r], default: 0] += x[r] }
        var values = Array(totals.values)
        let nsubset = values.count
        if nsubset < nPSU { values += Array(repeating: 0, count: nPSU - nsubset) }
        if nPSU > 1 {
            let scale = f * Double(nPSU) / Double(nPSU - 1)
            let mean = values.reduce(0, +) / Double(values.count)
            return scale * values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        }
        switch lonelyPSU {
        case .fail:
            let name = stage == 0 ? (stratumNames.indices.contains(st.stratum[first]) ? stratumNames[st.stratum[first]] : "\(st.stratum[first])") : "\(st.stratum[first])"
            throw SurveyError.lonelyPSU(stratum: name, stage: stage + 1)
        case .remove, .certainty:
            return 0
        case .adjust:
            return f * values.reduce(0) { $0 + ($1 - centre) * ($1 - centre) }
        case .average:
            return nil
        }
    }
}
