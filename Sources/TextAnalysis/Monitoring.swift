import Taxonomy

/// One special-monitoring flag raised for a text, with the phrases that triggered it.
public struct MonitoringHit: Sendable, Equatable {
    public let flag: MonitoringFlag
    /// Matched phrases as they appear in the normalised text (lower case, ё→е).
    public let evidence: [String]
}

/// Detects terrorism / extremism / corruption / drugs signals with stemmed phrase lexicons.
///
/// Lexicon words are Snowball-stemmed at init and matched against stems of the text (stop words
/// removed on both sides, phrases must be consecutive). A word ending in `*` is a prefix match on the
/// normalised token instead (`наркот*`). Ambiguous words carry context rules: they fire only when a
/// `requires` word occurs within ±`window` tokens and no `excludes` word does
/// («откат ворот» is a sliding gate, «закладка фундамента» is construction).
/// Not thread-safe (owns a stemmer): one detector per worker.
public final class MonitoringDetector {
    struct Entry {
        let flag: MonitoringFlag
        let phrase: [Matcher]
        let requires: [Matcher]
        let excludes: [Matcher]
    }

    enum Matcher {
        case stem(String)
        case prefix(String)
        func matches(token: String, stem: String) -> Bool {
            switch self {
            case .stem(let s): return s == stem
            case .prefix(let p): return token.hasPrefix(p)
            }
        }
    }

    private let stemmer: RussianStemmer
    private var entries: [Entry] = []
    public let window = 8

    private static let drugContext = "наркот* спайс* соль соли мефедрон* героин* амфетамин* закладчик* барыг* шприц* курьер* торгуют продают продажа употребля*"
    private static let stashPlaces = "подъезд* двор* клумб* дерев* гараж* подвал* детск* площадк* кустах кусты парк*"

    /// (flag, phrase, requires, excludes) — words separated by spaces; `|` separates alternatives.
    static let lexicon: [(MonitoringFlag, String, String, String)] = [
        (.terrorism, "теракт*", "", ""),
        (.terrorism, "террорист*", "", ""),
        (.terrorism, "терроризм*", "", ""),
        (.terrorism, "взрывное устройство", "", ""),
        (.terrorism, "взрывные устройства", "", ""),
        (.terrorism, "взрывчатк*", "", ""),
        (.terrorism, "взрывчатое вещество", "", ""),
        (.terrorism, "заминирован*", "", "учени* трениров*"),
        (.terrorism, "смертник*", "", ""),
        (.terrorism, "захват заложников", "", ""),
        (.terrorism, "бомба", "заложить заложил* подложил* взорв* угрож* подозрительн* сумк* пакет*", "цен* бомбит"),
        (.extremism, "экстремизм*", "", ""),
        (.extremism, "экстремист*", "", ""),
        (.extremism, "свастик*", "", ""),
        (.extremism, "нацистск* символик*", "", ""),
        (.extremism, "фашистск* символик*", "", ""),
        (.extremism, "разжигание ненависти", "", ""),
        (.extremism, "разжигание межнациональной розни", "", ""),
        (.extremism, "межнациональн* розн*", "", ""),
        (.extremism, "призыв* насилию", "", ""),
        (.extremism, "призыв* свержению", "", ""),
        (.corruption, "взятка", "", ""),
        (.corruption, "взяток", "", ""),
        (.corruption, "взятку", "", ""),
        (.corruption, "взяточ*", "", ""),
        (.corruption, "коррупц*", "", "противодейств*"),
        (.corruption, "коррупцион*", "", "противодейств* антикоррупцион*"),
        (.corruption, "мзда", "", ""),
        (.corruption, "откат", "деньг* процент* чиновник* подрядчик* тендер* контракт* заплат* админист* руб* бюджет* депутат*", "ворот* калитк* дверь двери"),
        (.corruption, "откаты", "деньг* процент* чиновник* подрядчик* тендер* контракт* заплат* админист* руб* бюджет* депутат*", "ворот* калитк* дверь двери"),
        (.corruption, "вымогательство", "чиновник* должностн* сотрудник* деньг* руб* инспектор* полиц* врач* директор*", ""),
        (.corruption, "вымогают", "чиновник* должностн* сотрудник* деньг* руб* инспектор* полиц* врач* директор*", ""),
        (.corruption, "распил* бюджет*", "", ""),
        (.corruption, "злоупотреблени* полномоч*", "", ""),
        (.corruption, "превышени* должностн* полномоч*", "", ""),
        (.corruption, "нецелевое использование", "", ""),
        (.drugs, "наркотик*", "", "антинарко*"),
        (.drugs, "наркотическ*", "", ""),
        (.drugs, "наркоман*", "", ""),
        (.drugs, "наркопритон*", "", ""),
        (.drugs, "притон*", "", ""),
        (.drugs, "спайс*", "", ""),
        (.drugs, "мефедрон*", "", ""),
        (.drugs, "героин*", "", ""),
        (.drugs, "амфетамин*", "", ""),
        (.drugs, "марихуан*", "", ""),
        (.drugs, "гашиш*", "", ""),
        (.drugs, "закладчик*", "", ""),
        (.drugs, "закладки", drugContext + " " + stashPlaces + " дела* ищут ищет копа* раскапыва* клад*",
         "фундамент* камн* камень книг* капсул* саженц* аллеи аллея книжн* бюджет*"),
        (.drugs, "закладку", drugContext + " " + stashPlaces + " дела* ищут ищет копа* раскапыва* клад*",
         "фундамент* камн* камень книг* капсул* саженц* аллеи аллея книжн* бюджет*"),
    ]

    public init() throws {
        stemmer = try RussianStemmer()
        func matchers(_ s: String) -> [Matcher] {
            s.split(separator: " ").compactMap { w -> Matcher? in
                let word = String(w).lowercased().replacingOccurrences(of: "ё", with: "е")
                if word.hasSuffix("*") { return .prefix(String(word.dropLast())) }
                if RussianStopWords.contains(word) { return nil }
                return .stem(stemmer.stem(word))
            }
        }
        entries = Self.lexicon.map { Entry(flag: $0.0, phrase: matchers($0.1), requires: matchers($0.2), excludes: matchers($0.3)) }
    }

    /// Flags found in `text`, in `MonitoringFlag.allCases` order; empty when nothing matched.
    public func detect(_ text: String) -> [MonitoringHit] {
        let tokens = Tokenizer.normalizedTokens(text).filter { !RussianStopWords.contains($0) }
        let stems = tokens.map { stemmer.stem($0) }
        var evidence: [MonitoringFlag: [String]] = [:]
        for e in entries where !e.phrase.isEmpty {
            let n = e.phrase.count
            guard tokens.count >= n else { continue }
            for i in 0...(tokens.count - n) {
                var ok = true
                for (k, m) in e.phrase.enumerated() where !m.matches(token: tokens[i + k], stem: stems[i + k]) { ok = false; break }
                guard ok else { continue }
                let lo = max(0, i - window), hi = min(tokens.count, i + n + window)
                let ctx = (lo..<hi).filter { $0 < i || $0 >= i + n }
                func any(_ ms: [Matcher]) -> Bool { ctx.contains { j in ms.contains { $0.matches(token: tokens[j], stem: stems[j]) } } }
                if !e.requires.isEmpty, !any(e.requires) { continue }
                if !e.excludes.isEmpty, any(e.excludes) { continue }
                let phrase = tokens[i..<(i + n)].joined(separator: " ")
                if !(evidence[e.flag]?.contains(phrase) ?? false) { evidence[e.flag, default: []].append(phrase) }
            }
        }
        return MonitoringFlag.allCases.compactMap { f in evidence[f].map { MonitoringHit(flag: f, evidence: $0) } }
    }
}
