import Foundation
import Testing
@testable import AgencyService

/// `NotificationStore.isEmail` is the documented pattern read scalar by scalar: it must accept exactly what the
/// regular expression accepts, anchored at the very end (`$` alone also matches before a final line break, which
/// the regular expression used to let through).
@Suite("E-mail address check: the pattern without a regular expression")
struct EmailAddressTests {
    static let pattern = try! NSRegularExpression(pattern: #"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+\z"#)

    static func byPattern(_ s: String) -> Bool {
        pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// Hand-picked addresses and near misses.
    @Test(arguments: ["ivanov@mail.ru", "a@b.c", "a@.b.c", "a@b.", "a@.b", "@b.c", "a@@b.c", "a@b@c.d", "a b@c.d", "a@b.c ",
                      "<a@b.c>", "a@b", "", "ж@почта.рф", "a@b..c", "a.b@c", "a\t@b.c", "a@b.c\n", "a@b\u{00A0}.c"])
    func handPicked(_ s: String) {
        #expect(NotificationStore.isEmail(s) == Self.byPattern(s), "\(s.debugDescription)")
    }

    /// 20,000 random strings made of the pieces the pattern is about agree with it (about 6 % of them are addresses).
    @Test func randomStringsAgreeWithThePattern() {
        let pieces = ["ab", "я", ".", "@", "a.b", "x@y.z", " ", "<", "\n", "\t", "1-", "\u{2003}"]
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let s = (0..<Int.random(in: 1...5, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let expected = Self.byPattern(s)
            if expected { accepted += 1 }
            #expect(NotificationStore.isEmail(s) == expected, "\(s.debugDescription)")
        }
        #expect(accepted > 300)
    }
}
