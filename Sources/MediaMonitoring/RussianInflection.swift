/// Matches inflected forms of one Russian word of a directory name («область» → «области»,
/// «Железногорский» → «Железногорском», «губернатор» → «губернатора»).
///
/// The word's declension class is read off its dictionary form (adjective, hard/soft noun, -ия/-ие
/// noun, plural-only town name, abbreviation); the pattern is base + any case/number ending of that
/// class. This is deliberately stricter than a stemmer: «Курск» (noun) accepts «Курска», «Курском»,
/// but not the adjective «Курской» — which belongs to «Курская область».
public struct InflectedWord: Sendable, Hashable {
    /// Lower-cased stem shared by all forms.
    public let base: String
    /// Endings allowed after `base` (may include "").
    public let endings: Set<String>

    /// Builds the pattern for `word` (any case; `ё` treated as `е`).
    public init(_ word: String) {
        let raw = word.replacingOccurrences(of: "ё", with: "е").replacingOccurrences(of: "Ё", with: "Е")
        let w = raw.lowercased()
        let isAbbreviation = raw.count >= 2 && raw.count <= 6 && raw.filter(\.isLetter).allSatisfy(\.isUppercase)
        if isAbbreviation || w.count <= 2 || !w.unicodeScalars.contains(where: { (0x0430...0x044F).contains($0.value) }) {
            // Abbreviations (ЖКХ, ТКО, ГЖИ), short and non-Cyrillic words: the form itself, plus the
            // colloquial consonant-final declension of abbreviations («ЦУРа», «МФЦ» stays).
            base = w
            endings = isAbbreviation && Self.endsInConsonant(w) && w.count >= 3 ? ["", "а", "у", "ом", "е"] : [""]
            return
        }
        for (suffix, set) in Self.classes where w.hasSuffix(suffix) && w.count > suffix.count + 1 {
            // -ие/-ье/-ия nouns keep their «и»/«ь» in every form (управлени-е, инспекци-ей).
            base = String(w.dropLast(set == Self.nounIe || set == Self.nounIya ? 1 : suffix.count))
            endings = set
            return
        }
        base = w
        endings = Self.masculineHard
    }

    /// A word that never changes inside a name (the genitive complement of «Министерство
    /// здравоохранения Курской области» stays as it is whatever the head's case).
    public init(fixed word: String) {
        base = word.lowercased().replacingOccurrences(of: "ё", with: "е")
        endings = [""]
    }

    /// Whether the dictionary form looks like an adjective (agrees with the head noun).
    public var isAdjective: Bool { endings == Self.adjective }

    /// Whether a lower-cased token is a form of this word.
    public func matches(_ token: String) -> Bool {
        guard token.hasPrefix(base) else { return false }
        return endings.contains(String(token.dropFirst(base.count)))
    }

    static let adjective: Set<String> = ["ий", "ый", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем", "ая", "яя", "ую", "юю",
                                         "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ей"]
    static let masculineHard: Set<String> = ["", "а", "у", "ом", "е", "ы", "и", "ов", "ам", "ами", "ах", "ем", "ев", "ей"]
    static let softSign: Set<String> = ["ь", "я", "ю", "ем", "е", "и", "ью", "ей", "ям", "ями", "ях"]
    static let feminineA: Set<String> = ["а", "я", "ы", "и", "е", "у", "ю", "ой", "ей", "ою", "ам", "ами", "ах", "ям", "ями", "ях", ""]
    static let neuterO: Set<String> = ["о", "е", "а", "я", "у", "ю", "ом", "ем", "и", "ам", "ами", "ах", ""]
    static let nounIe: Set<String> = ["е", "я", "ю", "ем", "и", "й", "ям", "ями", "ях"]
    static let nounIya: Set<String> = ["я", "и", "ю", "ей", "ею", "й", "ям", "ями", "ях"]
    static let pluralOnly: Set<String> = ["ы", "и", "", "ам", "ами", "ах"]

    /// Dictionary-form suffix → (suffix stripped, endings). Checked in order: longer, more specific first.
    static let classes: [(String, Set<String>)] = [
        ("ие", nounIe), ("ье", nounIe), ("ия", nounIya),
        ("ые", adjective), ("ий", adjective), ("ый", adjective), ("ой", adjective), ("ая", adjective), ("яя", adjective),
        ("ое", adjective), ("ее", adjective),
        ("ь", softSign), ("а", feminineA), ("я", feminineA), ("о", neuterO), ("е", neuterO),
        ("ы", pluralOnly), ("и", pluralOnly),
    ]

    static func endsInConsonant(_ w: String) -> Bool {
        guard let last = w.last else { return false }
        return !"аеёиоуыэюя".contains(last)
    }
}
