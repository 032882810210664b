import Contracts
import Testing

/// `UTF8Text.problem`, the one-pass check of every contract string the gateway and the services decode, says
/// exactly what the standard library's validation and a NUL search say together — on the boundaries of table 3-7 of
/// the Unicode standard and on random byte strings made of the bytes those boundaries are about.
@Suite struct UTF8TextTests {
    /// What the check stood for before: a NUL first, then `String(validating:)`.
    static func reference(_ bytes: [UInt8]) -> String? {
        if bytes.contains(0) { return "contains a NUL character (U+0000)" }
        return String(validating: bytes, as: UTF8.self) == nil ? "is not valid UTF-8" : nil
    }

    static func problem(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBufferPointer { UTF8Text.problem($0) } }

    @Test("Boundary sequences: overlong forms, surrogates, code points above U+10FFFF, truncated sequences, NUL in the 8-byte fast path and after invalid bytes")
    func boundaries() {
        let cases: [[UInt8]] = [
            [], Array("Прорвало трубу на ул. Ленина, 10".utf8), Array("ascii only, long enough for words".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF], [0xDF],
            [0xE0, 0x9F, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xE1, 0x80],
            [0xF0, 0x8F, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0x80], [0xBF], [0xFE], [0xFF],
            Array("abcdefg".utf8) + [0] + Array("hijklmnop".utf8), Array("abcdefgh".utf8) + [0], [0] + Array("abcdefghij".utf8),
            [0xFF, 0x41, 0x42, 0, 0x43], [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0xD0, 0x9F],
        ]
        for c in cases { #expect(Self.problem(c) == Self.reference(c), "\(c)") }
        #expect(Self.problem([0xED, 0xA0, 0x80]) == "is not valid UTF-8")
        #expect(Self.problem([0xFF, 0x41, 0]) == "contains a NUL character (U+0000)")
    }

    @Test("200,000 random byte strings over ASCII, NUL, continuation and lead bytes agree with the reference")
    func randomStrings() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xD0, 0xDF, 0xE0, 0xE1, 0xED, 0xEF,
                                 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var disagreements = 0
        for _ in 0..<200_000 {
            let n = Int.random(in: 0...24, using: &rng)
            // Mostly ASCII letters so that the 8-byte path runs, with the interesting bytes mixed in.
            let bytes = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0x20...0x7E, using: &rng) }
            if Self.problem(bytes) != Self.reference(bytes) {
                disagreements += 1
                if disagreements < 5 { Issue.record("disagree on \(bytes)") }
            }
        }
        #expect(disagreements == 0)
    }
}
