import Contracts
import Foundation
import RatingEngine
import VecheRuntime

/// What only the curator decides: the KPI targets in force and the approval of each monthly report.
/// Both are audited; the approver is the authenticated caller.
extension RatingHandlers {
    func setKpiTargets(request: RatingV1.SetKpiTargetsRequest, context: RPCContext) async throws -> RatingV1.SetKpiTargetsResponse {
        let caller = try context.requirePrincipal()
        guard !request.targets.isEmpty else { throw RPCError.invalidArgument("targets are required") }
        var problems: [String] = []
        var seen = Set<String>()
        for t in request.targets {
            if Metric(rawValue: t.code) == nil {
                problems.append("unknown KPI code '\(t.code)'; codes: \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !t.target.isFinite || !t.amberMargin.isFinite || t.amberMargin < 0 { problems.append("\(t.code): target and amber_margin must be finite, margin ≥ 0") }
            if !seen.insert(t.code).inserted { problems.append("\(t.code) given twice") }
        }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        let targets = request.targets, audit = self.audit
        return try await pool.transaction { conn in
            try conn.unsafeExecute("DELETE FROM kpi_targets")
            for t in targets {
                try conn.query("""
                    INSERT INTO kpi_targets (code, target, higher_is_better, amber_margin, approved_by)
                    VALUES (\(t.code), \(t.target), \(t.higherIsBetter), \(t.amberMargin), \(caller.actor))
                    """)
            }
            try audit.record(conn, caller, .init(action: "rating.kpi_targets.approve",
                                                 detail: targets.map { "\($0.code) \($0.higherIsBetter ? "≥" : "≤") \($0.target)" }.joined(separator: "; ")))
            let (stored, by, at) = try Self.storedTargets(conn)
            return RatingV1.SetKpiTargetsResponse(targets: stored.map(Self.wire), approvedBy: by, approvedAtMs: at)
        }
    }

    func approveReport(request: RatingV1.ApproveReportRequest, context: RPCContext) async throws -> RatingV1.ApproveReportResponse {
        let caller = try context.requirePrincipal()
        let period = request.period
        _ = try periods.period(period, asOf: now())
        guard request.note.count <= 2000 else { throw RPCError.invalidArgument("note is longer than 2000 characters") }
        let audit = self.audit
        let approval = try await pool.transaction { conn -> RatingV1.ReportApproval in
            guard let row = try conn.query("""
                INSERT INTO report_approvals (period, approved_by, note) VALUES (\(period), \(caller.actor), \(request.note))
                ON CONFLICT (period) DO UPDATE SET approved_by = EXCLUDED.approved_by, approved_at = now(), note = EXCLUDED.note
                RETURNING *
                """).first else { throw RPCError.internalError("approval was not saved") }
            try audit.record(conn, caller, .init(action: "rating.report.approve", target: period, detail: request.note))
            return Self.approval(row)
        }
        return .init(approval: approval)
    }

    func getReportApproval(request: RatingV1.GetReportApprovalRequest, context: RPCContext) async throws -> RatingV1.GetReportApprovalResponse {
        let period = request.period
        _ = try periods.period(period, asOf: now())
        let row = try await pool.query("SELECT * FROM report_approvals WHERE period = \(period)").first
        return .init(approval: row.map(Self.approval) ?? RatingV1.ReportApproval(period: period))
    }

    static func approval(_ r: PGRow) -> RatingV1.ReportApproval {
        RatingV1.ReportApproval(period: r.string("period"), approvedBy: r.string("approved_by"), approvedAtMs: r.epochMs("approved_at"),
                                note: r.string("note"))
    }

    static func wire(_ t: KPITarget) -> RatingV1.KpiTarget {
        RatingV1.KpiTarget(code: t.metric.rawValue, target: t.target, higherIsBetter: t.comparison == .atLeast, amberMargin: t.amberMargin)
    }

    /// The curator's targets (with who approved them and when); empty when none were approved.
    static func storedTargets(_ conn: PGConnection) throws -> ([KPITarget], String, Int64) {
        let rows = try conn.query("SELECT * FROM kpi_targets ORDER BY code").rows
        let targets = rows.compactMap { r -> KPITarget? in
            guard let m = Metric(rawValue: r.string("code")) else { return nil }
            return KPITarget(m, r.bool("higher_is_better") ? .atLeast : .atMost, r.double("target"), amberMargin: r.double("amber_margin"))
        }
        let latest = rows.max { $0.epochMs("approved_at") < $1.epochMs("approved_at") }
        return (targets, latest?.string("approved_by") ?? "", latest?.epochMs("approved_at") ?? 0)
    }
}
