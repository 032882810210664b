import Testing
import VecheRuntime

/// Hex forms of bytea values: words are written big-endian, 16 lower-case digits each, as their bytes would be; the
/// text form reads back to the bytes.
@Suite("PGBytes: hex of 64-bit words equals hex of their big-endian bytes; the text form reads back")
struct PGBytesTests {
    @Test func wordsAreTheirBigEndianBytes() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 7] {
            let words = (0..<n).map { _ in rng.next() as UInt64 } + [0, 1, .max]
            let bytes = words.flatMap { w in stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: w >> UInt64($0)) } }
            #expect(PGBytes.hexDigits(words: words) == PGBytes.hexDigits(bytes))
        }
        #expect(PGBytes.hexDigits(words: [0x0123_4567_89ab_cdef, 1]) == "0123456789abcdef0000000000000001")
        #expect(PGBytes.hexDigits(words: []) == "")
    }

    /// The text form of bytea is read back to the bytes in either case of hex digit; anything else is nil.
    @Test func textFormDecodesBackAndRejectsWhatIsNotHex() {
        let bytes: [UInt8] = Array(0...255)
        #expect(PGBytes.decode(PGBytes.encode(bytes)) == bytes)
        #expect(PGBytes.decode("\\x" + PGBytes.hexDigits(bytes).uppercased()) == bytes)
        #expect(PGBytes.decode("\\x") == [])
        for bad in ["", "\\", "x00", "\\x0", "\\x0g", "\\xg0", "\\x00 ", "\\x00\u{0}0"] { #expect(PGBytes.decode(bad) == nil, "\(bad)") }
    }
}
