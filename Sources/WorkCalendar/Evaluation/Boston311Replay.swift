import Foundation

/// A test of the SLA engine on real deadlines: the City of Boston's 311 `TARGET_DT` of 2015.
///
/// 1. Split the cases by opening time: the training part (opened before `Options.trainingEnd`, 1 July 2015)
///    and the test part (opened from then on).
/// 2. Per case type, infer the policy from the training part with `SLAPolicyInference` — calendar days,
///    business days or business hours on the city's business clock (08:30–17:00, found empirically: a case
///    opened at 08:29 or at 17:00 is due at 08:30 of a business day, one opened at 08:30 or 16:59 at the same
///    time N business days later) and calendar (`ProductionCalendar.massachusetts`). The policy in force at
///    the end of the training part is wanted, so the last `recentDays` of it decide when they hold at least
///    `minimumRecent` cases of the type.
/// 3. Compute every test case's deadline from `OPEN_DT` with `SLA.deadline` and compare it with the city's
///    `TARGET_DT` to the minute.
///
/// `calendarEvidence` shows which holiday calendar the city's clock uses: the inferred policies re-run on the
/// training part under alternative calendars.
public enum Boston311Replay {
    /// Settings of the replay: train/test split day, recent-window rule, the city's business clock and calendar.
    public struct Options: Sendable {
        /// Cases opened before this local day train, the others test.
        public var trainingEnd = CivilDate(2015, 7, 1)
        public var recentDays = 90
        public var minimumRecent = 10
        /// The city's business clock: 08:30–17:00, no shortened days.
        public var businessHours = BusinessHours(open: 8 * 3600 + 1800, close: 17 * 3600, preHolidayShortening: 0)
        public var calendar = ProductionCalendar.massachusetts
        public init() {}
    }

    /// Agreement for one case type.
    public struct TypeResult: Sendable {
        public var type: String
        /// nil when the training part had no case the engine could reproduce.
        public var inferred: SLAPolicyInference.Inferred?
        public var trainingCases: Int
        public var testCases: Int
        /// Test cases whose computed deadline equals `TARGET_DT` to the minute.
        public var equal: Int
        /// Test cases within two minutes (the export rounded some `OPEN_DT`s to the minute and the city's
        /// clock started up to a minute after `OPEN_DT` for others).
        public var withinTwoMinutes: Int
        public var share: Double { testCases == 0 ? 0 : Double(equal) / Double(testCases) }
    }

    /// Agreement of computed deadlines with `TARGET_DT` over all test cases, with row counts and per-type results.
    public struct Result: Sendable {
        public var rows: Int
        public var casesWithTarget: Int
        public var unparsable: Int
        public var trainingCases: Int
        public var testCases: Int
        public var equal: Int
        public var withinTwoMinutes: Int
        /// Per type, most test cases first.
        public var types: [TypeResult]
        public var share: Double { testCases == 0 ? 0 : Double(equal) / Double(testCases) }
        public var shareWithinTwoMinutes: Double { testCases == 0 ? 0 : Double(withinTwoMinutes) / Double(testCases) }
    }

    public static func run(_ file: Boston311Cases.File, options: Options = Options()) -> Result {
        let inference = SLAPolicyInference(engine: SLAEngine(calendar: options.calendar, timeZone: Boston311Cases.timeZone),
                                           businessHours: options.businessHours)
        let policies = inferPolicies(file.cases, options: options, inference: inference)
        var byType: [String: TypeResult] = [:]
        var result = Result(rows: file.rows, casesWithTarget: file.cases.count, unparsable: file.unparsable, trainingCases: 0,
                            testCases: 0, equal: 0, withinTwoMinutes: 0, types: [])
        for c in file.cases {
            var t = byType[c.type] ?? TypeResult(type: c.type, inferred: policies[c.type], trainingCases: 0, testCases: 0,
                                                 equal: 0, withinTwoMinutes: 0)
            defer { byType[c.type] = t }
            guard !isTraining(c, options) else {
                t.trainingCases += 1
                result.trainingCases += 1
                continue
            }
            t.testCases += 1
            result.testCases += 1
            guard let policy = t.inferred?.policy else { continue }
            let due = inference.engine.deadline(start: c.open, policy: policy).dueAt
            if SLAPolicyInference.sameMinute(due, c.target) {
                t.equal += 1
                result.equal += 1
            }
            if abs(due.timeIntervalSince(c.target)) < 120 {
                t.withinTwoMinutes += 1
                result.withinTwoMinutes += 1
            }
        }
        result.types = byType.values.sorted { ($0.testCases, $1.type) > ($1.testCases, $0.type) }
        return result
    }

    static func isTraining(_ c: Boston311Case, _ options: Options) -> Bool {
        LocalClock.civilDate(of: c.open, in: Boston311Cases.timeZone) < options.trainingEnd
    }

    /// Per type, the policy inferred from the training part (its last `recentDays` when they suffice).
    static func inferPolicies(_ cases: [Boston311Case], options: Options,
                              inference: SLAPolicyInference) -> [String: SLAPolicyInference.Inferred] {
        let recentFrom = options.trainingEnd.adding(days: -options.recentDays)
        var training: [String: [Boston311Case]] = [:]
        for c in cases where isTraining(c, options) { training[c.type, default: []].append(c) }
        var out: [String: SLAPolicyInference.Inferred] = [:]
        for (type, all) in training {
            let recent = all.filter { LocalClock.civilDate(of: $0.open, in: Boston311Cases.timeZone) >= recentFrom }
            let chosen = recent.count >= options.minimumRecent ? recent : all
            out[type] = inference.infer(chosen.map { .init(start: $0.open, due: $0.target) })
        }
        return out
    }

    /// Share of training cases that the inferred policies reproduce under each calendar: the shipped one and
    /// the plausible alternatives (Suffolk County's Evacuation Day and Bunker Hill Day; Independence Day 2015
    /// observed on Friday 3 July as federal offices did; no holidays at all).
    public static func calendarEvidence(_ file: Boston311Cases.File, result: Result,
                                        options: Options = Options()) -> [(name: String, share: Double)] {
        let suffolk = [CivilDate(2015, 3, 17), CivilDate(2015, 6, 17), CivilDate(2016, 3, 17), CivilDate(2016, 6, 17)]
            .map { CalendarOverride(date: $0, kind: .nonWorking, note: "Suffolk County holiday", asHoliday: true) }
        let calendars: [(String, ProductionCalendar)] = [
            ("Massachusetts legal holidays (shipped us-ma)", options.calendar),
            ("+ Suffolk County holidays (17 Mar, 17 Jun)", options.calendar.applying(suffolk)),
            ("+ 4 July 2015 observed on Friday 3 July", options.calendar.applying([CalendarOverride(date: CivilDate(2015, 7, 3), kind: .nonWorking)])),
            ("weekends only", .weekendsOnly()),
        ]
        let policies = Dictionary(uniqueKeysWithValues: result.types.compactMap { t in t.inferred.map { (t.type, $0.policy) } })
        let training = file.cases.filter { isTraining($0, options) }
        return calendars.map { name, calendar in
            let engine = SLAEngine(calendar: calendar, timeZone: Boston311Cases.timeZone)
            let equal = training.reduce(0) { n, c in
                guard let p = policies[c.type] else { return n }
                return n + (SLAPolicyInference.sameMinute(engine.deadline(start: c.open, policy: p).dueAt, c.target) ? 1 : 0)
            }
            return (name, training.isEmpty ? 0 : Double(equal) / Double(training.count))
        }
    }
}
