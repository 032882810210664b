import Foundation
import Testing
import WorkCalendar
@testable import Workload

@Suite struct EscalationTests {
    let chain = EscalationChain.standard(block: "housing")
    let deadline = at(2021, 3, 1, 18)
    var item: OverdueItem { OverdueItem(appealID: "A-1", deadlineKind: "answer", deadline: deadline) }

    @Test func levelsFallDueInOrderAndAreSentOnce() {
        var alerted = Set<String>()
        let before = Escalation.evaluate(item, chain: chain, now: deadline.addingTimeInterval(-60), alerted: alerted)
        #expect(before.toSend.isEmpty && before.nextDueAt == deadline)

        let first = Escalation.evaluate(item, chain: chain, now: deadline.addingTimeInterval(3600), alerted: alerted)
        #expect(first.toSend.map(\.role) == [.executor])
        #expect(first.nextDueAt == deadline.addingTimeInterval(86_400))
        alerted.formUnion(first.toSend.map(\.key))

        // Re-evaluating (a restart) sends nothing twice.
        let again = Escalation.evaluate(item, chain: chain, now: deadline.addingTimeInterval(7200), alerted: alerted)
        #expect(again.toSend.isEmpty && again.alreadySent.map(\.role) == [.executor])

        // Down for three and a half days: every level that fell due meanwhile, once.
        let later = Escalation.evaluate(item, chain: chain, now: deadline.addingTimeInterval(3.5 * 86_400), alerted: alerted)
        #expect(later.toSend.map(\.role) == [.agencyHead, .blockLead, .curHead])
        #expect(later.nextDueAt == deadline.addingTimeInterval(5 * 86_400))
    }

    @Test func resolvedItemsStopAndANewDeadlineStartsAfresh() {
        var done = item
        done.resolvedAt = deadline.addingTimeInterval(1800)
        let d = Escalation.evaluate(done, chain: chain, now: deadline.addingTimeInterval(2 * 86_400), alerted: [])
        #expect(d.toSend.isEmpty && d.nextDueAt == nil)

        let sent = Set(Escalation.evaluate(item, chain: chain, now: deadline.addingTimeInterval(60), alerted: []).toSend.map(\.key))
        var extended = item
        extended.deadline = deadline.addingTimeInterval(30 * 86_400)
        let e = Escalation.evaluate(extended, chain: chain, now: extended.deadline.addingTimeInterval(60), alerted: sent)
        #expect(e.toSend.map(\.role) == [.executor], "the extension's own deadline is a new escalation")
    }

    @Test func delaysCanRunOnTheBusinessClock() {
        // Deadline Friday 2021-03-05 18:00 (a shortened pre-holiday day ends at 17:00); 8 working hours later is
        // Tuesday 9 March 17:00 (Saturday–Monday 8 March are days off).
        let c = try? EscalationChain(block: "roads", levels: [EscalationLevel(role: .executor, delay: 0),
                                                             EscalationLevel(role: .agencyHead, delay: 8 * 3600)])
        let friday = OverdueItem(appealID: "B", deadlineKind: "first_reaction", deadline: at(2021, 3, 5, 18))
        let clock: (Date, TimeInterval) -> Date = { WorkingTime.adding($1, to: $0, calendar: .russia, timeZone: moscow) }
        let d = Escalation.evaluate(friday, chain: c ?? chain, now: at(2021, 3, 9, 12), alerted: [], addDelay: clock)
        #expect(d.toSend.map(\.role) == [.executor])
        #expect(d.nextDueAt == at(2021, 3, 9, 17))
    }

    @Test func invalidChainsAreRejected() {
        #expect(throws: EscalationError.empty("x")) { try EscalationChain(block: "x", levels: []) }
        #expect(throws: EscalationError.delaysNotIncreasing("x")) {
            try EscalationChain(block: "x", levels: [EscalationLevel(role: .executor, delay: 100), EscalationLevel(role: .curator, delay: 50)])
        }
        #expect(throws: EscalationError.duplicateRole("x", .executor)) {
            try EscalationChain(block: "x", levels: [EscalationLevel(role: .executor, delay: 0), EscalationLevel(role: .executor, delay: 50)])
        }
    }
}
