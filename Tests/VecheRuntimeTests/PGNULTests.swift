import Foundation
import Testing
@testable import VecheRuntime

/// The NUL check before binds reach libpq (which would cut a value at its first NUL byte).
@Suite("PGConnection.hasNUL: a NUL anywhere in a bind is found, whatever the string's storage")
struct PGNULTests {
    @Test func agreesWithAByteScanOnRandomAndBridgedStrings() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "я", "\u{0}", "\u{1}", "€", "😀", " ", "\u{7F}"]
        for _ in 0..<5_000 {
            let n = Int.random(in: 0..<40, using: &rng)
            var s = String.UnicodeScalarView()
            for _ in 0..<n { s.append(alphabet.randomElement(using: &rng)!) }
            let native = String(s)
            let bridged = NSString(string: native) as String
            #expect(PGConnection.hasNUL(native) == native.utf8.contains(0), "\(Array(native.utf8))")
            #expect(PGConnection.hasNUL(bridged) == native.utf8.contains(0), "\(Array(native.utf8))")
        }
        #expect(PGConnection.hasNUL("до\u{0}после"))
        #expect(PGConnection.hasNUL(String(repeating: "я", count: 5_000) + "\u{0}"))
        #expect(!PGConnection.hasNUL(""))
        #expect(!PGConnection.hasNUL(String(repeating: "я", count: 5_000)))
    }
}
