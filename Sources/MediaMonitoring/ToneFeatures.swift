import TextAnalysis

/// Feature terms of a short public post for the tone model.
///
/// Two blocks, vectorised separately (each sublinear TF-IDF, L2-normalised) and concatenated:
/// * **word block** — Snowball stems (TextAnalysis `RussianStemmer`; stop words are *kept*: «не», «очень»
///   carry tone), numbers as `<num>`, the two words after a negator («не», «нет», «ни», «без») marked
///   `!w`, emoticon tokens (`)`, `))`, `)))`, `(`…, `:)`, `:(`, `:d`), `!`/`?` runs, emoji, and
///   adjacent-term bigrams `a_b`;
/// * **character block** — character 2–5-grams inside space-padded words (`#` prefix), robust to
///   misspellings, elongations («оооочень») and unseen inflections.
/// URLs become `urlx`, @handles `userx`, a leading retweet marker `rt` is dropped.
/// Owns a stemmer: one extractor per worker.
public final class ToneFeatureExtractor {
    private let stemmer: RussianStemmer
    static let negators: Set<String> = ["не", "нет", "ни", "без"]

    public init() throws { stemmer = try RussianStemmer() }

    /// Word-block terms (stems, markers, emoticons) followed by their bigrams.
    public func wordTerms(_ text: String) -> [String] {
        let units = Self.units(Self.normalize(text))
        var terms: [String] = []
        var negated = 0
        for u in units {
            switch u {
            case .word(let w):
                var t: String
                if w.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) { t = "<num>" } else { t = stemmer.stem(w) }
                if negated > 0 { t = "!" + t; negated -= 1 }
                if Self.negators.contains(w) { negated = 2 }
                terms.append(t)
            case .symbol(let s):
                terms.append(s)
                negated = 0
            }
        }
        var out = terms
        if terms.count > 1 { for i in 0..<(terms.count - 1) { out.append(terms[i] + "_" + terms[i + 1]) } }
        return out
    }

    /// Character-block terms: 2–5-grams of each whitespace-separated word padded with spaces.
    public func charTerms(_ text: String) -> [String] {
        var out: [String] = []
        for word in Self.normalize(text).split(separator: " ") {
            let chars = Array(" " + word + " ")
            for n in 2...5 {
                if chars.count < n { break }
                for i in 0...(chars.count - n) { out.append("#" + String(chars[i..<(i + n)])) }
                if chars.count == n { break }
            }
        }
        return out
    }

    enum Unit: Equatable { case word(String), symbol(String) }

    /// Lower case, `ё`→`е`, URLs → `urlx`, @handles → `userx`, leading `rt` removed, whitespace collapsed.
    static func normalize(_ text: String) -> String {
        var words: [String] = []
        for raw in text.lowercased().replacingOccurrences(of: "ё", with: "е").split(whereSeparator: { $0.isWhitespace }) {
            var w = String(raw)
            if w.hasPrefix("http://") || w.hasPrefix("https://") || w.hasPrefix("www.") { w = "urlx" }
            else if w.hasPrefix("@"), w.count > 1 { w = "userx" + w.drop { $0 == "@" || $0.isLetter || $0.isNumber || $0 == "_" } }
            words.append(w)
        }
        if words.first == "rt" { words.removeFirst() }
        return words.joined(separator: " ")
    }

    /// Splits normalised text into words and tone-bearing symbols.
    static func units(_ text: String) -> [Unit] {
        var out: [Unit] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isLetter || c.isNumber {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber { j += 1 }
                out.append(.word(String(chars[i..<j])))
                i = j
            } else if c == ")" || c == "(" || c == "!" || c == "?" {
                var j = i
                while j < chars.count, chars[j] == c { j += 1 }
                let run = j - i
                out.append(.symbol(String(repeating: c, count: (c == "!" || c == "?") ? min(run, 2) : min(run, 3))))
                i = j
            } else if (c == ":" || c == ";"), i + 1 < chars.count {
                var j = i + 1
                if chars[j] == "-", j + 1 < chars.count { j += 1 }
                let face = chars[j]
                if ")(dpр3*".contains(face) {
                    out.append(.symbol(":" + String(face == "р" ? "p" : face)))
                    i = j + 1
                } else {
                    i += 1
                }
            } else if c.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation || (0x2600...0x27BF).contains($0.value) }) {
                out.append(.symbol(String(c)))
                i += 1
            } else {
                i += 1
            }
        }
        return out
    }
}
