import Foundation
import Testing
import WorkCalendar
@testable import Workload

let moscow = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 10_800) ?? .current

func at(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int = 0) -> Date {
    LocalClock.instant(CivilDate(year: y, month: m, day: d) ?? CivilDate(dayNumber: 0), secondsOfDay: h * 3600 + min * 60, in: moscow)
}

@Suite struct ErlangCTests {
    /// Reference values of the explicit Erlang C formula (Σ Aᵏ/k!), computed independently.
    @Test func probabilityOfWaitingMatchesTheClosedForm() {
        let q = ErlangC(arrivalsPerHour: 40, handleHours: 0.25)   // A = 10 Erlangs
        #expect(q.load == 10)
        for (n, c) in [(11, 0.682118), (12, 0.449388), (13, 0.28527), (15, 0.102042)] {
            #expect(abs(q.probabilityOfWaiting(agents: n) - c) < 1e-6, "N=\(n)")
        }
        #expect(q.probabilityOfWaiting(agents: 10) == 1, "N ≤ A never keeps up")
        let small = ErlangC(arrivalsPerHour: 4, handleHours: 0.5)  // A = 2, N = 4: C = 4/23
        #expect(abs(small.serviceLevel(agents: 4, targetHours: 0.5) - 0.9764634290023282) < 1e-12)
    }

    @Test func agentsNeededIsTheSmallestMeetingTheTarget() {
        let q = ErlangC(arrivalsPerHour: 40, handleHours: 0.25)
        let n = q.agentsNeeded(serviceLevel: 0.8, targetHours: 20.0 / 3600, maxOccupancy: 1)
        #expect(q.serviceLevel(agents: n, targetHours: 20.0 / 3600) >= 0.8)
        #expect(q.serviceLevel(agents: n - 1, targetHours: 20.0 / 3600) < 0.8)
        #expect(ErlangC(arrivalsPerHour: 0, handleHours: 0.25).agentsNeeded(serviceLevel: 0.9, targetHours: 1) == 0)
    }
}

@Suite struct StaffingTests {
    @Test func offHoursArrivalsQueueForTheNextOpening() {
        let cal = ProductionCalendar.russia
        // Mon 2021-03-01 10:30 → slot 1; Mon 20:00 → Tue 09:00 slot 0; Sat 03-06 → Tue 03-09 (Mon 8 March is a holiday) slot 0.
        let a = WorkingHourArrivals.measure([at(2021, 3, 1, 10, 30), at(2021, 3, 1, 20), at(2021, 3, 6, 12)],
                                            from: at(2021, 3, 1, 0), to: at(2021, 3, 10, 0), calendar: cal, timeZone: moscow)
        #expect(a.workingDays == 6)
        #expect(a.perSlot.count == 9 && a.openingHour == 9)
        #expect(abs(a.perSlot[0] - 2.0 / 6) < 1e-12 && abs(a.perSlot[1] - 1.0 / 6) < 1e-12)
    }

    @Test func workloadModelAndRecommendationText() {
        var t = Staffing.AppealTarget()
        t.effortHours = 2
        t.productiveHoursPerMonth = 120
        #expect(Staffing.appealStaff(forecastVolume: 300, target: t) == 6)          // 600 h / 102 h
        #expect(Staffing.appealStaff(forecastVolume: 300, backlogAtRisk: 60, target: t) == 8)
        #expect(Staffing.appealStaff(forecastVolume: 0, target: t) == 0)
        let a = StaffingAssessment(block: "housing", socialStaff: 1, appealStaff: 6, recorded: 5)
        #expect(a.recommendation == "Блоку ЖКХ нужно +2 сотрудника (нужно 7, в штате 5)")
        #expect(StaffingAssessment(block: "waste", socialStaff: 0, appealStaff: 3, recorded: 4).recommendation
                == "Блоку ТКО штата достаточно, резерв 1 сотрудник (нужно 3, в штате 4)")
        #expect([1, 2, 5, 11, 21, 22, 112].map(Staffing.employees)
                == ["сотрудник", "сотрудника", "сотрудников", "сотрудников", "сотрудник", "сотрудника", "сотрудников"])
    }

    @Test func productiveHoursFollowTheProductionCalendar() {
        // March 2021: 22 working days, no shortened day (the eve of 8 March is a Sunday) → 176 h.
        #expect(Staffing.productiveHours(year: 2021, month: 3, calendar: .russia, shrinkage: 0) == 176)
        // February 2021: 19 working days, Saturday 20 February a shortened working day → 151 h.
        #expect(Staffing.productiveHours(year: 2021, month: 2, calendar: .russia, shrinkage: 0) == 151)
        #expect(Staffing.effortHours(answersPerExecutorMonth: 60, productiveHours: 150) == 2.5)
        var social = Staffing.SocialTarget()
        social.shrinkage = 0.5
        let arrivals = WorkingHourArrivals(perSlot: [8, 4, 4], openingHour: 9, workingDays: 20)
        let agents = ErlangC(arrivalsPerHour: 8, handleHours: 0.25).agentsNeeded(serviceLevel: 0.9, targetHours: 4, maxOccupancy: 0.85)
        #expect(Staffing.socialStaff(arrivals, target: social) == agents * 2, "peak hour, grossed up for shrinkage")
    }
}

@Suite struct WorkloadStatsTests {
    @Test func volumeBacklogEffortAndAnswersPerExecutor() {
        let r = [
            AppealRecord(id: "1", block: "housing", channel: "pos", receivedAt: at(2021, 3, 1, 10), takenAt: at(2021, 3, 1, 12),
                         answeredAt: at(2021, 3, 2, 12), executor: "e1"),
            AppealRecord(id: "2", block: "housing", channel: "social", receivedAt: at(2021, 3, 2, 10), answeredAt: at(2021, 3, 2, 14), executor: "e1"),
            AppealRecord(id: "3", block: "housing", channel: "pos", receivedAt: at(2021, 3, 3, 10), answeredAt: at(2021, 3, 9, 10), executor: "e2"),
            AppealRecord(id: "4", block: "housing", channel: "pos", receivedAt: at(2021, 3, 5, 10)),
            AppealRecord(id: "5", block: "roads", channel: "email", receivedAt: at(2021, 2, 20, 10)),
        ]
        let weeks = WorkloadStats.compute(r, from: at(2021, 3, 1, 0), to: at(2021, 3, 8, 0), granularity: .week, timeZone: moscow,
                                          blocks: ["housing", "roads"])
        #expect(weeks.map(\.block) == ["housing", "roads"])
        let h = weeks[0]
        #expect(h.incomingByChannel == ["pos": 3, "social": 1] && h.incoming == 4)
        #expect(h.backlogAtEnd == 2, "3 is answered only on 9 March, 4 never")
        #expect(h.answered == 2 && h.medianHoursInWork == 14 && h.meanHoursInWork == 14, "24 h from taking into work, 4 h from receipt")
        #expect(h.activeExecutors == 1 && h.answersPerExecutor == 2)
        #expect(weeks[1].incoming == 0 && weeks[1].backlogAtEnd == 1, "an old open appeal still counts in the backlog")
        let months = WorkloadStats.compute(r, from: at(2021, 3, 1, 0), to: at(2021, 4, 1, 0), granularity: .month, timeZone: moscow)
        #expect(months.first(where: { $0.block == "housing" })?.answersPerExecutor == 1.5)
    }
}
