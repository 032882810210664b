import DataKit
import Foundation
import TextAnalysis
#if canImport(Glibc)
import Glibc
#endif

/// One data set's comparison of the tone model with the baseline.
public struct ToneDatasetResult: Sendable {
    public let dataset: String
    public let model: ClassificationMetrics
    public let baseline: ClassificationMetrics?
    /// Paired bootstrap of model − baseline macro-F1 (nil without baseline predictions).
    public let bootstrap: PairedBootstrap?
}

/// Evaluation of a tone model on the held-out parts of the shared corpora, optionally side by side
/// with baseline predictions written by `scripts/sentiment_baseline.py`.
public struct ToneEvaluationReport: Sendable {
    public let results: [ToneDatasetResult]
    public let examples: Int
    /// Inference CPU time per post (feature extraction + scoring) of the calling thread, microseconds, measured
    /// on the test texts — CPU time rather than wall time, so other load on a shared machine does not inflate it.
    public let microsecondsPerPost: Double

    public var table: String {
        var s = "data set                   n      model macro-F1  baseline macro-F1  difference [95% paired bootstrap]  P(diff<=0)\n"
        for r in results {
            let base = r.baseline.map { String(format: "%.3f", $0.macroF1) } ?? "  –  "
            let diff = r.bootstrap.map { String(format: "%+.3f [%+.3f, %+.3f]          %.4f", $0.difference, $0.lower, $0.upper, $0.shareNotBetter) } ?? "–"
            s += r.dataset.padding(toLength: 25, withPad: " ", startingAt: 0)
                + String(format: " %5d   %.3f (acc %.3f)   %@              %@\n", r.model.count, r.model.macroF1, r.model.accuracy, base, diff)
        }
        s += String(format: "inference: %.1f µs CPU per post (%.0f posts/s on one core)\n", microsecondsPerPost, 1e6 / max(microsecondsPerPost, 1e-9))
        return s
    }
}

/// Evaluates a tone model on the held-out posts, optionally against baseline predictions (`sentiment-eval`).
public enum ToneEvaluation {
    /// Baseline predictions keyed by `file#row` from the CSV the baseline script writes
    /// (columns `file,row,dataset,gold,pred`).
    public static func loadBaseline(path: String) throws -> [String: String] {
        let t = try CSVTable.load(path: path)
        var out: [String: String] = [:]
        for r in t.rows { out[t.value(r, "file") + "#" + t.value(r, "row")] = t.value(r, "pred") }
        return out
    }

    public static func evaluate(model: ToneModel, dataDirectory: String, baseline: [String: String]? = nil,
                                resamples: Int = 2000) throws -> ToneEvaluationReport {
        let test = try SentimentDatasets.load(dataDirectory: dataDirectory).filter(\.isHeldOut)
        let clf = try ToneClassifier(model: model)
        var predicted: [String] = []
        predicted.reserveCapacity(test.count)
        let start = threadCPUSeconds()
        for e in test { predicted.append(clf.classify(e.text).tone.rawValue) }
        let seconds = threadCPUSeconds() - start
        var results: [ToneDatasetResult] = []
        for (k, d) in SentimentDatasets.datasets.enumerated() {
            let idx = test.indices.filter { test[$0].dataset == d }
            guard !idx.isEmpty else { continue }
            let gold = idx.map { test[$0].tone.rawValue }, ours = idx.map { predicted[$0] }
            var base: [String]?
            if let b = baseline {
                let keyed = idx.map { b[test[$0].file + "#" + String(test[$0].row)] }
                guard keyed.allSatisfy({ $0 != nil }) else {
                    throw TextAnalysisError.dataMissing("baseline predictions lack held-out rows of \(d)")
                }
                base = keyed.compactMap { $0 }
            }
            results.append(ToneDatasetResult(
                dataset: d, model: ClassificationMetrics(gold: gold, predicted: ours),
                baseline: base.map { ClassificationMetrics(gold: gold, predicted: $0) },
                bootstrap: base.map { PairedBootstrap(gold: gold, a: ours, b: $0, resamples: resamples, seed: UInt64(k + 1)) }))
        }
        return ToneEvaluationReport(results: results, examples: test.count,
                                    microsecondsPerPost: test.isEmpty ? 0 : seconds * 1e6 / Double(test.count))
    }
}

/// CPU time consumed by the calling thread, seconds.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
