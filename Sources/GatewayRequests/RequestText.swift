import Contracts

/// Text hygiene of what the gateway accepts, one rule for the gateway and the fuzz targets: no NUL character
/// and nothing but UTF-8, since protobuf-c and PostgreSQL would cut such text short instead of storing it as
/// sent. Contract messages refuse U+0000 in their generated `Codable` (naming the field); the gateway's own
/// bodies list their strings (`GatewayRequestBody.texts`); URLs are checked before routing.
public enum RequestText {
    /// 400 when one of `texts` holds a NUL character.
    public static func refuseNUL(_ texts: [String]) throws {
        if texts.contains(where: { $0.utf8.contains(0) }) {
            throw RPCError.invalidArgument("the request body contains a NUL character (U+0000), which is not allowed in text")
        }
    }

    /// Percent-decodes a URL path or query (a `%` without two hex digits stays as it is)
    /// and reports a NUL or invalid UTF-8; nil when the text is fine.
    public static func problem(inURL s: String) -> String? {
        let utf8 = Array(s.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        if bytes.contains(0) { return "contains a NUL character (U+0000)" }
        if String(validating: bytes, as: UTF8.self) == nil { return "is not valid UTF-8" }
        return nil
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
