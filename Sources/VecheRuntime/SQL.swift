import Foundation

/// A value that can be sent as a text-format bind parameter.
public protocol PGBindable: Sendable {
    var pgText: String? { get }
}

extension String: PGBindable { public var pgText: String? { self } }
extension Substring: PGBindable { public var pgText: String? { String(self) } }
extension Int: PGBindable { public var pgText: String? { String(self) } }
extension Int32: PGBindable { public var pgText: String? { String(self) } }
extension Int64: PGBindable { public var pgText: String? { String(self) } }
extension Double: PGBindable { public var pgText: String? { isFinite ? String(self) : nil } }
extension Bool: PGBindable { public var pgText: String? { self ? "t" : "f" } }
extension UUID: PGBindable { public var pgText: String? { uuidString.lowercased() } }
extension Date: PGBindable { public var pgText: String? { PGTime.format(self) } }
extension Optional: PGBindable where Wrapped: PGBindable { public var pgText: String? { self?.pgText } }
extension Array: PGBindable where Element: PGBindable {
    /// A PostgreSQL array literal; use with an explicit cast, e.g. `= ANY(\(ids)::text[])`. Built on UTF-8 bytes
    /// (backslash and double quote escaped with a backslash; both are ASCII, so never part of a multi-byte
    /// character): batch inserts bind whole columns this way, and per-character string appends were a fifth of the
    /// intake's CPU.
    public var pgText: String? {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, v) in enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard var t = v.pgText else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(UInt8(ascii: "\""))
            t.withUTF8 { bytes in
                if !bytes.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) {
                    out.append(contentsOf: bytes)
                } else {
                    for b in bytes {
                        if b == UInt8(ascii: "\\") || b == UInt8(ascii: "\"") { out.append(UInt8(ascii: "\\")) }
                        out.append(b)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// SQL text with `$n` placeholders and their binds. Values interpolated with `\(x)` always become binds;
/// only `\(identifier:)` (quoted) and another `SQL` fragment (its binds renumbered) splice text.
public struct SQL: ExpressibleByStringInterpolation, Sendable, CustomStringConvertible {
    public var text: String
    public var binds: [String?]
    /// True when the statement is planned for its values at every call, never run as a prepared statement: for
    /// statements whose best plan depends on the bound values (dynamic list filters, text search, ranges).
    /// Carried through `+` and interpolation.
    public var planEachCall = false

    public init(stringLiteral value: String) {
        text = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
        planEachCall = stringInterpolation.planEachCall
    }

    /// The same statement, planned for its values at every call (see `planEachCall`).
    public func plannedEachCall() -> SQL {
        var out = self
        out.planEachCall = true
        return out
    }

    /// Builds `SQL` from an interpolated literal: values become `$n` binds, identifiers and fragments splice text.
    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [String?] = []
        var planEachCall = false
        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        public mutating func appendInterpolation<T: PGBindable>(_ value: T) {
            binds.append(value.pgText)
            text += "$\(binds.count)"
        }
        /// NULL when nil.
        public mutating func appendInterpolation<T: PGBindable>(_ value: T?) {
            binds.append(value?.pgText)
            text += "$\(binds.count)"
        }
        public mutating func appendInterpolation(identifier: String) {
            text += SQL.quoteIdentifier(identifier)
        }
        /// Splices a decimal integer literal, for the places PostgreSQL takes no parameter (e.g. a FETCH count).
        public mutating func appendInterpolation(integer value: Int) {
            text += String(value)
        }
        /// Splices another SQL fragment, renumbering its binds.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += SQL.renumber(fragment.text, offset: binds.count)
            binds += fragment.binds
            planEachCall = planEachCall || fragment.planEachCall
        }
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var out = lhs
        out.text += renumber(rhs.text, offset: lhs.binds.count)
        out.binds += rhs.binds
        out.planEachCall = lhs.planEachCall || rhs.planEachCall
        return out
    }

    static func renumber(_ text: String, offset: Int) -> String {
        guard offset > 0, text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "$" {
                var j = text.index(after: i)
                var digits = ""
                while j < text.endIndex, let d = text[j].wholeNumberValue, text[j].isASCII { digits.append(String(d)); j = text.index(after: j) }
                if let n = Int(digits) { out += "$\(n + offset)"; i = j; continue }
            }
            out.append(c)
            i = text.index(after: i)
        }
        return out
    }

    /// A double-quoted SQL identifier (embedded quotes doubled).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Joins fragments with a separator (e.g. " AND ").
    public static func join(_ parts: [SQL], separator: String) -> SQL {
        guard var out = parts.first else { return "" }
        for p in parts.dropFirst() { out = out + SQL(stringLiteral: separator) + p }
        return out
    }

    /// The statement text only; bind values are never printed (they may hold personal data).
    public var description: String { text }
}
