import Foundation
import Testing
@testable import WorkCalendar

@Suite struct BostonReplayTests {
    static let path = Boston311Replay.defaultPath()

    @Test func timestampParsing() {
        let l = Boston311Replay.parseLocal("01/01/2015 12:20:09 AM")
        #expect(l == LocalDateTime(date: d(2015, 1, 1), hour: 0, minute: 20, second: 9))
        #expect(Boston311Replay.parseLocal("07/04/2015 12:00:00 PM")?.secondsOfDay == 12 * 3600)
        #expect(Boston311Replay.parseLocal("12/31/2015 11:59:59 PM")?.secondsOfDay == 86_399)
        #expect(Boston311Replay.parseLocal("") == nil)
        #expect(Boston311Replay.parseLocal("13/01/2015 10:00:00 AM") == nil)
    }

    @Test func quantileType7() {
        #expect(Boston311Replay.quantile7([1, 2, 3, 4], 0.5) == 2.5)
        #expect(Boston311Replay.quantile7([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9.1)
        #expect(Boston311Replay.quantile7([], 0.5) == nil)
    }

    @Test(.enabled(if: path.map { FileManager.default.fileExists(atPath: $0) } ?? false))
    func replayAgreesWithCity() throws {
        guard let path = Self.path else { return }
        let r = try Boston311Replay.run(path: path)
        #expect(r.rows == 121_145)
        #expect(r.closedWithTarget == 79_208)
        #expect(r.unparsable == 0)
        // Every case the city labelled agrees with the engine.
        #expect(r.agreementShareOfLabelled >= 0.999)
        #expect(r.disagreementsAmongLabelled == 0)
        // The only disagreements are the 82 unlabelled cases, all closed after target.
        #expect(r.unlabelled == 82)
        #expect(r.unlabelledEngineOverdue == r.unlabelled)
        #expect(r.agreementShareOfAll >= 0.9989)
        #expect(r.agreements == 79_126)
        #expect(!r.departments.isEmpty)
        let total = r.departments.reduce(0) { $0 + $1.volume }
        #expect(total == r.rows)
        print("Boston 311 replay: labelled agreement \(r.agreementShareOfLabelled), overall \(r.agreementShareOfAll), ambiguous \(r.ambiguousTimestamps)")
        for dpt in r.departments.prefix(17) {
            print(dpt.department, dpt.volume, dpt.closedWithTarget, dpt.onTimeShare ?? -1, dpt.medianCloseHours ?? -1, dpt.p90CloseHours ?? -1)
        }
    }
}
