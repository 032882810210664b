import ArgumentParser
import Foundation
import TextAnalysis

/// Runs the standard baseline (`scripts/classifier_baseline.py`, scikit-learn from PyPI) on exactly the
/// project's splits: writes them as JSON lines, runs the script, reads its predictions. Predictions are
/// cached by the content of the splits file and of the script.
struct BaselineRunner {
    static let name = "TF-IDF word 1–2-grams + char_wb 2–5-grams, LinearSVC (scikit-learn defaults; scripts/classifier_baseline.py)"
    /// The same baseline given the classifier's metadata too (`--metadata`: channel and rubric indicators).
    static let metadataName = "the baseline + channel and rubric indicators (scripts/classifier_baseline.py --metadata)"
    let script: URL
    let cacheDirectory: URL
    /// Run the baseline with `--metadata` (the like-for-like comparison when the classifier uses the rubric).
    let metadata: Bool

    init(script: String, metadata: Bool = false, cacheDirectory: String? = nil) {
        self.script = URL(fileURLWithPath: script)
        self.metadata = metadata
        let state = ProcessInfo.processInfo.environment["VECHE_STATE_DIR"] ?? "/var/tmp/veche"
        self.cacheDirectory = URL(fileURLWithPath: cacheDirectory ?? state + "/classifier-baseline")
    }

    /// Predictions for the rows of `predict`, the baseline trained on the rows of `fit`.
    func predictions(splits: ClassifierSplits, fit: [ClassifierSplits.Part], predict: [ClassifierSplits.Part],
                     log: (String) -> Void) throws -> Predictions {
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        var lines = Data()
        for part in ClassifierSplits.Part.allCases where fit.contains(part) || predict.contains(part) {
            for r in splits.rows([part]) {
                let obj: [String: String] = ["id": r.id, "part": part.rawValue, "source": r.source.rawValue, "text": r.text,
                                             "topic": r.topicCode, "category": r.categoryCode,
                                             "channel": r.channel, "rubric": r.rubric]
                lines.append(try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]))
                lines.append(UInt8(ascii: "\n"))
            }
        }
        guard let scriptBytes = FileManager.default.contents(atPath: script.path) else {
            throw ValidationError("baseline script not found: \(script.path) (run from the repository root or pass --baseline-script)")
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in lines + scriptBytes + Data((fit.map(\.rawValue).joined(separator: ",") + "/" + predict.map(\.rawValue).joined(separator: ",") + (metadata ? "/metadata" : "")).utf8) {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
        }
        let key = String(h, radix: 16)
        let splitsFile = cacheDirectory.appendingPathComponent("splits-\(key).jsonl")
        let out = cacheDirectory.appendingPathComponent("baseline-\(key).tsv")
        if FileManager.default.fileExists(atPath: out.path) {
            log("baseline predictions from cache \(out.path)")
        } else {
            try lines.write(to: splitsFile)
            log("running the baseline (scikit-learn; a few minutes): \(script.path)")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script.path, splitsFile.path, out.path + ".tmp",
                           "--fit", fit.map(\.rawValue).joined(separator: ","), "--predict", predict.map(\.rawValue).joined(separator: ",")] + (metadata ? ["--metadata"] : [])
            try p.run()
            p.waitUntilExit()
            try? FileManager.default.removeItem(at: splitsFile)
            guard p.terminationStatus == 0 else {
                throw ValidationError("the baseline script failed (exit \(p.terminationStatus)); it needs scikit-learn: python3 -m pip install scikit-learn")
            }
            try FileManager.default.moveItem(at: URL(fileURLWithPath: out.path + ".tmp"), to: out)
        }
        var result = Predictions()
        for line in try String(contentsOf: out, encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { throw ValidationError("malformed baseline prediction line: \(line)") }
            result.topic[f[0]] = f[1]
            result.category[f[0]] = f[2]
        }
        let expected = splits.rows(predict).count
        guard result.topic.count == expected else { throw ValidationError("baseline predicted \(result.topic.count) rows, expected \(expected)") }
        return result
    }
}
