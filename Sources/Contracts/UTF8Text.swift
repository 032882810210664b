import Foundation

/// The one check of what a contract string may hold: UTF-8 without a NUL character (protobuf-c carries strings
/// NUL-terminated). One pass over the bytes that allocates nothing — the gateway checks every string of every
/// reply it decodes (a list page is about a thousand), and building a `String` only to validate it was a tenth of its
/// CPU on a list page.
public enum UTF8Text {
    /// Why `bytes` cannot be a contract string ("contains a NUL character (U+0000)", "is not valid UTF-8"), or nil.
    /// A NUL is reported even when invalid UTF-8 comes first.
    public static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            // Eight ASCII bytes at a time; a zero byte among them is a NUL.
            if i + 8 <= n {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if v & 0x8080_8080_8080_8080 == 0 {
                    if (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 != 0 { return nul }
                    i += 8
                    continue
                }
            }
            let c = base[i]
            if c < 0x80 {
                if c == 0 { return nul }
                i += 1
                continue
            }
            let length = sequenceLength(base, i, n)
            if length == 0 { return memchr(base + i, 0, n - i) != nil ? nul : invalid }
            i += length
        }
        return nil
    }

    static let nul = "contains a NUL character (U+0000)"
    static let invalid = "is not valid UTF-8"

    /// Length of the well-formed multi-byte sequence starting at `i` (Unicode table 3-7: no overlong forms, no
    /// surrogates, nothing above U+10FFFF), or 0.
    @inline(__always)
    static func sequenceLength(_ b: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        func cont(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool { k < n && b[k] >= low && b[k] <= high }
        let c = b[i]
        switch c {
        case 0xC2...0xDF:
            return cont(i + 1) ? 2 : 0
        case 0xE0:
            return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0
        case 0xED:
            return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xF0:
            return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4:
            return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0
        default:
            return 0
        }
    }
}
