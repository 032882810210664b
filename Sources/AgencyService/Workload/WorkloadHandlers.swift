import Contracts
import Foundation
import VecheRuntime
import WorkCalendar
import Workload

/// GetWorkload (staff) and SetBlockStaff (head of the ЦУР): workload per sector block and period, the
/// forecast with its hold-out error and the staff the models need against the staff recorded here.
extension AgencyHandlers {
    func getWorkload(request: AgencyV1.GetWorkloadRequest, context: RPCContext) async throws -> AgencyV1.GetWorkloadResponse {
        let granularity: WorkloadGranularity
        switch request.granularity {
        case "", "month": granularity = .month
        case "week": granularity = .week
        default: throw RPCError.invalidArgument("granularity must be week or month")
        }
        let now = self.now()
        let to = request.toMs > 0 ? Date(timeIntervalSince1970: Double(request.toMs) / 1000) : now
        let from = request.fromMs > 0 ? Date(timeIntervalSince1970: Double(request.fromMs) / 1000) : to.addingTimeInterval(-183 * 86_400)
        guard from < to, to.timeIntervalSince(from) <= 3 * 366 * 86_400 else {
            throw RPCError.invalidArgument("from_ms must be before to_ms and the range at most 3 years")
        }
        let key = try await pool.withConnection { conn in
            WorkloadAnswerKey(granularity: granularity, fromMs: request.fromMs, toMs: request.toMs,
                              staff: Dictionary(try conn.query("SELECT topic_code, staff FROM block_staff").rows.map {
                                  ($0.string("topic_code"), Int($0.int("staff")))
                              }, uniquingKeysWith: { a, _ in a }),
                              overrides: try AgencyStore.overrides(conn),
                              firstReactionHours: Int(try conn.query("""
                                  SELECT first_reaction_working_hours AS h FROM sla_policies WHERE channel = 'social'
                                  """).first?.int("h") ?? 0))
        }
        // Staffing is assessed as of the period's last instant when the period is over (a past month's report: its open
        // backlog at the month's end and the forecast for the month after it), else as of now.
        let asOf = min(now, to.addingTimeInterval(-0.001))
        let pool = self.pool, timeZone = self.timeZone
        return try await workloadAnswers.value(key) {
            let records = try await pool.transaction { conn in   // read through a cursor (`forEachRow`)
                let history = now.addingTimeInterval(-Double(WorkloadModel.defaultHistoryDays + 1) * 86_400)
                return try WorkloadFacts.records(conn, from: min(from, history), to: max(to, now))
            }
            var model = WorkloadModel(timeZone: timeZone, calendar: .region(overrides: key.overrides))
            if key.firstReactionHours > 0 { model.social.targetHours = Double(key.firstReactionHours) }
            return .init(periods: model.periods(records, from: from, to: to, granularity: granularity),
                         staffing: model.staffing(records, recorded: key.staff, now: asOf), generatedAtMs: WorkloadModel.ms(now))
        }
    }

    /// Workload answers shared by every caller for a minute (`FreshCache`; served stale while one recomputes on the
    /// service's background refresher). An answer reads every workload record of its period and of the 180 days before:
    /// 228,000 records on the read bench's state, 0.6 s and about 150 MB of AgencyService for each, and the dashboard
    /// asked again on every 5-second refresh while anyone viewed it (2 s of AgencyService CPU in 30 s of one viewer).
    static func workloadAnswersCache(refresher: BackgroundRefresher?) -> FreshCache<WorkloadAnswerKey, AgencyV1.GetWorkloadResponse> {
        FreshCache(ttl: workloadAnswerTTL, costFactor: 10, capacity: 16, refresher: refresher)
    }
    static let workloadAnswerTTL: Duration = .seconds(60)

    func setBlockStaff(request: AgencyV1.SetBlockStaffRequest, context: RPCContext) async throws -> AgencyV1.SetBlockStaffResponse {
        let caller = try context.requirePrincipal()
        try Self.validateTopic(request.topicCode)
        guard (0...10_000).contains(request.staff) else { throw RPCError.invalidArgument("staff must be within 0...10000") }
        let audit = self.audit, block = request.topicCode, staff = request.staff
        try await pool.transaction { conn in
            try conn.query("""
                INSERT INTO block_staff (topic_code, staff) VALUES (\(block), \(staff))
                ON CONFLICT (topic_code) DO UPDATE SET staff = excluded.staff, updated_at = now()
                """)
            try audit.record(conn, caller, .init(action: "directory.block_staff.set", target: block, detail: "\(staff)"))
        }
        return .init(topicCode: block, staff: staff)
    }

    /// The demo region's recorded staff per block (once; later changes survive restarts).
    static func seedBlockStaff(_ conn: PGConnection) throws {
        let staff = ["housing": 5, "waste": 2, "energy": 2, "education": 2, "health": 3, "roads": 3, "transport": 2, "social": 2, "other": 1]
        for (block, n) in staff.sorted(by: { $0.key < $1.key }) {
            try conn.query("INSERT INTO block_staff (topic_code, staff) VALUES (\(block), \(n)) ON CONFLICT DO NOTHING")
        }
    }
}

/// What a workload answer depends on besides the workload records themselves: the request as sent (an open end means
/// "until now" when computed) and the inputs the ЦУР records — block staff, calendar overrides, the social first-reaction
/// target. They are read on every call (a few rows), so a change of any of them is a new key and shows at once; new
/// records show within `AgencyHandlers.workloadAnswerTTL`.
struct WorkloadAnswerKey: Hashable, Sendable {
    var granularity: WorkloadGranularity
    var fromMs: Int64
    var toMs: Int64
    var staff: [String: Int]
    var overrides: [CalendarOverride]
    var firstReactionHours: Int
}
