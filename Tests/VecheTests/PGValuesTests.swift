import Foundation
import Testing
import VecheRuntime

/// The text forms of binds: timestamps exactly as ISO8601DateFormatter wrote them before (PostgreSQL reads both
/// the same way), and array literals with backslash and quote escaped and NULL elements.
@Suite("PostgreSQL bind text forms")
struct PGValuesTests {
    @Test func timestampsKeepTheirISO8601FormWithMilliseconds() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_764_716_190.123, 1_700_000_000.999, 4_102_444_799.5, -86_400.25] {
            let d = Date(timeIntervalSince1970: seconds)
            #expect(PGTime.format(d) == reference.string(from: d), "\(seconds)")
        }
        #expect(PGTime.format(Date(timeIntervalSince1970: 1_764_716_190.123)) == "2025-12-02T22:56:30.123Z")
        // Times made from epoch milliseconds (headers, protobuf fields) keep their millisecond exactly.
        let mismatches = (0..<2_000).map { Int64(1_600_000_000_000) + Int64($0) * 7_919_333 }.filter { ms in
            let d = Date(timeIntervalSince1970: Double(ms) / 1000)
            return PGTime.format(d) != reference.string(from: d) || PGTime.parse(PGTime.format(d).replacingOccurrences(of: "T", with: " ")
                                                                                     .replacingOccurrences(of: "Z", with: "+00")) != d
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func arrayLiteralsEscapeBackslashAndQuote() {
        let values: [String?] = ["plain", #"a"b"#, #"c\d"#, nil, "ЖКХ, кв. 5", ""]
        #expect(values.pgText == #"{"plain","a\"b","c\\d",NULL,"ЖКХ, кв. 5",""}"#)
        #expect([Int]().pgText == "{}")
    }
}
