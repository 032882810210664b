import Foundation
import Testing
@testable import TextAnalysis

/// The classification hot path (`TextVectorizer`, `HashIndex64`, `JointScorer`) must give exactly what the
/// reference path (`HashedFeatureExtractor.counts` → `FeatureIndex.vector` → `HeadScorer`) gives — the
/// released model's predictions may not move by one bit.
@Suite struct FastClassificationTests {
    /// Texts that exercise every branch of the fast normaliser and tokenizer: plain Cyrillic, capitals and
    /// `Ё`, CR LF / tabs / NBSP runs, HTML tags and entities (named, decimal, hex, unknown, unterminated),
    /// `<` that is not a tag, inner and trailing hyphens, digits, Latin, and texts that must fall back to the
    /// String path (combining accent, emoji, `ë`, object replacement character).
    static let texts = [
        "Во дворе дома 5 огромная яма на проезде, машины не могут проехать",
        "ЁЛКА у подъезда.\r\nЕЩЁ НЕ УБРАЛИ\t\t ёлку\u{00A0}\u{00A0}с января — «безобразие»…",
        "<p>Прошу&nbsp;отремонтировать&#171;крышу&#x2116;5&raquo;</p><br/>течёт в квартиры &unknown; & < 5 > 3 &amp",
        "северо-западный район, улица 8-го Марта, дом 12-а, кв. 7- 8 -9",
        "Street light broken on Main St. 911 call, ok?",
        "Ямы на дороге́ 🤷‍♀️ и мусор ￼ Noël",
        "", "   ", "а", "<", "&#769;ударение",
    ]

    @Test func vectorsEqualTheReferencePath() throws {
        let model = try ClassifierModel.loadBundled()
        let index = FeatureIndex(model.features)
        let reference = try HashedFeatureExtractor()
        let fast = try TextVectorizer(index: index)
        for channel in ["", "pos", "portal", "telegram"] {
            for rubric in ["", "Дом", " двор ", "Улица", "Нет такого"] {
                for text in Self.texts {
                    let a = fast.vector(text, channel: channel, rubric: rubric)
                    let b = index.vector(reference.counts(text, channel: channel, rubric: rubric))
                    #expect(a.indices == b.indices && a.values == b.values, "«\(text)» / \(channel) / \(rubric)")
                }
            }
        }
        // A second pass is served from the stem memo and must not differ.
        for text in Self.texts {
            let b = index.vector(reference.counts(text, channel: "pos"))
            #expect(fast.vector(text, channel: "pos").values == b.values)
        }
    }

    @Test func normalisedScalarsEqualTextNormalizer() {
        for text in Self.texts {
            var out: [UInt32] = []
            NormalizedScalars.normalize(text, into: &out)
            #expect(out == TextNormalizer.normalize(text).unicodeScalars.map(\.value), "«\(text)»")
        }
    }

    @Test func jointScorerEqualsTheHeads() throws {
        let model = try ClassifierModel.loadBundled()
        let index = FeatureIndex(model.features)
        let fast = try TextVectorizer(index: index)
        let joint = JointScorer(topic: model.topicHead, category: model.categoryHead)
        let topic = HeadScorer(model.topicHead), category = HeadScorer(model.categoryHead)
        for text in Self.texts {
            let x = fast.vector(text, channel: "pos")
            let p = joint.probabilities(x)
            #expect(p.topic == topic.probabilities(x) && p.category == category.probabilities(x), "«\(text)»")
        }
    }

    /// Every key is found at its position, absent keys are not, and a key given twice keeps its last index.
    @Test func hashIndexFindsExactlyItsKeys() {
        var keys: [UInt64] = (0..<5_000).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 ^ 0xABCD }
        keys.append(keys[17])
        let table = HashIndex64(keys)
        for (i, k) in keys.enumerated().dropLast() where i != 17 { #expect(table[k] == Int32(i)) }
        #expect(table[keys[17]] == Int32(keys.count - 1))
        #expect(table[0x1234_5678] == nil && table[0] == nil)
        #expect(HashIndex64([])[42] == nil)
    }
}
