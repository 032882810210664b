/// A word token with its position in the original (not normalised) text.
public struct TokenSpan: Sendable, Hashable {
    /// The token as written (original case).
    public let text: String
    /// Offset of the first Unicode scalar (code point) in the original text, as PostgreSQL `substr`
    /// and Python string indices count.
    public let offset: Int
    /// Length in Unicode scalars.
    public let length: Int
    /// Lower-cased with `ё`→`е`, the form `Tokenizer.normalizedTokens` yields.
    public var normalized: String { text.lowercased().replacingOccurrences(of: "ё", with: "е") }
}

extension Tokenizer {
    /// Word tokens of `text` with their offsets. Same rule as `tokenize`: runs of letters/digits,
    /// an inner hyphen followed by a letter keeps the word whole; everything else separates tokens.
    /// For plain text `spans(text).map(\.normalized) == normalizedTokens(text)`.
    public static func spans(_ text: String) -> [TokenSpan] {
        var out: [TokenSpan] = []
        let scalars = Array(text.unicodeScalars)
        var start = -1
        var current = String.UnicodeScalarView()
        func flush(_ end: Int) {
            if start >= 0 { out.append(TokenSpan(text: String(current), offset: start, length: end - start)) }
            start = -1
            current = String.UnicodeScalarView()
        }
        for (i, s) in scalars.enumerated() {
            if s.properties.isAlphabetic || ("0"..."9").contains(s) {
                if start < 0 { start = i }
                current.append(s)
            } else if s == "-", start >= 0, i + 1 < scalars.count, scalars[i + 1].properties.isAlphabetic {
                current.append(s)
            } else {
                flush(i)
            }
        }
        flush(scalars.count)
        return out
    }
}
