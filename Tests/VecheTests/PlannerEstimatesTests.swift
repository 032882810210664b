import Foundation
import Testing
import VecheRuntime
@testable import AppealService

/// The first-page total's planner estimate, remembered per filter (`PlannerEstimates`).
@Suite("AppealService: planner estimates of list filters are remembered for a while, per filter and binds")
struct PlannerEstimatesTests {
    @Test("The same filter with the same values is planned once within the ttl; other values, another filter or an expired entry are planned again; a failed plan is not remembered")
    func rememberedPerFilterAndValues() async throws {
        let memo = PlannerEstimates(ttl: .seconds(60))   // nothing expires while the hits are checked, however slow the machine
        var planned = 0
        func plan(_ rows: Int64) -> () throws -> Int64 { { planned += 1; return rows } }
        let topic: (String) -> SQL = { "a.topic_code = \($0)" }
        #expect(try memo.value(topic("roads"), plan: plan(40_000)) == 40_000)
        #expect(try memo.value(topic("roads"), plan: plan(1)) == 40_000)
        #expect(planned == 1)
        #expect(try memo.value(topic("housing"), plan: plan(90_000)) == 90_000)
        #expect(try memo.value("a.agency_id = \("roads")", plan: plan(7)) == 7)
        #expect(planned == 3)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try memo.value(topic("waste"), plan: { throw Refused() }) }
        #expect(try memo.value(topic("waste"), plan: plan(5)) == 5)
        #expect(planned == 4)
        // An expired entry is planned again (a ttl of 1 ms, surely over after a 20 ms sleep).
        let brief = PlannerEstimates(ttl: .milliseconds(1))
        #expect(try brief.value(topic("roads"), plan: plan(40_000)) == 40_000)
        try await Task.sleep(for: .milliseconds(20))
        #expect(try brief.value(topic("roads"), plan: plan(41_000)) == 41_000)
        #expect(planned == 6)
    }
}
