import Foundation

/// The lexemes PostgreSQL's `to_tsvector('russian', text)` gives a text (without positions), computed in the
/// service so that storing an appeal does not run PostgreSQL's text parser and Snowball stemmer (issue #10 item 4:
/// they tripled the cost of inserting an appeal).
///
/// It reproduces PostgreSQL's default parser and the `russian` configuration for the tokens ordinary appeal text is
/// made of: words (Cyrillic → `russian_stem`, ASCII-only → `english_stem`, each with PostgreSQL's own stop-word
/// files, shipped as resources), numbers and letter-digit words (`simple`: lower-cased), words joined by single
/// hyphens (the whole compound and each part), signed numbers, decimals and dates ("17.05.2021"), house numbers
/// ("5/1"), tags without attributes and character entities (dropped), and punctuation between them. For a text
/// with anything the parser reads in ways this does not follow — e-mail addresses, hosts, URLs, paths, tags with
/// attributes, underscores, other scripts, combining marks — `lexemes(of:)` returns nil and PostgreSQL computes
/// the vector itself (the `appeals` trigger of AppealService migration 18). `SearchLexemesTests` compares the
/// result with the server's `to_tsvector('russian', …)` on real appeals. Not thread-safe (it owns two stemmers):
/// one per worker.
public final class SearchLexemes {
    private let russian: SnowballStemmer
    private let english: SnowballStemmer
    private let russianStop: Set<String>
    private let englishStop: Set<String>
    /// Tokens longer than this (UTF-8 bytes) are left to PostgreSQL (it skips stemming over 1,000 and drops words over 2,047).
    static let maxTokenBytes = 200

    public init() throws {
        russian = try SnowballStemmer(language: "russian")
        english = try SnowballStemmer(language: "english")
        russianStop = try Self.stopWords("pg-russian")
        englishStop = try Self.stopWords("pg-english")
    }

    /// PostgreSQL 15's stop-word file (`tsearch_data/<language>.stop`), one lower-case word per line.
    static func stopWords(_ name: String) throws -> Set<String> {
        guard let url = Bundle.module.url(forResource: name, withExtension: "stop", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: name, withExtension: "stop") else {
            throw TextAnalysisError.dataMissing("\(name).stop")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
    }

    /// The distinct lexemes of `text`, sorted, or nil when PostgreSQL must compute them.
    public func lexemes(of text: String) -> [String]? {
        if case .lexemes(let l) = scan(text) { return l }
        return nil
    }

    /// What `scan` found: the lexemes, or the position (in Unicode scalars) of what it leaves to PostgreSQL.
    enum Scan: Equatable { case lexemes([String]), uncovered(at: Int) }

    /// The token just read, which decides how a following '.', '-' or '/' is read.
    private enum Last { case none, cyrillicWord, otherWord, compound, number, signedNumber, dotChain, slashChain }

    func scan(_ text: String) -> Scan {
        let s = Array(text.unicodeScalars)
        func kind(_ j: Int) -> Kind { j >= 0 && j < s.count ? Self.kind(s[j]) : .blank }
        var out = Set<String>()
        var i = 0
        var last = Last.none
        while i < s.count {
            switch kind(i) {
            case .unsafe:
                return .uncovered(at: i)
            case .blank:
                i += 1
                last = .none
            case .dot:
                // An ellipsis after a word is a blank; two dots may be a token of their own ("кв.. Трубы" gives "..").
                var dots = i
                while kind(dots) == .dot { dots += 1 }
                if dots - i > 1 {
                    guard dots - i == 3, kind(i - 1) != .digit else { return .uncovered(at: i) }
                    i = dots
                    last = .none
                    continue
                }
                // Between two letters or digits PostgreSQL may read a host, a file name or a decimal number; it reads
                // a Cyrillic word or a number, '.', then a Cyrillic word as separate tokens ("ул.Ленина", "1.Прошу"),
                // and a Cyrillic word, '.', a number too ("д.5").
                if kind(i - 1).isAlnum, kind(i + 1).isAlnum {
                    let covered = switch last {
                    case .cyrillicWord: kind(i + 1) == .cyrillic || kind(i + 1) == .digit
                    case .number, .dotChain: kind(i + 1) == .cyrillic
                    default: false
                    }
                    guard covered else { return .uncovered(at: i) }
                }
                i += 1
                last = .none
            case .hyphen:
                if kind(i + 1) == .digit {
                    // A sign: "-5", "ул-5", "1-2" (1 and -2), "-13.05"; a date after a hyphen keeps no sign.
                    // After a date or a hyphenated compound ("ответственный-ЖКС-2") the parser reads it otherwise.
                    guard last != .dotChain, last != .slashChain, last != .compound, let n = Self.number(s, from: i + 1) else {
                        return .uncovered(at: i)
                    }
                    switch n.separator {
                    case nil, "." where n.groups == 2: out.insert("-" + Self.lowercased(s[n.range]))
                    case ".": out.insert(Self.lowercased(s[n.range]))
                    default: return .uncovered(at: i)
                    }
                    guard !kind(n.range.upperBound).isAlnum else { return .uncovered(at: i) }
                    i = n.range.upperBound
                    last = n.separator == nil ? .signedNumber : .dotChain
                    continue
                }
                // After a number and before a letter it is a blank ("5-й"); a hyphen between two letters is taken
                // with its compound below, so one seen here stands between non-letters.
                if kind(i - 1) == .digit, last != .number { return .uncovered(at: i) }
                i += 1
                last = .none
            case .slash:
                // Between a number and a Cyrillic letter ("5/а") or between spaces it is a blank; elsewhere it may
                // start or continue a path ("/p", "/_", "и/или").
                func space(_ j: Int) -> Bool { j < 0 || j >= s.count || s[j].properties.isWhitespace }
                let blank = (last == .number && kind(i + 1) == .cyrillic) || (space(i - 1) && space(i + 1))
                guard blank else { return .uncovered(at: i) }
                i += 1
                last = .none
            case .open:
                // A tag without attributes ("<p>", "</p>", "<br />"): PostgreSQL drops it.
                guard let end = Self.tagEnd(s, from: i) else { return .uncovered(at: i) }
                i = end
                last = .none
            case .ampersand:
                // A character entity ("&nbsp;", "&#171;"): PostgreSQL drops it.
                guard let end = Self.entityEnd(s, from: i) else { return .uncovered(at: i) }
                i = end
                last = .none
            case .ascii, .cyrillic, .digit:
                if let n = Self.number(s, from: i), let separator = n.separator {
                    // Digit groups joined by single dots (a decimal "12.5", a date "17.05.2021") or slashes (a house
                    // "5/1") are one token; letters right after it start a word of their own ("16.02.2022г", "5/1а"),
                    // except Latin ones after slashes, which continue the file name ("12/12IT").
                    let end = n.range.upperBound
                    if separator == "/", kind(end) == .hyphen || kind(end) == .ascii || (kind(end) == .dot && kind(end + 1).isAlnum) {
                        return .uncovered(at: end)
                    }
                    if separator == ".", kind(end) == .slash { return .uncovered(at: end) }
                    out.insert(Self.lowercased(s[n.range]))
                    i = end
                    last = separator == "." ? .dotChain : .slashChain
                    continue
                }
                // A run of letters and digits, then further runs joined by single hyphens between letters.
                var parts: [Range<Int>] = []
                var start = i
                while true {
                    var end = start
                    while kind(end).isAlnum { end += 1 }
                    parts.append(start..<end)
                    if kind(end) == .hyphen, kind(end + 1).isLetter, kind(end - 1).isLetter {
                        start = end + 1
                    } else {
                        i = end
                        break
                    }
                }
                guard add(parts, of: s, to: &out) else { return .uncovered(at: parts[0].lowerBound) }
                let run = s[parts[0].lowerBound..<i]
                last = parts.count > 1 ? .compound
                    : run.allSatisfy { Self.kind($0) == .digit } ? .number
                    : run.allSatisfy { Self.kind($0) == .cyrillic } ? .cyrillicWord : .otherWord
            }
        }
        return .lexemes(out.sorted())
    }

    /// Digit groups from `i` joined by single dots or by single slashes (not both): where they are, the number of
    /// groups and the separator (nil: one group). Nil when `i` is not a digit.
    static func number(_ s: [Unicode.Scalar], from i: Int) -> (range: Range<Int>, groups: Int, separator: Unicode.Scalar?)? {
        func digit(_ j: Int) -> Bool { j < s.count && kind(s[j]) == .digit }
        guard digit(i) else { return nil }
        var end = i
        while digit(end) { end += 1 }
        var groups = 1
        var separator: Unicode.Scalar?
        while end < s.count, s[end] == "." || s[end] == "/", separator == nil || separator == s[end], digit(end + 1) {
            separator = s[end]
            end += 1
            while digit(end) { end += 1 }
            groups += 1
        }
        return (i..<end, groups, separator)
    }

    /// Adds the lexemes of one token (a single run, or a hyphenated compound of letter-only parts). False when it
    /// is one PostgreSQL reads differently (a compound with digits, a token too long).
    private func add(_ parts: [Range<Int>], of s: [Unicode.Scalar], to out: inout Set<String>) -> Bool {
        func string(_ r: Range<Int>) -> String { Self.lowercased(s[r]) }
        func isASCII(_ r: Range<Int>) -> Bool { s[r].allSatisfy { $0.isASCII } }
        func hasDigit(_ r: Range<Int>) -> Bool { s[r].contains { Self.kind($0) == .digit } }
        let whole = parts[0].lowerBound..<parts[parts.count - 1].upperBound
        guard whole.count <= Self.maxTokenBytes else { return false }
        let token = string(whole)
        guard token.utf8.count <= Self.maxTokenBytes else { return false }
        if parts.count == 1 {
            if hasDigit(whole) {
                out.insert(token)   // uint or numword: the `simple` dictionary
            } else {
                insertWord(token, ascii: isASCII(whole), into: &out)
            }
            return true
        }
        guard !parts.contains(where: hasDigit) else { return false }
        insertWord(token, ascii: isASCII(whole), into: &out)   // asciihword / hword
        for p in parts { insertWord(string(p), ascii: isASCII(p), into: &out) }   // hword_asciipart / hword_part
        return true
    }

    /// `english_stem` for ASCII-only words, `russian_stem` for the others: a stop word gives nothing.
    private func insertWord(_ w: String, ascii: Bool, into out: inout Set<String>) {
        if ascii {
            if !englishStop.contains(w) { out.insert(english.stem(w)) }
        } else {
            if !russianStop.contains(w) { out.insert(russian.stem(w)) }
        }
    }

    /// The end of an attribute-free tag starting at `i` ('<', optional '/', a Latin letter, letters and digits,
    /// spaces, optional '/', '>'), or nil.
    static func tagEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        if j < s.count, s[j] == "/" { j += 1 }
        guard j < s.count, kind(s[j]) == .ascii else { return nil }
        while j < s.count, kind(s[j]) == .ascii || kind(s[j]) == .digit { j += 1 }
        while j < s.count, s[j] == " " { j += 1 }
        if j < s.count, s[j] == "/" { j += 1 }
        guard j < s.count, s[j] == ">" else { return nil }
        return j + 1
    }

    /// The end of a character entity starting at `i` ("&" Latin letters ";" or "&#" digits ";"), or nil.
    static func entityEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        let numeric = j < s.count && s[j] == "#"
        if numeric { j += 1 }
        let start = j
        while j < s.count, numeric ? kind(s[j]) == .digit : kind(s[j]) == .ascii { j += 1 }
        guard j > start, j < s.count, s[j] == ";" else { return nil }
        return j + 1
    }

    /// A token of ASCII letters, digits, Cyrillic letters (and the dots and slashes of a number) in lower case (what
    /// PostgreSQL's `lowerstr` gives for them), built from UTF-8 bytes without Foundation's general Unicode lower-casing.
    static func lowercased(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count * 2)
        for c in scalars {
            var v = c.value
            switch v {
            case 0x41...0x5A, 0x0410...0x042F: v += 0x20
            case 0x0400...0x040F: v += 0x50
            case 0x0460...0x0481, 0x048A...0x04BF, 0x04D0...0x04FF: if v & 1 == 0 { v += 1 }   // pairs: even upper, odd lower
            case 0x04C1...0x04CE: if v & 1 == 1 { v += 1 }                                       // pairs: odd upper, even lower
            case 0x04C0: v = 0x04CF
            default: break
            }
            if v < 0x80 {
                bytes.append(UInt8(v))
            } else {   // every scalar here is below U+0800: two bytes
                bytes.append(UInt8(0xC0 | (v >> 6)))
                bytes.append(UInt8(0x80 | (v & 0x3F)))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// How the parser treats one character, as far as this reproduction goes.
    enum Kind: Equatable {
        case ascii, cyrillic, digit, dot, hyphen, slash, open, ampersand, blank, unsafe
        var isLetter: Bool { self == .ascii || self == .cyrillic }
        var isAlnum: Bool { isLetter || self == .digit }
    }

    static func kind(_ c: Unicode.Scalar) -> Kind {
        switch c.value {
        case 0x30...0x39: return .digit
        case 0x41...0x5A, 0x61...0x7A: return .ascii
        case 0x2E: return .dot
        case 0x2D: return .hyphen
        case 0x3C: return .open
        case 0x2F: return .slash
        case 0x26: return .ampersand
        // Whitespace and punctuation PostgreSQL's parser reads as blanks between tokens.
        case 0x09, 0x0A, 0x0D, 0x20, 0x21, 0x22, 0x23, 0x25, 0x28, 0x29, 0x2A, 0x2C, 0x3A, 0x3B, 0x3F, 0x5B, 0x5D, 0x7B, 0x7D: return .blank
        case 0x00...0x7F: return .unsafe   // @ > _ \ ~ + = $ ^ ` | ' and control characters (parts of paths, hosts, e-mail)
        case 0x0400...0x0481, 0x048A...0x04FF: return .cyrillic
        default:
            let p = c.properties
            if p.isAlphabetic || p.numericType != nil { return .unsafe }
            switch p.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .format, .control, .surrogate, .privateUse, .unassigned: return .unsafe
            default: return .blank   // «» — – … № “ ” and other symbols
            }
        }
    }
}
