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
        func matches(token: String, stem: () -> String) -> Bool {
            switch self {
            case .stem(let s): return token.hasPrefix(s) && s == stem()
            case .prefix(let p): return token.hasPrefix(p)
            }
        }
        /// What a matching token must start with: a Snowball stem only ever removes endings, so a token whose
        /// stem is `s` starts with `s`.
        var head: String {
            switch self {
            case .stem(let s), .prefix(let s): return s
            }
        }
    }

    /// The first three Unicode scalars of a word packed into one integer (nil when it is shorter).
    static func key<S: StringProtocol>(_ word: S) -> UInt64? {
        var k: UInt64 = 0, n = 0
        for u in word.unicodeScalars {
            k = k << 21 | UInt64(u.value)
            n += 1
            if n == 3 { return k }
        }
        return nil
    }

    private let stemmer: RussianStemmer
    private(set) var entries: [Entry] = []
    /// Entries by the key of their phrase's first word; entries whose first word is shorter than three letters
    /// are tried at every position (`shortHeads`).
    private var byKey: [UInt64: [Int]] = [:]
    private var shortHeads: [Int] = []
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
        for (i, e) in entries.enumerated() {
            guard let first = e.phrase.first else { continue }
            if let k = Self.key(first.head) { byKey[k, default: []].append(i) } else { shortHeads.append(i) }
        }
    }

    /// Flags found in `text`, in `MonitoringFlag.allCases` order; empty when nothing matched.
    /// Each position is tried only against the entries whose first word shares its first three letters, and a
    /// token is stemmed only when a stem must be compared.
    public func detect(_ text: String) -> [MonitoringHit] { detect(tokens: Tokenizer.normalizedTokens(text)) }

    /// From the text's `Tokenizer.normalizedTokens` (shared with the duplicate featurizer at intake).
    public func detect(tokens normalizedTokens: [String]) -> [MonitoringHit] {
        let tokens = normalizedTokens.filter { !RussianStopWords.contains($0) }
        var stems = [String?](repeating: nil, count: tokens.count)
        func stem(_ j: Int) -> String {
            if let s = stems[j] { return s }
            let s = stemmer.stem(tokens[j])
            stems[j] = s
            return s
        }
        func matches(_ m: Matcher, _ j: Int) -> Bool { m.matches(token: tokens[j], stem: { stem(j) }) }
        var found: [(entry: Int, at: Int)] = []
        func tryEntry(_ ei: Int, at i: Int) {
            let e = entries[ei]
            let n = e.phrase.count
            guard i + n <= tokens.count else { return }
            for (k, m) in e.phrase.enumerated() where !matches(m, i + k) { return }
            let lo = max(0, i - window), hi = min(tokens.count, i + n + window)
            let ctx = (lo..<hi).filter { $0 < i || $0 >= i + n }
            func any(_ ms: [Matcher]) -> Bool { ctx.contains { j in ms.contains { matches($0, j) } } }
            if !e.requires.isEmpty, !any(e.requires) { return }
            if !e.excludes.isEmpty, any(e.excludes) { return }
            found.append((ei, i))
        }
        for i in tokens.indices {
            if let k = Self.key(tokens[i]), let keyed = byKey[k] { for ei in keyed { tryEntry(ei, at: i) } }
            for ei in shortHeads { tryEntry(ei, at: i) }
        }
        // Evidence in lexicon order, then text order (as a scan entry by entry would list it).
        found.sort { ($0.entry, $0.at) < ($1.entry, $1.at) }
        var evidence: [MonitoringFlag: [String]] = [:]
        for (ei, i) in found {
            let e = entries[ei]
            let phrase = tokens[i..<(i + e.phrase.count)].joined(separator: " ")
            if !(evidence[e.flag]?.contains(phrase) ?? false) { evidence[e.flag, default: []].append(phrase) }
        }
        return MonitoringFlag.allCases.compactMap { f in evidence[f].map { MonitoringHit(flag: f, evidence: $0) } }
    }
}
