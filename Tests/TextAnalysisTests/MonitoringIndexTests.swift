import DataKit
import Foundation
import Taxonomy
import Testing
@testable import TextAnalysis

/// The special-monitoring detector's first-word index changes only the cost, never the answer: it must find
/// exactly what trying every lexicon entry at every position finds.
@Suite struct MonitoringIndexTests {
    /// The detector's definition: every entry tried at every position, every token stemmed.
    static func scanEverything(_ d: MonitoringDetector, _ stemmer: RussianStemmer, _ text: String) -> [MonitoringHit] {
        let tokens = Tokenizer.normalizedTokens(text).filter { !RussianStopWords.contains($0) }
        let stems = tokens.map { stemmer.stem($0) }
        func m(_ x: MonitoringDetector.Matcher, _ j: Int) -> Bool {
            switch x {
            case .stem(let s): return stems[j] == s
            case .prefix(let p): return tokens[j].hasPrefix(p)
            }
        }
        var evidence: [MonitoringFlag: [String]] = [:]
        for e in d.entries where !e.phrase.isEmpty {
            let n = e.phrase.count
            guard tokens.count >= n else { continue }
            for i in 0...(tokens.count - n) {
                guard e.phrase.indices.allSatisfy({ m(e.phrase[$0], i + $0) }) else { continue }
                let ctx = (max(0, i - d.window)..<min(tokens.count, i + n + d.window)).filter { $0 < i || $0 >= i + n }
                func any(_ ms: [MonitoringDetector.Matcher]) -> Bool { ctx.contains { j in ms.contains { m($0, j) } } }
                if !e.requires.isEmpty, !any(e.requires) { continue }
                if !e.excludes.isEmpty, any(e.excludes) { continue }
                let phrase = tokens[i..<(i + n)].joined(separator: " ")
                if !(evidence[e.flag]?.contains(phrase) ?? false) { evidence[e.flag, default: []].append(phrase) }
            }
        }
        return MonitoringFlag.allCases.compactMap { f in evidence[f].map { MonitoringHit(flag: f, evidence: $0) } }
    }

    @Test func indexedDetectionEqualsTheFullScanOnRealAndFlaggedTexts() throws {
        let d = try MonitoringDetector()
        let stemmer = try RussianStemmer()
        var texts = [
            "Чиновники берут взятки, а в парке продают наркотики. Взятку требовал инспектор, взяточник!",
            "Подрядчик получил контракт за откат чиновникам администрации; откат ворот сломан",
            "В подъезде делают закладки, закладку нашли у клумбы; закладка фундамента идёт",
            "Подозрительная сумка, бомба? Угрожают взорвать. Цены бомбят.",
            "Свастика на стене, экстремисты и нацистская символика, межнациональной розни призывы к насилию",
            "Вымогательство денег врачом; вымогают руб; мзда; распил бюджета; злоупотребление полномочиями",
        ]
        if let dir = sharedData() {
            let spb = try CSVTable.load(path: dir + "/" + AppealDatasets.spbFile)
            texts += spb.rows.prefix(15_000).map { spb.value($0, "text") }
            let kursk = try CSVTable.load(path: dir + "/" + AppealDatasets.kurskTrainFile)
            texts += kursk.rows.map { kursk.value($0, "Текст Сообщения") }
        }
        var flagged = 0
        for t in texts {
            let expected = Self.scanEverything(d, stemmer, t)
            #expect(d.detect(t) == expected, "\(t.prefix(120))")
            if !expected.isEmpty { flagged += 1 }
        }
        // The comparison covers texts that do raise flags, not only silent ones.
        #expect(flagged >= 6)
    }
}
