import Proto

/// A protobuf string field that is not text the platform can store: it holds a NUL character or is not
/// UTF-8. protobuf-c hands strings over NUL-terminated, so such input would be silently truncated (and two
/// different ids that differ after a NUL would collide); it is refused instead.
public struct ProtoTextError: Error, Hashable, Sendable, CustomStringConvertible {
    public var messageType: String
    /// Dotted field path, e.g. `appeal.text`.
    public var field: String
    public var problem: String
    public var description: String { "\(messageType): field \(field) \(problem)" }
}

/// Walks the wire form of a message with its protobuf-c descriptor and checks every string field,
/// nested messages included, before the bytes are unpacked.
enum WireText {
    static func validate(_ bytes: [UInt8], descriptor: UnsafePointer<ProtobufCMessageDescriptor>, messageType: String) throws {
        try bytes.withUnsafeBufferPointer { buf in
            try walk(buf, descriptor: descriptor, path: { "" }, messageType: messageType, depth: 0)
        }
    }

    struct Malformed: Error {}

    /// `path` names the message being walked (dotted field path); it is only called to name a refused field, so
    /// walking a valid message builds no strings.
    static func walk(_ b: UnsafeBufferPointer<UInt8>, descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
                     path: () -> String, messageType: String, depth: Int) throws {
        guard depth < 64 else { throw Malformed() }
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < b.count, shift < 64 {
                let byte = b[i]; i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return v }
                shift += 7
            }
            throw Malformed()
        }
        while i < b.count {
            let tag = try varint()
            let number = UInt32(truncatingIfNeeded: tag >> 3)
            switch tag & 7 {
            case 0: _ = try varint()
            case 1: i += 8
            case 5: i += 4
            case 2:
                let len = Int(try varint())
                guard len >= 0, len <= b.count - i else { throw Malformed() }
                let slice = UnsafeBufferPointer(rebasing: b[i..<(i + len)])
                i += len
                guard let field = protobuf_c_message_descriptor_get_field(descriptor, number) else { continue }
                func name() -> String {
                    let parent = path(), own = String(cString: field.pointee.name)
                    return parent.isEmpty ? own : parent + "." + own
                }
                switch field.pointee.type {
                case PROTOBUF_C_TYPE_STRING:
                    if let problem = UTF8Text.problem(slice) {
                        throw ProtoTextError(messageType: messageType, field: name(), problem: problem)
                    }
                case PROTOBUF_C_TYPE_MESSAGE:
                    if let nested = field.pointee.descriptor?.assumingMemoryBound(to: ProtobufCMessageDescriptor.self) {
                        try walk(slice, descriptor: nested, path: name, messageType: messageType, depth: depth + 1)
                    }
                default:
                    break
                }
            default:
                throw Malformed()
            }
            guard i <= b.count else { throw Malformed() }
        }
    }
}
