import Foundation
import Synchronization
import Taxonomy

/// Explicit mapping from the label schemes of the evaluation datasets to taxonomy category codes.
///
/// * Kursk «Цифровой прорыв 2022» (`kursk_cp2022_appeals_*.csv.gz`): the fine-grained «Тематика»
///   (161 values) is mapped by ordered keyword rules (`kurskRules`, first match wins). When no rule
///   matches, the coarse «Категория» code 0…16 decides via `kurskCategoryFallback`
///   (0 roads, 1 stray animals, 2 gov services, 3 housing/utilities+landscaping, 4 health, 5 culture,
///   6 COVID support, 7 education, 8 public transport, 9 telecom/post, 10 social protection,
///   11 construction, 12 test category, 13 trade, 14 labour, 15 sport, 16 ecology/waste).
///   The test file has no «Категория»: it is derived from «Тематика» through the train-file mapping
///   (`KurskCategoryIndex`), and the 12 Тематика values unseen in train are listed explicitly in
///   `kurskUnseenTopicCategory`.
/// * St Petersburg «Наш Санкт-Петербург» (`spb_nash_peterburg_appeals_2020_2021.csv.gz`):
///   `category` (15) + `reason` (125) are mapped by ordered keyword rules over
///   `"<category> | <reason>"` (`spbRules`).
/// Rules match word prefixes (`LabelRule`); rows that match nothing go to `other.other` (topic `other`).
public enum DatasetLabelMapping {
    /// Lower-case, ё→е, collapse whitespace — the form rules are written in.
    static func key(_ s: String) -> String {
        TextNormalizer.collapseWhitespace(s.lowercased().replacingOccurrences(of: "ё", with: "е"))
    }

    /// True when `needle` occurs in `text` starting at a word boundary (start of text or after a
    /// character that is neither a letter nor a digit). Needles are word prefixes: «урн» matches
    /// «урны» but not «архитектурных», «спорт» matches «спортивных» but not «транспорта».
    static func occursAtWordStart(_ needle: String, in text: String) -> Bool {
        var from = text.startIndex
        while from < text.endIndex, let r = text.range(of: needle, range: from..<text.endIndex) {
            if r.lowerBound == text.startIndex { return true }
            let before = text[text.index(before: r.lowerBound)]
            if !(before.isLetter || before.isNumber) { return true }
            from = text.index(after: r.lowerBound)
        }
        return false
    }

    /// Index of the first rule matching `label`, nil when none does.
    static func firstRule(_ rules: [LabelRule], matching label: String) -> Int? {
        let k = key(label)
        return rules.firstIndex { $0.matches(normalized: k) }
    }

    private static func apply(_ rules: [LabelRule], to label: String) -> String? {
        firstRule(rules, matching: label).map { rules[$0].code }
    }

    /// The rule outcome of each distinct label, computed once per process: a dataset has a few hundred distinct
    /// labels over 60,000 rows, and matching every rule (Foundation's substring search) per row made loading the
    /// datasets the slowest part of the test suite and of every evaluation.
    final class RuleMemo: Sendable {
        private let codes = Mutex<[String: String?]>([:])

        func code(_ label: String, _ compute: () -> String?) -> String? {
            if let known = codes.withLock({ $0[label] }) { return known }
            let code = compute()
            codes.withLock { codes in
                if codes.count >= 65_536 { codes.removeAll() }   // bounded for any input, far above a dataset's labels
                codes[label] = .some(code)
            }
            return code
        }
    }

    private static let kurskMemo = RuleMemo()
    private static let spbMemo = RuleMemo()

    // MARK: Kursk

    /// Kursk «Категория» code → taxonomy category, used when no Тематика rule matches.
    public static let kurskCategoryFallback: [Int: String] = [
        0: "roads.other", 1: "other.stray_animals", 2: "other.gov_services", 3: "housing.other", 4: "health.other",
        5: "other.culture", 6: "social.support_measures", 7: "education.other", 8: "transport.other", 9: "other.telecom",
        10: "social.other", 11: "other.construction", 12: "other.other", 13: "other.trade", 14: "other.labour",
        15: "other.sport", 16: "waste.environment",
    ]

    /// «Категория» codes for the Тематика values of the Kursk test file that never occur in train
    /// (derived by reading the topic names; README: «19 test topics unseen in train»).
    public static let kurskUnseenTopicCategory: [String: Int] = [
        "очистка от снега и наледи дорог в микрорайонах ижс": 0,
        "дорожная разметка на дорогах регионального и межмуниципального значения": 0,
        "отсутствие твердого дорожного покрытия на дорогах регионального и межмуниципального значения": 0,
        "несоответствие ценника цене товара": 13,
        "несправедливое распределение мест в дошкольные учреждения": 7,
        "отсутствие в населенном пункте сотовой связи": 9,
        "плохое материально-техническое оснащение учреждений культуры и библиотек": 5,
        "неудовлетворительное материально-техническое обеспечение учреждения дополнительного образования": 7,
        "необходимо строительство детской (спортивной) площадки в районе частного сектора": 3,
        "меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере занятости населения для частных лиц": 6,
        "меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере жкх": 6,
        "проблемы с обеспечением питанием в школах": 7,
    ]

    /// Taxonomy category for a Kursk row. `kategoriya` is the «Категория» code when known.
    public static func kurskCategory(tematika: String, kategoriya: Int?) -> String {
        if let code = kurskMemo.code(tematika, { apply(kurskRules, to: tematika) }) { return code }
        if let k = kategoriya, let code = kurskCategoryFallback[k] { return code }
        return Taxonomy.otherCategory.code
    }

    /// True when a Тематика value is covered by an explicit rule (not by the fallback).
    public static func kurskHasRule(_ tematika: String) -> Bool { kurskMemo.code(tematika, { apply(kurskRules, to: tematika) }) != nil }

    // MARK: St Petersburg

    /// Taxonomy category for a St Petersburg row (`category`, `reason` columns).
    public static func spbCategory(category: String, reason: String) -> String {
        let label = spbLabel(category: category, reason: reason)
        return spbMemo.code(label, { apply(spbRules, to: label) }) ?? Taxonomy.otherCategory.code
    }

    /// The string St Petersburg rules are matched against.
    public static func spbLabel(category: String, reason: String) -> String { category + " | " + reason }

    /// Topic code of a category code (`"roads.potholes"` → `"roads"`).
    public static func topicCode(ofCategory code: String) -> String {
        Taxonomy.category(code: code)?.topicCode ?? String(code.prefix(while: { $0 != "." }))
    }
}

/// One ordered keyword rule: the label maps to `code` when every needle occurs at the start of a
/// word of the normalised label (lower-case, ё→е, collapsed whitespace).
public struct LabelRule: Sendable {
    public let needles: [String]
    public let code: String
    /// A real dataset label this rule is the first to match (checked by the tests).
    public let example: String

    init(_ needles: [String], _ code: String, example: String) {
        self.needles = needles
        self.code = code
        self.example = example
    }

    func matches(normalized label: String) -> Bool {
        needles.allSatisfy { DatasetLabelMapping.occursAtWordStart($0, in: label) }
    }
}
