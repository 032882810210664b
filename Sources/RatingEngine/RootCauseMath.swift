import Foundation

/// How far a root-cause case (системная проблема) is from its quantitative target: "appeals on this problem
/// down by `reductionPercent` % by the target date". Rates are appeals per measured period (`measureDays`);
/// the baseline rate scales the baseline period's count to that length.
public struct RootCauseProgressFigures: Hashable, Sendable {
    /// Where the case stands against its target; the raw values are what the report and the workspace show.
    public enum Verdict: String, Hashable, Sendable {
        /// The current rate is at or below the target rate.
        case met
        /// Not met yet, the target date has not passed, and the achieved reduction is at least the share of
        /// the time elapsed between the baseline's end and the target date (linear schedule).
        case onTrack = "on_track"
        /// Not met, before the target date, behind the linear schedule.
        case behind
        /// Not met and the target date has passed.
        case missed
        /// No baseline, no reduction or no target date.
        case noTarget = "no_target"
    }

    public var baselineRate: Double
    public var targetRate: Double
    public var currentCount: Int
    /// (baseline − current) / baseline × 100; negative when the appeals grew.
    public var achievedReductionPercent: Double
    /// achieved / targeted reduction, clamped to 0…1.
    public var progress: Double
    public var verdict: Verdict
}

/// The one rule for a root-cause case's progress (RatingService computes, the report and the workspace show).
public enum RootCauseMath {
    /// - Parameters:
    ///   - baselineCount: appeals in the baseline period; `baselineDays` its length in days (≥ 1).
    ///   - currentCount: appeals in the `measureDays` days ending at the evaluation day.
    ///   - reductionPercent: the targeted reduction, 0 < x ≤ 100.
    ///   - elapsedShare: share of the time from the baseline's end to the target date already elapsed (0…1);
    ///     nil when there is no target date. ≥ 1 means the date has passed.
    public static func progress(baselineCount: Int, baselineDays: Int, currentCount: Int, measureDays: Int,
                                reductionPercent: Double, elapsedShare: Double?) -> RootCauseProgressFigures {
        let baselineRate = baselineDays > 0 ? Double(baselineCount) * Double(max(measureDays, 1)) / Double(baselineDays) : 0
        guard baselineRate > 0, reductionPercent > 0, reductionPercent.isFinite, let elapsed = elapsedShare else {
            let achieved = baselineRate > 0 ? (baselineRate - Double(currentCount)) / baselineRate * 100 : 0
            return RootCauseProgressFigures(baselineRate: baselineRate, targetRate: baselineRate, currentCount: currentCount,
                                            achievedReductionPercent: achieved, progress: 0, verdict: .noTarget)
        }
        let reduction = min(reductionPercent, 100)
        let targetRate = baselineRate * (1 - reduction / 100)
        let achieved = (baselineRate - Double(currentCount)) / baselineRate * 100
        let progress = min(max(achieved / reduction, 0), 1)
        let eps = 1e-9
        let verdict: RootCauseProgressFigures.Verdict
        if Double(currentCount) <= targetRate + eps {
            verdict = .met
        } else if elapsed >= 1 {
            verdict = .missed
        } else {
            verdict = progress + eps >= max(elapsed, 0) ? .onTrack : .behind
        }
        return RootCauseProgressFigures(baselineRate: baselineRate, targetRate: targetRate, currentCount: currentCount,
                                        achievedReductionPercent: achieved, progress: progress, verdict: verdict)
    }

    /// An indicator's status against its target: met → green; not met before the due date → amber; missed → red;
    /// no value → noData.
    public static func indicatorStatus(value: Double?, target: Double, higherIsBetter: Bool, duePassed: Bool) -> KPIStatus {
        guard let v = value else { return .noData }
        let eps = 1e-12
        let met = higherIsBetter ? v >= target - eps : v <= target + eps
        if met { return .green }
        return duePassed ? .red : .amber
    }
}

extension RootCauseMath {
    /// Indicators show shares (on-time, satisfied, reopened, complete, repeat, extended) in percent: the computed
    /// fraction is multiplied by this.
    public static func indicatorScale(_ m: Metric) -> Double {
        switch m {
        case .onTimeShare, .satisfiedShare, .reopenRate, .completeness, .repeatRate, .extendedShare: return 100
        case .volume, .medianAnswerHours, .p90AnswerHours, .meanSatisfaction, .appealsPer10k: return 1
        }
    }
}
