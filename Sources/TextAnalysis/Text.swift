import CStemmer
import Foundation

/// Russian text normalisation: HTML removal, entity decoding, lower-casing, ё→е, whitespace collapse.
public enum TextNormalizer {
    private static let entities: [String: String] = [
        "nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "laquo": "«", "raquo": "»",
        "mdash": "—", "ndash": "–", "hellip": "…", "shy": "", "thinsp": " ", "ensp": " ", "emsp": " ",
        "ldquo": "“", "rdquo": "”", "bdquo": "„", "lsquo": "‘", "rsquo": "’", "deg": "°", "numero": "№",
    ]

    /// Removes HTML tags (block tags become spaces), decodes entities (`&nbsp;`, `&#171;`, `&#x2116;`).
    /// Keeps case. Whitespace is collapsed to single spaces.
    public static func stripHTML(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: strippedScalars(Array(text.unicodeScalars)))
        return collapseWhitespace(String(out))
    }

    /// `stripHTML` before its whitespace collapse: a tag is `<` followed by a letter, `/`, `!` or `?` and closed by
    /// `>`, and becomes a space; entities are decoded. Also the HTML step of the scalar normaliser (`NormalizedScalars`).
    static func strippedScalars(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        var i = 0
        let n = scalars.count
        while i < n {
            let c = scalars[i]
            if c == "<" {
                // a tag only when followed by a letter, '/', '!' or '?'
                if i + 1 < n, scalars[i + 1].properties.isAlphabetic || scalars[i + 1] == "/" || scalars[i + 1] == "!" || scalars[i + 1] == "?" {
                    var j = i + 1
                    while j < n, scalars[j] != ">" { j += 1 }
                    if j < n { out.append(" "); i = j + 1; continue }
                }
                out.append(c); i += 1; continue
            }
            if c == "&" {
                var j = i + 1
                var name = ""
                while j < n, j - i <= 10, scalars[j] != ";", scalars[j].properties.isAlphabetic || scalars[j].properties.numericType != nil || scalars[j] == "#" {
                    name.unicodeScalars.append(scalars[j]); j += 1
                }
                if j < n, scalars[j] == ";", !name.isEmpty {
                    if let rep = decodeEntity(name) { out.append(contentsOf: rep.unicodeScalars); i = j + 1; continue }
                }
                out.append(c); i += 1; continue
            }
            out.append(c); i += 1
        }
        return out
    }

    static func decodeEntity(_ name: String) -> String? {
        if name.hasPrefix("#") {
            let body = name.dropFirst()
            let value: UInt32?
            if body.hasPrefix("x") || body.hasPrefix("X") { value = UInt32(body.dropFirst(), radix: 16) } else { value = UInt32(body) }
            guard let v = value, let s = Unicode.Scalar(v) else { return nil }
            if v == 0xA0 { return " " }
            return String(Character(s))
        }
        return entities[name.lowercased()]
    }

    /// Collapses runs of whitespace (incl. NBSP, newlines) to one space and trims.
    public static func collapseWhitespace(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for ch in text {
            if ch.isWhitespace || ch == "\u{00A0}" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(ch)
            }
        }
        return out
    }

    /// Full normalisation for analysis: HTML stripped, lower-cased, `ё`→`е`, whitespace collapsed.
    public static func normalize(_ text: String) -> String {
        let stripped = stripHTML(text).lowercased()
        // Most texts have no ё (UTF-8 D1 91 once lower-cased): only those pay for Foundation's replacement.
        var hasYo = false, previous: UInt8 = 0
        for b in stripped.utf8 {
            if previous == 0xD1 && b == 0x91 { hasYo = true; break }
            previous = b
        }
        return hasYo ? stripped.replacingOccurrences(of: "ё", with: "е") : stripped
    }
}

/// Splits normalised text into word tokens: runs of letters/digits; hyphenated words stay whole
/// (`северо-западный`), other punctuation separates tokens.
public enum Tokenizer {
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            if s.properties.isAlphabetic || ("0"..."9").contains(s) {
                current.append(s)
            } else if s == "-", !current.isEmpty, i + 1 < scalars.count, scalars[i + 1].properties.isAlphabetic {
                current.append(s)
            } else if !current.isEmpty {
                tokens.append(String(current)); current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// Normalises and tokenises in one go.
    public static func normalizedTokens(_ text: String) -> [String] { tokenize(TextNormalizer.normalize(text)) }
}

/// Russian stop words (function words, pronouns, auxiliary verbs, politeness formulas typical for appeals).
public enum RussianStopWords {
    public static let words: Set<String> = [
        "а", "без", "более", "бы", "был", "была", "были", "было", "быть", "в", "вам", "вас", "весь", "во", "вот", "все",
        "всего", "всех", "вы", "где", "да", "даже", "для", "до", "его", "ее", "ей", "если", "есть", "еще", "же", "за",
        "здесь", "и", "из", "или", "им", "их", "к", "как", "ко", "когда", "кто", "ли", "либо", "мне", "может", "мы",
        "на", "над", "надо", "наш", "наша", "наше", "наши", "не", "него", "нее", "нет", "ни", "них", "но", "ну", "о",
        "об", "однако", "он", "она", "они", "оно", "от", "очень", "по", "под", "при", "с", "со", "так", "также", "такой",
        "там", "те", "тем", "то", "того", "тоже", "той", "только", "том", "ты", "у", "уже", "хотя", "чего", "чей", "чем",
        "что", "чтобы", "чье", "чья", "эта", "эти", "это", "этот", "этого", "этой", "этом", "я", "меня", "мой", "моя",
        "мои", "свой", "своей", "свои", "который", "которая", "которые", "которое", "котором", "которых", "сих", "пор",
        "уважаемый", "уважаемые", "здравствуйте", "добрый", "день", "пожалуйста", "прошу", "просим", "спасибо",
        "помогите", "просьба", "г", "ул", "д", "кв", "т", "е", "п", "др", "т.д", "нам", "ему", "её", "всё", "ещё",
        "сейчас", "потом", "будет", "будут", "этому", "тут", "этих", "тех", "раз", "также", "почему", "зачем",
    ]

    public static func contains(_ word: String) -> Bool { words.contains(word) }
}

/// Errors raised by the text-analysis layer.
public enum TextAnalysisError: Error, CustomStringConvertible {
    case stemmerUnavailable(String)
    case modelNotFound(String)
    case modelCorrupt(String)
    case dataMissing(String)

    public var description: String {
        switch self {
        case .stemmerUnavailable(let s): return "Snowball stemmer unavailable: \(s)"
        case .modelNotFound(let s): return "classifier model not found: \(s)"
        case .modelCorrupt(let s): return "classifier model is corrupt: \(s)"
        case .dataMissing(let s): return "data missing: \(s)"
        }
    }
}

/// One Snowball stemmer of libstemmer (UTF-8) for one language. `sb_stemmer` is not thread-safe, so each instance
/// owns its own C stemmer and must be used from one thread/task at a time (deliberately not `Sendable`; create one
/// per worker). Results are memoised per instance. A word the stemmer reduces to nothing is returned unchanged, as
/// PostgreSQL's Snowball dictionaries do.
public final class SnowballStemmer {
    private let handle: OpaquePointer
    private var cache: [String: String] = [:]

    public init(language: String) throws {
        guard let h = sb_stemmer_new(language, "UTF_8") else { throw TextAnalysisError.stemmerUnavailable("\(language)/UTF_8") }
        handle = h
    }

    deinit { sb_stemmer_delete(handle) }

    /// Stem of one lower-cased word.
    public func stem(_ word: String) -> String {
        if let c = cache[word] { return c }
        var bytes = Array(word.utf8)
        let stemmed: String? = bytes.withUnsafeMutableBufferPointer { buf -> String? in
            guard let base = buf.baseAddress, buf.count < Int(Int32.max) else { return nil }
            let outPtr = base.withMemoryRebound(to: sb_symbol.self, capacity: buf.count) {
                sb_stemmer_stem(handle, $0, Int32(buf.count))
            }
            guard let out = outPtr else { return nil }
            let len = Int(sb_stemmer_length(handle))
            guard len >= 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: out, count: len), as: UTF8.self)
        }
        let result = (stemmed?.isEmpty == false) ? (stemmed ?? word) : word
        if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
        cache[word] = result
        return result
    }
}

/// Snowball Russian stemmer for the text tools: words without Cyrillic letters (numbers, Latin) are returned as-is.
/// Not thread-safe (see `SnowballStemmer`).
public final class RussianStemmer {
    private let snowball: SnowballStemmer

    public init() throws { snowball = try SnowballStemmer(language: "russian") }

    /// Stem of one lower-cased word. Words without Cyrillic letters (numbers, Latin) are returned as-is.
    public func stem(_ word: String) -> String {
        word.unicodeScalars.contains(where: { (0x0400...0x04FF).contains($0.value) }) ? snowball.stem(word) : word
    }

    /// Normalise + tokenise + drop stop words + stem.
    public func stems(of text: String, dropStopWords: Bool = true) -> [String] {
        Tokenizer.normalizedTokens(text).compactMap { t in
            if dropStopWords, RussianStopWords.contains(t) { return nil }
            return stem(t)
        }
    }
}
