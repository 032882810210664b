import Foundation
import Proto

/// A message of the Veche contracts: a Sendable value type with a protobuf wire form.
public protocol ProtoMessage: Sendable, Hashable, Codable, ProtoJSONWritable {
    static var protoName: String { get }
    init()
    func serializedBytes() -> [UInt8]
    init(serializedBytes: [UInt8]) throws
    /// The JSON of the message whose wire form is `bytes`, without decoding it into a value first.
    static func json(serializedBytes: [UInt8]) throws -> [UInt8]
}

/// A proto enum. Unknown wire values decode to `defaultValue` (the *_UNSPECIFIED case).
public protocol ProtoEnum: RawRepresentable, Sendable, Hashable, CaseIterable, Codable where RawValue == Int32 {
    static var defaultValue: Self { get }
    /// Stable lower_snake name without the enum prefix (used in JSON, subjects and SQL).
    var name: String { get }
}

extension ProtoEnum {
    public init(protoRawValue: Int32) { self = Self(rawValue: protoRawValue) ?? Self.defaultValue }

    /// The case called `name`, in any letter case. Names as stored (lower case) match without lower-casing first:
    /// AppealService reads two enums for each row of a list page.
    public init?(name: String) {
        if let match = Self.allCases.first(where: { $0.name == name }) {
            self = match
            return
        }
        let wanted = name.lowercased()
        guard wanted != name, let match = Self.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = match
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int32.self) {
            self = Self(protoRawValue: n)
            return
        }
        let s = try c.decode(String.self)
        guard let v = Self(name: s) else {
            let allowed = Self.allCases.map(\.name).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown value '\(s)'; expected one of: \(allowed)")
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A contract message's bytes could not be decoded: protobuf-c refused them or a string field is malformed.
public struct ProtoDecodingError: Error, CustomStringConvertible {
    public let messageType: String
    public let byteCount: Int
    public var description: String { "malformed \(messageType) (\(byteCount) bytes)" }
}

/// Bridges a Swift message to its protobuf-c struct. Generated for every message.
public protocol CMessageBridge {
    associatedtype CType
    static func cInit(_ p: UnsafeMutablePointer<CType>)
    static func cPackedSize(_ p: UnsafePointer<CType>) -> Int
    static func cPack(_ p: UnsafePointer<CType>, _ out: UnsafeMutablePointer<UInt8>) -> Int
    static func cUnpack(_ len: Int, _ data: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CType>?
    static func cFree(_ p: UnsafeMutablePointer<CType>)
    init(c: CType)
    func fill(_ p: UnsafeMutablePointer<CType>, arena: CArena)
    /// Writes the JSON of an unpacked message: the bytes `writeJSON(to:)` gives for `init(c:)` of it.
    static func writeJSON(c: CType, to w: inout ProtoJSONWriter) throws
}

extension ProtoMessage where Self: CMessageBridge {
    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        defer { arena.releaseAll() }
        let p = arena.message(self)
        let size = Self.cPackedSize(p)
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
            guard let base = buf.baseAddress else { initialized = 0; return }
            initialized = Self.cPack(p, base)
        }
    }

    /// Decodes the wire form. String fields with a NUL character or invalid UTF-8 are refused with
    /// `ProtoTextError` (protobuf-c would truncate them at the NUL).
    public init(serializedBytes bytes: [UInt8]) throws {
        self = try Self.withUnpacked(bytes) { Self(c: $0.pointee) }
    }

    /// The JSON of the message whose wire form is `bytes` (what `ProtoJSONWriter.encode` writes for
    /// `init(serializedBytes:)` of them, refusing the same input), written from the unpacked C struct: no Swift
    /// value is made. The gateway passes list pages and appeals through this way.
    public static func json(serializedBytes bytes: [UInt8]) throws -> [UInt8] {
        try withUnpacked(bytes) { p in
            // JSON of a contract message is rarely more than twice its wire size (field names, escapes).
            var w = ProtoJSONWriter(capacity: max(4096, 2 * bytes.count))
            try writeJSON(c: p.pointee, to: &w)
            return w.bytes
        }
    }

    /// Unpacks `bytes` with protobuf-c and checks every string field (`WireText`) before `body` reads the struct.
    static func withUnpacked<T>(_ bytes: [UInt8], _ body: (UnsafeMutablePointer<CType>) throws -> T) throws -> T {
        let unpacked = bytes.withUnsafeBufferPointer { Self.cUnpack($0.count, $0.baseAddress) }
        guard let p = unpacked else { throw ProtoDecodingError(messageType: Self.protoName, byteCount: bytes.count) }
        defer { Self.cFree(p) }
        let descriptor = UnsafeRawPointer(p).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
        if let descriptor {
            do {
                try WireText.validate(bytes, descriptor: descriptor, messageType: Self.protoName)
            } catch is WireText.Malformed {
                throw ProtoDecodingError(messageType: Self.protoName, byteCount: bytes.count)
            }
        }
        return try body(p)
    }
}

/// Owns the C memory built while encoding one message; everything is freed at once. Pieces are carved from
/// 16 KiB blocks (a bump allocator): a list page of 50 appeals is about a thousand strings and sub-messages, and a
/// `malloc` and `free` each was a tenth of appeal-service's CPU on a list page. A piece larger than a quarter of a
/// block gets a block of its own.
public final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    static let blockSize = 16 * 1024
    static let alignment = 16

    public init() {}

    public func releaseAll() {
        for p in blocks { free(p) }
        blocks.removeAll()
        cursor = nil
        remaining = 0
    }

    deinit { releaseAll() }

    /// `bytes` (at least one) of uninitialised memory aligned to 16 bytes, valid until `releaseAll`.
    private func raw(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = (max(bytes, 1) + Self.alignment - 1) & ~(Self.alignment - 1)
        if size > Self.blockSize / 4 { return block(size) }
        if size > remaining {
            cursor = block(Self.blockSize)
            remaining = Self.blockSize
        }
        let p = cursor!
        cursor = p + size
        remaining -= size
        return p
    }

    private func block(_ size: Int) -> UnsafeMutableRawPointer {
        // malloc aligns to 16 bytes on the platforms Swift supports.
        guard let p = malloc(size) else { fatalError("out of memory encoding protobuf message") }
        blocks.append(p)
        return p
    }

    /// A protobuf-c string is a NUL-terminated C string: a U+0000 inside `s` would cut the value short on the
    /// wire, so it travels as U+FFFD and the rest of the text arrives (JSON input with U+0000 is refused earlier,
    /// see `KeyedDecodingContainer.decodeProtoString`). The UTF-8 bytes are copied once, straight into the arena.
    public func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        var text = s
        let copied: UnsafeMutablePointer<CChar>? = text.withUTF8 { utf8 in
            if let base = utf8.baseAddress, memchr(base, 0, utf8.count) != nil { return nil }
            let p = raw(utf8.count + 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
            if let base = utf8.baseAddress { memcpy(p, base, utf8.count) }
            p[utf8.count] = 0
            return p
        }
        return copied ?? string(s.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}"))
    }

    public func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let p = raw(bytes.count).bindMemory(to: UInt8.self, capacity: max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { buf in
            if let base = buf.baseAddress { p.update(from: base, count: buf.count) }
        }
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    public func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = raw(MemoryLayout<T>.stride * values.count).bindMemory(to: T.self, capacity: values.count)
        p.initialize(from: values, count: values.count)
        return p
    }

    public func strings(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        array(values.map { Optional(string($0)) })
    }

    public func message<M: CMessageBridge>(_ m: M) -> UnsafeMutablePointer<M.CType> {
        let p = raw(MemoryLayout<M.CType>.stride).bindMemory(to: M.CType.self, capacity: 1)
        M.cInit(p)
        m.fill(p, arena: self)
        return p
    }

    public func messages<M: CMessageBridge>(_ ms: [M]) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CType>?>? {
        array(ms.map { Optional(message($0)) })
    }
}

/// Reading helpers for unpacked protobuf-c structs (never force-unwraps C data).
public enum CBridge {
    public static func string(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    public static func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        string(UnsafePointer(p))
    }

    public static func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard let data = b.data, b.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    public static func array<C, T>(_ p: UnsafeMutablePointer<C>?, _ n: Int, _ transform: (C) -> T) -> [T] {
        guard let p, n > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: n).map(transform)
    }
}

extension KeyedDecodingContainer {
    /// A string field of a contract message. protobuf-c carries strings as NUL-terminated C strings, so a value
    /// with U+0000 cannot reach a service intact; such input is refused with an error naming the field (the
    /// gateway answers 400) instead of being cut short or altered.
    public func decodeProtoString(forKey key: Key) throws -> String? {
        guard let s = try decodeIfPresent(String.self, forKey: key) else { return nil }
        try Self.refuseNUL(s, key, self)
        return s
    }

    /// A repeated string field (see `decodeProtoString`).
    public func decodeProtoStrings(forKey key: Key) throws -> [String]? {
        guard let list = try decodeIfPresent([String].self, forKey: key) else { return nil }
        for s in list { try Self.refuseNUL(s, key, self) }
        return list
    }

    private static func refuseNUL(_ s: String, _ key: Key, _ container: Self) throws {
        if s.utf8.contains(0) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "\(key.stringValue) contains a NUL character (U+0000), which a contract string cannot carry")
        }
    }
}
