import Contracts
import Foundation
import RatingEngine
import Taxonomy
import VecheRuntime

/// Reads and maps root-cause cases: the stored row, the names from the directory (else the taxonomy) and the
/// progress against the target computed from the projection (`RootCauseMath`).
struct RootCauseStore: Sendable {
    let days: CalendarDays

    /// The appeals a case counts: its problem group, or its category in its municipality.
    static func matching(kind: String, group: String, category: String, oktmo: String) -> SQL {
        kind == "problem_group" ? "problem_group_id = \(group)" : "category_code = \(category) AND municipality_oktmo = \(oktmo)"
    }

    /// Appeals of the case registered in [from, to).
    static func count(_ conn: PGConnection, _ row: PGRow, from: Date, to: Date) throws -> Int {
        let m = matching(kind: row.string("kind"), group: row.string("problem_group_id"), category: row.string("category_code"),
                         oktmo: row.string("municipality_oktmo"))
        let sql: SQL = "SELECT count(*) AS n FROM appeal_facts WHERE registered_at >= \(from)::timestamptz AND registered_at < \(to)::timestamptz AND "
        return Int(try conn.query(sql + m).first?.int("n") ?? 0)
    }

    static func status(_ raw: String) -> RatingV1.RootCauseStatus {
        switch raw {
        case "open": return .open
        case "in_work": return .inWork
        case "resolved": return .resolved
        case "closed": return .closed
        default: return .unspecified
        }
    }

    static func statusText(_ s: RatingV1.RootCauseStatus) -> String? {
        switch s {
        case .open: return "open"
        case .inWork: return "in_work"
        case .resolved: return "resolved"
        case .closed: return "closed"
        case .unspecified: return nil
        }
    }

    /// The case as the wire shows it, with its progress evaluated on `today` (ISO day, region time zone).
    func wire(_ conn: PGConnection, _ r: PGRow, directory dir: Directory, now: Date) throws -> RatingV1.RootCauseCase {
        var c = RatingV1.RootCauseCase(
            id: r.string("id"), kind: r.string("kind"), problemGroupId: r.string("problem_group_id"), topicCode: r.string("topic_code"),
            categoryCode: r.string("category_code"), municipalityOktmo: r.string("municipality_oktmo"), title: r.string("title"),
            agencyIds: r.stringArray("agency_ids"), plan: r.string("plan"), targetDate: r.string("target_date"),
            status: Self.status(r.string("status")), appealsAtDetection: r.int("appeals_at_detection"),
            detectedAtMs: r.epochMs("detected_at"), updatedAtMs: r.epochMs("updated_at"), updatedBy: r.string("updated_by"),
            version: r.int("version"))
        c.topicName = Self.named(dir.topics[c.topicCode], Taxonomy.topic(code: c.topicCode)?.nameRu, c.topicCode)
        c.categoryName = Self.named(dir.categories[c.categoryCode], Taxonomy.category(code: c.categoryCode)?.nameRu, c.categoryCode)
        c.municipalityName = c.municipalityOktmo.isEmpty ? "" : dir.name(.municipality, c.municipalityOktmo)
        c.agencyNames = c.agencyIds.map { dir.name(.agency, $0) }
        let target = RatingV1.RootCauseTarget(baselineFrom: r.string("baseline_from"), baselineTo: r.string("baseline_to"),
                                              baselineCount: r.int("baseline_count"), reductionPercent: r.double("reduction_percent"),
                                              measureDays: r.int32("measure_days"))
        c.target = target
        c.progress = try progress(conn, r, target: target, targetDate: c.targetDate, now: now)
        return c
    }

    /// Current rate over the `measure_days` ending at today (or at the target date once it passed) against the
    /// baseline's rate and the target's.
    func progress(_ conn: PGConnection, _ r: PGRow, target t: RatingV1.RootCauseTarget, targetDate: String,
                  now: Date) throws -> RatingV1.RootCauseProgress {
        let today = days.iso(now)
        let asOf = !targetDate.isEmpty && targetDate < today ? targetDate : today
        let measureEnd = days.end(asOf)
        let measureStart = days.start(days.adding(days: -(Int(t.measureDays) - 1), to: asOf))
        let current = try Self.count(conn, r, from: measureStart, to: min(measureEnd, now))
        let baselineDays = days.days(from: t.baselineFrom, to: t.baselineTo) + 1
        var elapsed: Double? = nil
        if !targetDate.isEmpty {
            let span = days.days(from: t.baselineTo, to: targetDate)
            elapsed = span <= 0 ? 1 : Double(days.days(from: t.baselineTo, to: today)) / Double(span)
        }
        let f = RootCauseMath.progress(baselineCount: Int(t.baselineCount), baselineDays: baselineDays, currentCount: current,
                                       measureDays: Int(t.measureDays), reductionPercent: t.reductionPercent, elapsedShare: elapsed)
        return RatingV1.RootCauseProgress(baselineRate: f.baselineRate, targetRate: f.targetRate, currentCount: Int64(f.currentCount),
                                          asOf: asOf, achievedReductionPercent: f.achievedReductionPercent, progress: f.progress,
                                          verdict: f.verdict.rawValue)
    }

    static func named(_ fromDirectory: String?, _ fromTaxonomy: String?, _ code: String) -> String {
        if let n = fromDirectory, !n.isEmpty { return n }
        if let n = fromTaxonomy, !n.isEmpty { return n }
        return code
    }

    static func history(_ conn: PGConnection, caseID: Int64) throws -> [RatingV1.RootCauseChange] {
        try conn.query("SELECT * FROM root_cause_history WHERE case_id = \(caseID) ORDER BY id").rows.map {
            RatingV1.RootCauseChange(atMs: $0.epochMs("at"), actor: $0.string("actor"), action: $0.string("action"), detail: $0.string("detail"))
        }
    }
}
