import Foundation
import Testing
@testable import VecheAuth

/// The hand-written encodings behind citizen tokens (issue #10 took Foundation's string formatting out of the
/// intake path): they must still produce exactly the standard forms.
@Suite("Token encodings: base64url, SHA-256 hex, random tokens")
struct TokenEncodingTests {
    @Test func base64urlMatchesRFC4648Vectors() {
        // RFC 4648 §10 vectors (padding dropped), and the two bytes that differ from standard base64.
        let vectors: [(String, String)] = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                                           ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors { #expect(Base64URL.encode(Data(plain.utf8)) == encoded) }
        #expect(Base64URL.encode(Data([0xfb, 0xff, 0xbf])) == "-_-_")
        #expect(Base64URL.decode("-_-_") == Data([0xfb, 0xff, 0xbf]))
    }

    @Test func citizenTokenHashIsLowerCaseHexSHA256() {
        // FIPS 180-2 test vector for "abc".
        #expect(CitizenToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func randomTokensAreWellFormedAndDistinct() {
        let tokens = (0..<200).map { _ in CitizenToken.generate() }
        #expect(tokens.allSatisfy(CitizenToken.isWellFormed))
        #expect(Set(tokens).count == tokens.count)
        #expect(SecureRandom.token(bytes: 5).utf8.count == 7)   // 5 bytes → 7 base64url characters
        // Every byte value turns up: the bytes are not stuck (e.g. only the first of each 8-byte draw used).
        let bytes = tokens.compactMap { Base64URL.decode($0) }.flatMap { $0 }
        #expect(Set(bytes).count == 256)
    }
}
