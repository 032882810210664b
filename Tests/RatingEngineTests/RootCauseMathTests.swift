import Testing
@testable import RatingEngine

@Suite struct RootCauseMathTests {
    @Test("Baseline scaled to the measured period; target = baseline × (1 − X %); progress = achieved / targeted reduction")
    func progressFigures() {
        // 90 appeals in 90 days = 30 per 30 days; −40 % → 18; now 24: achieved 20 % of the 40 % → 0.5.
        let half = RootCauseMath.progress(baselineCount: 90, baselineDays: 90, currentCount: 24, measureDays: 30,
                                          reductionPercent: 40, elapsedShare: 0.5)
        #expect(half.baselineRate == 30 && abs(half.targetRate - 18) < 1e-9)
        #expect(abs(half.achievedReductionPercent - 20) < 1e-9 && abs(half.progress - 0.5) < 1e-9)
        #expect(half.verdict == .onTrack)                                            // 0.5 of the way at half the time
        #expect(RootCauseMath.progress(baselineCount: 90, baselineDays: 90, currentCount: 24, measureDays: 30,
                                       reductionPercent: 40, elapsedShare: 0.6).verdict == .behind)
        #expect(RootCauseMath.progress(baselineCount: 90, baselineDays: 90, currentCount: 24, measureDays: 30,
                                       reductionPercent: 40, elapsedShare: 1.2).verdict == .missed)
        let met = RootCauseMath.progress(baselineCount: 90, baselineDays: 90, currentCount: 18, measureDays: 30,
                                         reductionPercent: 40, elapsedShare: 0.1)
        #expect(met.verdict == .met && met.progress == 1)
        // Growth: negative reduction, progress clamped at 0.
        let worse = RootCauseMath.progress(baselineCount: 90, baselineDays: 90, currentCount: 45, measureDays: 30,
                                           reductionPercent: 40, elapsedShare: 0)
        #expect(abs(worse.achievedReductionPercent + 50) < 1e-9 && worse.progress == 0 && worse.verdict == .onTrack)
    }

    @Test("Without a baseline, a reduction or a target date there is no target")
    func noTarget() {
        #expect(RootCauseMath.progress(baselineCount: 0, baselineDays: 90, currentCount: 3, measureDays: 30, reductionPercent: 40,
                                       elapsedShare: 0.2).verdict == .noTarget)
        #expect(RootCauseMath.progress(baselineCount: 9, baselineDays: 90, currentCount: 3, measureDays: 30, reductionPercent: 0,
                                       elapsedShare: 0.2).verdict == .noTarget)
        #expect(RootCauseMath.progress(baselineCount: 9, baselineDays: 90, currentCount: 3, measureDays: 30, reductionPercent: 40,
                                       elapsedShare: nil).verdict == .noTarget)
    }

    @Test("Indicator status: met green; not met before the due date amber, after it red; no value no data")
    func indicatorStatus() {
        #expect(RootCauseMath.indicatorStatus(value: 95, target: 95, higherIsBetter: true, duePassed: true) == .green)
        #expect(RootCauseMath.indicatorStatus(value: 90, target: 95, higherIsBetter: true, duePassed: false) == .amber)
        #expect(RootCauseMath.indicatorStatus(value: 90, target: 95, higherIsBetter: true, duePassed: true) == .red)
        #expect(RootCauseMath.indicatorStatus(value: 12, target: 10, higherIsBetter: false, duePassed: true) == .red)
        #expect(RootCauseMath.indicatorStatus(value: nil, target: 10, higherIsBetter: false, duePassed: true) == .noData)
        #expect(RootCauseMath.indicatorScale(.onTimeShare) == 100 && RootCauseMath.indicatorScale(.meanSatisfaction) == 1)
    }
}
