import Foundation

/// The rows of one statement and its affected-row count.
public struct PGResult: Sendable {
    public var rows: [PGRow]
    public var affectedRows: Int
    public var first: PGRow? { rows.first }
}

/// timestamptz in text form (binds and results; the session runs in UTC).
public enum PGTime {
    /// Text form of a timestamptz bind ("2026-12-02T22:56:30.123Z", UTC, milliseconds rounded as
    /// ISO8601DateFormatter rounds them). Written by hand with gmtime_r: it runs for every timestamp of every batch
    /// insert, and a new ISO8601DateFormatter per value (an ICU calendar each) was the intake's hottest spot.
    public static func format(_ d: Date) -> String {
        let ms = Int64((d.timeIntervalSince1970 * 1000).rounded())
        var seconds = ms / 1000
        var millis = ms % 1000
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2) + "T"
            + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2) + "." + pad(Int(millis), 3) + "Z"
    }

    /// Parses PostgreSQL's ISO output "2026-11-23 16:11:30.123456+00" (session TimeZone=UTC).
    public static func parse(_ s: String) -> Date? {
        var s = s
        return s.withUTF8 { parse(bytes: $0) }
    }

    /// `parse` over the text's UTF-8 bytes (a result value read in place from libpq).
    static func parse(bytes u: UnsafeBufferPointer<UInt8>) -> Date? {
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= u.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2) else { return nil }
        var i = 19
        var frac = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 { frac += Double(u[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offsetSeconds = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            let oh = num(i + 1, 2) ?? 0
            let om = (i + 3 < u.count && u[i + 3] == UInt8(ascii: ":")) ? (num(i + 4, 2) ?? 0) : 0
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        let days = daysFromCivil(y, mo, d)
        let secs = Double(days * 86400 + h * 3600 + mi * 60 + se - offsetSeconds) + frac
        return Date(timeIntervalSince1970: secs)
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// text[] literals in text form.
public enum PGArray {
    /// Parses a one-dimensional text array literal like {a,"b c",NULL}.
    public static func parse(_ s: String) -> [String] {
        guard s.count >= 2, s.first == "{", s.last == "}" else { return [] }
        let body = Array(s.dropFirst().dropLast())
        var out: [String] = []
        var cur = ""
        var quoted = false
        var wasQuoted = false
        var i = 0
        while i < body.count {
            let c = body[i]
            if quoted {
                if c == "\\", i + 1 < body.count { cur.append(body[i + 1]); i += 2; continue }
                if c == "\"" { quoted = false } else { cur.append(c) }
            } else if c == "\"" {
                quoted = true; wasQuoted = true
            } else if c == "," {
                if wasQuoted || cur != "NULL" { out.append(cur) }
                cur = ""; wasQuoted = false
            } else {
                cur.append(c)
            }
            i += 1
        }
        if !body.isEmpty, wasQuoted || cur != "NULL" { out.append(cur) }
        return out
    }
}

/// bytea in text form (hex).
public enum PGBytes {
    public static func encode(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\"); out[1] = UInt8(ascii: "x")
        for (i, b) in bytes.enumerated() {
            out[2 + i * 2] = hex[Int(b >> 4)]
            out[3 + i * 2] = hex[Int(b & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex without the `\x` prefix, as `decode(…, 'hex')` reads it (bytea columns bound as text arrays).
    public static func hexDigits(_ bytes: [UInt8]) -> String { String(encode(bytes).dropFirst(2)) }

    /// 64-bit words as lower-case hex, big-endian, 16 digits a word, no prefix (W3C trace and span ids; stem hashes
    /// for `decode(…, 'hex')`). Written straight into the string: trace ids are made for every message.
    public static func hexDigits(words: [UInt64]) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 16 * words.count) { out in
            var i = 0
            for word in words {
                for shift in stride(from: 60, through: 0, by: -4) {
                    out[i] = digits.utf8Start[Int(truncatingIfNeeded: word >> UInt64(shift)) & 0xf]
                    i += 1
                }
            }
            return i
        }
    }

    /// A bytea's text form (`\x` and hex digits), nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytea: $0) }
    }

    /// A bytea's text form (`\x` and hex digits) as libpq holds it, nil for anything else.
    public static func decode(bytea u: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard u.count >= 2, u[0] == UInt8(ascii: "\\"), u[1] == UInt8(ascii: "x") else { return nil }
        return decode(hexDigits: UnsafeBufferPointer(rebasing: u[2...]))
    }

    /// Hex digits without a prefix (either case), nil for an odd count or a byte that is not a hex digit.
    public static func decode(hexDigits u: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard u.count % 2 == 0 else { return nil }
        // The table is bound once: read inside the loop, the lazily initialised static cost a `swift_once` call per
        // digit (2 % of AppealService's CPU on lookups with a history).
        return nibbles.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let out = [UInt8](unsafeUninitializedCapacity: u.count / 2) { buffer, count in
                var i = 0, o = 0
                while i < u.count {
                    let h = table[Int(u[i])], l = table[Int(u[i + 1])]
                    guard h | l < 16 else { valid = false; break }
                    buffer[o] = h << 4 | l
                    o += 1
                    i += 2
                }
                count = o
            }
            return valid ? out : nil
        }
    }

    /// The value of each byte as a hex digit; 0xFF for a byte that is not one.
    private static let nibbles: [UInt8] = (0...255).map { (c: Int) -> UInt8 in
        switch c {
        case 48...57: return UInt8(c - 48)
        case 97...102: return UInt8(c - 87)
        case 65...70: return UInt8(c - 55)
        default: return 0xFF
        }
    }
}
