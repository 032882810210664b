import Foundation

/// Escaping of text that comes from data (appeal texts, agency names, survey labels…) for HTML and
/// for the inline SVG (which must stay well-formed XML).
public enum Escape {
    /// Escapes `& < > " '` and drops characters that are not allowed in XML 1.0
    /// (C0 controls other than tab/newline/CR, lone surrogates are impossible in Swift strings,
    /// U+FFFE/U+FFFF). The result is safe both in element content and in quoted attribute values.
    public static func html(_ text: String) -> String {
        var out = String()
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                let v = scalar.value
                if v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v != 0x7F && v != 0xFFFE && v != 0xFFFF) {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Reduces an arbitrary string to a safe HTML/SVG id (`[A-Za-z0-9_-]`), prefixed with a letter.
    public static func identifier(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" {
                out.unicodeScalars.append(scalar)
            } else {
                out += "-"
            }
        }
        if out.isEmpty || !(out.unicodeScalars.first.map { CharacterSet.letters.contains($0) } ?? false) {
            out = "id-" + out
        }
        return out
    }

    /// Deterministic 32-bit FNV-1a hash rendered as 8 hex digits (used for default ids).
    static func fnv(_ text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}

/// Russian-style number formatting, independent of the process locale (deterministic output):
/// decimal comma, narrow no-break space (U+202F) as the thousands separator («12 345,6»),
/// a no-break space before the percent sign («97,4 %») and the true minus sign (U+2212).
public enum RuFormat {
    /// Thousands separator: U+202F NARROW NO-BREAK SPACE (a thin space that never wraps).
    public static let groupSeparator = "\u{202F}"
    /// Space between a number and its unit/percent sign: U+00A0 NO-BREAK SPACE.
    public static let unitSpace = "\u{00A0}"
    /// Typographic minus sign U+2212.
    public static let minus = "\u{2212}"
    /// Placeholder for missing / non-finite values.
    public static let missing = "—"

    /// Formats `value` with exactly `fractionDigits` digits after the decimal comma
    /// (rounded half away from zero). When `trimZeros` is set, trailing fractional zeros are removed.
    public static func number(_ value: Double, fractionDigits: Int = 0, trimZeros: Bool = false) -> String {
        guard value.isFinite else { return missing }
        let digits = max(0, min(fractionDigits, 6))
        var scale: Double = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e15 else {
            // Beyond exact integer range: fall back to an integer rendering.
            return (value < 0 ? minus : "") + group(String(format: "%.0f", abs(value)))
        }
        let whole = UInt64(scaled)
        let divisor = UInt64(scale)
        let intPart = whole / divisor
        var frac = digits > 0 ? String(whole % divisor) : ""
        if digits > 0 {
            frac = String(repeating: "0", count: digits - frac.count) + frac
            if trimZeros {
                while frac.hasSuffix("0") { frac.removeLast() }
            }
        }
        var out = group(String(intPart))
        if !frac.isEmpty { out += "," + frac }
        let isZero = whole == 0
        return (value < 0 && !isZero ? minus : "") + out
    }

    /// Integer with thousands grouping: «12 345».
    public static func integer(_ value: Int) -> String {
        number(Double(value), fractionDigits: 0)
    }

    /// A share given as a fraction (0.974) rendered as «97,4 %».
    public static func percent(_ fraction: Double, fractionDigits: Int = 1) -> String {
        guard fraction.isFinite else { return missing }
        return number(fraction * 100, fractionDigits: fractionDigits) + unitSpace + "%"
    }

    /// Signed number «+1,2» / «−1,2» / «0».
    public static func signed(_ value: Double, fractionDigits: Int = 1) -> String {
        guard value.isFinite else { return missing }
        let body = number(abs(value), fractionDigits: fractionDigits)
        let zero = number(0, fractionDigits: fractionDigits)
        if body == zero { return body }
        return (value > 0 ? "+" : minus) + body
    }

    /// Change of a share in percentage points, from fractions: 0.012 → «+1,2 п.п.».
    public static func percentagePoints(_ deltaFraction: Double, fractionDigits: Int = 1) -> String {
        signed(deltaFraction * 100, fractionDigits: fractionDigits) + unitSpace + "п.п."
    }

    /// Groups the digits of a non-negative integer string by three.
    static func group(_ digits: String) -> String {
        let chars = Array(digits)
        guard chars.count > 3 else { return digits }
        var out = ""
        for (i, ch) in chars.enumerated() {
            if i > 0 && (chars.count - i) % 3 == 0 { out += groupSeparator }
            out.append(ch)
        }
        return out
    }

    static let monthsNominative = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль",
                                   "август", "сентябрь", "октябрь", "ноябрь", "декабрь"]
    static let monthsGenitive = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                                 "августа", "сентября", "октября", "ноября", "декабря"]

    /// «2026-10» → «октябрь 2026 г.»; anything unparsable is returned unchanged.
    public static func period(_ period: String) -> String {
        let parts = period.split(separator: "-")
        guard parts.count >= 2, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else {
            return period
        }
        return "\(monthsNominative[month - 1]) \(year) г."
    }

    /// «2026-10-07» → «07.10»; anything unparsable is returned unchanged.
    public static func shortDay(_ isoDate: String) -> String {
        let parts = isoDate.split(separator: "-")
        guard parts.count == 3, parts[1].count == 2, parts[2].count >= 2 else { return isoDate }
        return "\(parts[2].prefix(2)).\(parts[1])"
    }

    /// Date-time in the given time zone: «7 ноября 2026 г., 09:05 (MSK)» style without locale data.
    public static func dateTime(_ date: Date, timeZoneIdentifier: String) -> String {
        let tz = TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(secondsFromGMT: 3 * 3600) ?? .current
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tz
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let month = (c.month ?? 1) - 1
        let monthName = monthsGenitive.indices.contains(month) ? monthsGenitive[month] : ""
        let hh = String(format: "%02d", c.hour ?? 0)
        let mm = String(format: "%02d", c.minute ?? 0)
        let offset = tz.secondsFromGMT(for: date) / 3600
        let utc = offset >= 0 ? "UTC+\(offset)" : "UTC\(RuFormat.minus)\(abs(offset))"
        return "\(c.day ?? 1) \(monthName) \(c.year ?? 1970) г., \(hh):\(mm) (\(utc))"
    }
}

/// Formatting of SVG coordinates: at most two decimals with a dot, trailing zeros trimmed,
/// never «-0». Deterministic regardless of locale.
enum SVGNum {
    static func f(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded(.toNearestOrAwayFromZero) / 100
        if r == 0 { return "0" }
        let neg = r < 0
        let scaled = UInt64((abs(r) * 100).rounded())
        let intPart = scaled / 100
        let frac = scaled % 100
        var s = String(intPart)
        if frac != 0 {
            var fs = frac < 10 ? "0\(frac)" : "\(frac)"
            while fs.hasSuffix("0") { fs.removeLast() }
            s += "." + fs
        }
        return (neg ? "-" : "") + s
    }
}

/// Value formats used for chart labels and axes.
public enum ValueFormat: Sendable, Hashable {
    /// Integer with thousands grouping.
    case integer
    /// Decimal with the given number of fraction digits.
    case decimal(Int)
    /// Input is a fraction (0…1), rendered as percent with the given number of fraction digits.
    case percent(Int)
    /// Decimal followed by a unit suffix, e.g. `.unit(1, "ч")` → «12,5 ч».
    case unit(Int, String)

    public func format(_ value: Double) -> String {
        switch self {
        case .integer: return RuFormat.number(value, fractionDigits: 0)
        case .decimal(let d): return RuFormat.number(value, fractionDigits: d)
        case .percent(let d): return RuFormat.percent(value, fractionDigits: d)
        case .unit(let d, let u): return RuFormat.number(value, fractionDigits: d) + RuFormat.unitSpace + u
        }
    }

    /// Axis tick label: number of decimals derived from the tick step.
    func tick(_ value: Double, step: Double) -> String {
        switch self {
        case .percent:
            return RuFormat.number(value * 100, fractionDigits: NiceScale.decimals(for: step * 100)) + RuFormat.unitSpace + "%"
        default:
            return RuFormat.number(value, fractionDigits: NiceScale.decimals(for: step))
        }
    }
}
