import Foundation
import Testing
import VecheRuntime

/// Appeal and event ids are RFC 9562 version-7 UUIDs: the creation millisecond first, so ids made later sort
/// later (as text too — PostgreSQL's uuid order is byte order), with the version and variant bits set and the rest random.
@Suite("TimeOrderedUUID: version 7 layout, time order, randomness")
struct TimeOrderedUUIDTests {
    @Test func layoutCarriesTheMillisecondVersionAndVariant() {
        let at = Date(timeIntervalSince1970: 1_764_806_400.123)   // 2025-12-04 00:00:00.123 UTC
        let s = TimeOrderedUUID.string(at: at)
        #expect(s.count == 36 && s == s.lowercased())
        #expect(s.hasPrefix(String(1_764_806_400_123, radix: 16).leftPaddedWithZeros(12).prefix(8) + "-"))
        let hex = s.replacingOccurrences(of: "-", with: "")
        #expect(UInt64(hex.prefix(12), radix: 16) == 1_764_806_400_123)
        #expect(Array(hex)[12] == "7")
        #expect(["8", "9", "a", "b"].contains(Array(hex)[16]))
    }

    @Test func laterIdsSortLaterAndIdsOfOneMillisecondDiffer() {
        let t = Date(timeIntervalSince1970: 1_764_806_400)
        let same = (0..<1000).map { _ in TimeOrderedUUID.string(at: t) }
        #expect(Set(same).count == 1000)
        let ordered = (0..<100).map { TimeOrderedUUID.string(at: t + Double($0) * 0.001) }
        #expect(ordered == ordered.sorted())
    }
}

private extension String {
    func leftPaddedWithZeros(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
