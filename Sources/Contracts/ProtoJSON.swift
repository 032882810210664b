import Foundation

/// A contract message that writes its own JSON (generated for every message by `scripts/gen_contracts.py`).
///
/// The output is, byte for byte, what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` gives for the
/// message's `Codable` form (the gateway's one JSON format): the generated code writes the keys in sorted order, so
/// nothing is buffered or sorted. Foundation's encoder builds a dictionary per object and sorts it — most of the
/// gateway's CPU on list pages at a million appeals. `ProtoJSONTests` holds the two encodings equal.
public protocol ProtoJSONWritable {
    func writeJSON(to w: inout ProtoJSONWriter) throws
}

/// A non-finite number, which the gateway's JSON cannot carry (`JSONEncoder` refuses it too).
public struct ProtoJSONNonConformingFloat: Error, CustomStringConvertible {
    public let value: Double
    public var description: String { "\(value) cannot be written as JSON" }
}

/// The byte writer behind `ProtoJSONWritable`: compact JSON, strings escaped as `JSONEncoder` escapes them
/// (`"`, `\`, `\b \f \n \r \t`, other control characters as `\u00XX`; `/` and non-ASCII text as they are).
public struct ProtoJSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// The `JSONEncoder` whose output the writer reproduces: the gateway's JSON format (sorted keys, unescaped
    /// slashes), for values that are not contract messages and for the tests that hold the two equal.
    public static var matchingEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The JSON of a message.
    public static func encode(_ message: some ProtoJSONWritable) throws -> [UInt8] {
        var w = ProtoJSONWriter()
        try message.writeJSON(to: &w)
        return w.bytes
    }

    public mutating func open() { bytes.append(UInt8(ascii: "{")) }
    public mutating func close() { bytes.append(UInt8(ascii: "}")) }

    /// `"key":`, preceded by a comma unless it is the object's first key. Keys are generated identifiers: no escaping.
    public mutating func key(_ key: StaticString, _ first: inout Bool) {
        if first { first = false } else { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func array<S: Sequence>(_ items: S, _ each: (inout ProtoJSONWriter, S.Element) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            try each(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func bool(_ value: Bool) {
        if value { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    public mutating func integer<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// As `JSONEncoder` writes a floating-point number: its shortest round-trip description, without a trailing ".0".
    public mutating func floating<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) throws {
        guard value.isFinite else { throw ProtoJSONNonConformingFloat(value: Double(value)) }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { text($0) }
    }

    /// A string of an unpacked protobuf-c message, written from its bytes without making a `String` (nil: the empty
    /// string, as `CBridge.string` reads it). The message's wire form must have passed `WireText`: UTF-8 without
    /// NUL, so the C string is the whole value.
    public mutating func cString(_ p: UnsafeMutablePointer<CChar>?) {
        guard let p else { return text(UnsafeBufferPointer(start: nil, count: 0)) }
        let n = strlen(p)
        p.withMemoryRebound(to: UInt8.self, capacity: n) { text(UnsafeBufferPointer(start: $0, count: n)) }
    }

    /// A repeated field of an unpacked protobuf-c message (`n` elements at `p`) as a JSON array.
    public mutating func cArray<C>(_ p: UnsafeMutablePointer<C>?, _ n: Int, _ each: (inout ProtoJSONWriter, C) throws -> Void) rethrows {
        try array(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n), each)
    }

    /// UTF-8 text as a JSON string. Runs of bytes that need no escape are found eight bytes at a time (a list page
    /// is mostly Cyrillic text, none of which is escaped) and appended at once.
    mutating func text(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        for i in Self.escapes(utf8) {
            let b = utf8[i]
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
            start = i + 1
            bytes.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(b)
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(b >> 4)], Self.hex[Int(b & 0xF)]])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        bytes.append(UInt8(ascii: "\""))
    }

    /// The positions of the bytes JSON must escape (`"`, `\\`, control characters), in order.
    static func escapes(_ utf8: UnsafeBufferPointer<UInt8>) -> [Int] {
        var out: [Int] = []
        guard let base = UnsafeRawPointer(utf8.baseAddress) else { return out }
        let n = utf8.count
        var i = 0
        while i + 8 <= n {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Some byte below 0x20, or equal to `"` or `\\` (the "has a byte less than / equal to" tests; every such
            // byte is ASCII, so `~v` keeps its high bit). It never misses one; a false alarm only costs the byte check.
            let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
            let quote = v ^ (ones &* 0x22), backslash = v ^ (ones &* 0x5C)
            let hit = ((v &- ones &* 0x20) | (quote &- ones) | (backslash &- ones)) & ~v & high
            if hit != 0 {
                for k in i..<(i + 8) where Self.needsEscape(utf8[k]) { out.append(k) }
            }
            i += 8
        }
        while i < n {
            if Self.needsEscape(utf8[i]) { out.append(i) }
            i += 1
        }
        return out
    }

    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") }
}
