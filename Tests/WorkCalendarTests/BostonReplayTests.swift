import Foundation
import Testing
@testable import WorkCalendar

/// Business days ending at the start time, on the city's 08:30–17:00 clock and Massachusetts calendar,
/// checked on real Boston 311 cases (OPEN_DT → TARGET_DT as the city computed them).
@Suite struct BusinessDaysAtStartTimeTests {
    let inference = SLAPolicyInference(engine: SLAEngine(calendar: .massachusetts, timeZone: newYork),
                                       businessHours: Boston311Replay.Options().businessHours)

    func due(_ open: String, _ policy: SLAPolicy) throws -> Date {
        let l = try #require(Boston311Cases.parseLocal(open))
        return inference.engine.deadline(start: LocalClock.instant(l, in: newYork), policy: policy).dueAt
    }

    func local(_ s: String) throws -> Date { LocalClock.instant(try #require(Boston311Cases.parseLocal(s)), in: newYork) }

    @Test func streetLightOutagesTenBusinessDays() throws {
        let p = inference.policy(.workingDays, 10)
        // Inside hours: the same clock time ten business days later.
        #expect(try due("10/20/2015 01:57:39 PM", p) == local("11/03/2015 01:57:39 PM"))
        // Evening: the clock starts at 08:30 the next business day (Thu 15 Jan); MLK Day 19 Jan is skipped.
        #expect(try due("01/14/2015 08:22:34 PM", p) == local("01/30/2015 08:30:00 AM"))
        // 17:17 is after closing; Labor Day 7 Sep is skipped.
        #expect(try due("08/26/2015 05:17:00 PM", p) == local("09/11/2015 08:30:00 AM"))
        // Before opening on a business day: 08:30 the same day starts the clock; Christmas is skipped.
        #expect(try due("12/14/2015 05:26:00 AM", p) == local("12/29/2015 08:30:00 AM"))
        // Saturday evening before Labor Day → Tuesday 8 Sep 08:30 → ten business days.
        #expect(try due("09/05/2015 09:17:00 PM", p) == local("09/22/2015 08:30:00 AM"))
        // Opening minute belongs to the day, closing minute does not.
        #expect(try due("03/16/2015 08:30:00 AM", inference.policy(.workingDays, 1)) == local("03/17/2015 08:30:00 AM"))
        #expect(try due("03/16/2015 05:00:00 PM", inference.policy(.workingDays, 1)) == local("03/18/2015 08:30:00 AM"))
    }

    @Test func calendarDaysKeepTheWallClockAcrossDST() throws {
        // Rodent Activity: 30 calendar days; 15 Feb 2015 (EST) → 17 Mar 2015 (EDT), same wall-clock time.
        #expect(try due("02/15/2015 03:06:26 PM", inference.policy(.calendarDays, 30)) == local("03/17/2015 03:06:26 PM"))
        // 24 elapsed hours across the spring-forward night end an hour later on the wall clock.
        #expect(try due("03/07/2015 10:00:00 AM", inference.policy(.elapsedHours, 24)) == local("03/08/2015 11:00:00 AM"))
    }

    @Test func inferenceRecoversAPolicyAndPrefersTheSimplerShape() throws {
        let p = inference.policy(.workingDays, 5)
        let opens = ["01/05/2015 09:00:00 AM", "01/09/2015 04:59:00 PM", "01/10/2015 11:00:00 AM", "02/13/2015 07:00:00 PM",
                     "04/17/2015 10:10:10 AM", "05/22/2015 06:00:00 PM"]
        let examples = try opens.map { o in SLAPolicyInference.Example(start: try local(o), due: try due(o, p)) }
        let found = try #require(inference.infer(examples))
        #expect(found.policy == p)
        #expect(found.matched == examples.count)
        // A Tuesday-to-Wednesday day is both "1 calendar day" and "1 business day": the calendar day wins the tie.
        let tie = SLAPolicyInference.Example(start: try local("06/02/2015 10:00:00 AM"), due: try local("06/03/2015 10:00:00 AM"))
        #expect(inference.infer([tie])?.policy == inference.policy(.calendarDays, 1))
        #expect(inference.candidates(tie).contains(inference.policy(.workingDays, 1)))
        // A due instant before the start has no policy.
        #expect(inference.infer([.init(start: tie.due, due: tie.start)]) == nil)
    }

    @Test func timestampParsing() {
        #expect(Boston311Cases.parseLocal("01/01/2015 12:20:09 AM") == LocalDateTime(date: d(2015, 1, 1), hour: 0, minute: 20, second: 9))
        #expect(Boston311Cases.parseLocal("07/04/2015 12:00:00 PM")?.secondsOfDay == 12 * 3600)
        #expect(Boston311Cases.parseLocal("12/31/2015 11:59:59 PM")?.secondsOfDay == 86_399)
        #expect(Boston311Cases.parseLocal("") == nil)
        #expect(Boston311Cases.parseLocal("13/01/2015 10:00:00 AM") == nil)
        #expect(Boston311Cases.parseLocal("01/01/2015 10:61:00 AM") == nil)
        #expect(Boston311Cases.parseLocal("01/01/2015 10:00:00 XM") == nil)
    }
}

/// The engine against the city's own deadlines: policies from January–June, deadlines for July–December.
@Suite struct BostonReplayTests {
    static let path = Boston311Cases.defaultPath()

    @Test(.enabled(if: path.map { FileManager.default.fileExists(atPath: $0) } ?? false))
    func engineReproducesTheCitysTargets() throws {
        let file = try Boston311Cases.load(path: try #require(Self.path))
        #expect(file.rows == 121_145)
        #expect(file.cases.count == 94_154)
        #expect(file.unparsable == 0)
        let r = Boston311Replay.run(file)
        #expect(r.trainingCases + r.testCases == file.cases.count)
        #expect(r.testCases > 50_000)
        // Achieved: 96.7 % equal to the minute (see README for what the rest is).
        #expect(r.share >= 0.965)
        #expect(r.shareWithinTwoMinutes >= r.share)
        func type(_ name: String) -> Boston311Replay.TypeResult? { r.types.first { $0.type == name } }
        #expect(type("Street Light Outages")?.inferred?.policy.name == "10 business days")
        #expect((type("Street Light Outages")?.share ?? 0) > 0.97)
        #expect(type("CE Collection")?.inferred?.policy.name == "1 business day")
        #expect(type("Rodent Activity")?.inferred?.policy.name == "30 calendar days")
        #expect(type("Unsatisfactory Living Conditions")?.inferred?.policy.name == "120 calendar days")
        // The city's clock: Massachusetts legal holidays, without the Suffolk County ones or a moved 4 July.
        let evidence = Boston311Replay.calendarEvidence(file, result: r)
        let shipped = try #require(evidence.first).share
        for alternative in evidence.dropFirst() { #expect(alternative.share < shipped, "\(alternative.name)") }
    }
}
