import Contracts
import Foundation
import VecheRuntime

/// A validated UpdateRootCause: what the staff may change and the rules (status moves, dates, target bounds).
struct RootCauseEdit: Sendable {
    /// Allowed status moves: open → in_work | closed; in_work → open | resolved | closed; resolved → in_work | closed;
    /// closed → in_work (reopened).
    static let moves: [String: Set<String>] = [
        "open": ["in_work", "closed"], "in_work": ["open", "resolved", "closed"],
        "resolved": ["in_work", "closed"], "closed": ["in_work"],
    ]

    var plan: String
    var targetDate: String?
    var baselineFrom: String?
    var baselineTo: String?
    var reductionPercent: Double
    var measureDays: Int?
    var status: String?
    var agencyIDs: [String]?
    var comment: String

    init(_ r: RatingV1.UpdateRootCauseRequest, days: CalendarDays) throws {
        var problems: [String] = []
        plan = r.plan.trimmingCharacters(in: .whitespacesAndNewlines)
        if plan.count > 10_000 { problems.append("plan is longer than 10000 characters") }
        comment = r.comment.trimmingCharacters(in: .whitespacesAndNewlines)
        if comment.count > 2000 { problems.append("comment is longer than 2000 characters") }
        let t = r.target ?? RatingV1.RootCauseTarget()
        do { targetDate = try days.parse(r.targetDate, field: "target_date") } catch let e as RPCError { problems.append(e.message); targetDate = nil }
        do { baselineFrom = try days.parse(t.baselineFrom, field: "baseline_from") } catch let e as RPCError { problems.append(e.message); baselineFrom = nil }
        do { baselineTo = try days.parse(t.baselineTo, field: "baseline_to") } catch let e as RPCError { problems.append(e.message); baselineTo = nil }
        reductionPercent = t.reductionPercent
        if !reductionPercent.isFinite || reductionPercent < 0 || reductionPercent > 100 { problems.append("reduction_percent must be 0–100") }
        measureDays = t.measureDays == 0 ? nil : Int(t.measureDays)
        if let m = measureDays, !(1...366).contains(m) { problems.append("measure_days must be 1–366") }
        status = RootCauseStore.statusText(r.status)
        let ids = r.agencyIds.map { $0.trimmingCharacters(in: .whitespaces) }
        if ids.contains(where: \.isEmpty) || ids.count > 50 || Set(ids).count != ids.count {
            problems.append("agency_ids must be up to 50 distinct non-empty ids")
        }
        agencyIDs = ids.isEmpty ? nil : ids
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
    }

    /// The case after the edit (validated against the stored row: status move, baseline order, target date after the baseline).
    struct Result: Sendable {
        var plan: String
        var targetDate: String?
        var baselineFrom: String
        var baselineTo: String
        var reductionPercent: Double
        var measureDays: Int
        var status: String
        var agencyIDs: [String]
        var before: [String: String]

        /// History entries: a status move, and one entry listing the other fields that changed (with the comment).
        func changes(comment: String) -> [(String, String)] {
            var out: [(String, String)] = []
            if before["status"] != status { out.append(("status", "\(before["status"] ?? "") → \(status)")) }
            var changed: [String] = []
            if before["plan"] != plan { changed.append("план") }
            if before["target_date"] != (targetDate ?? "") { changed.append("срок: \(targetDate.map(RootCauseEdit.russian) ?? "не задан")") }
            if before["reduction"] != String(reductionPercent) { changed.append("цель: снижение на \(reductionPercent)%") }
            if before["baseline"] != "\(baselineFrom)…\(baselineTo)/\(measureDays)" {
                changed.append("база: \(RootCauseEdit.russian(baselineFrom))–\(RootCauseEdit.russian(baselineTo)), период измерения \(measureDays) дн.")
            }
            if before["agencies"] != agencyIDs.joined(separator: ",") { changed.append("ответственные: \(agencyIDs.joined(separator: ", "))") }
            if !changed.isEmpty || !comment.isEmpty {
                out.append(("updated", (changed + (comment.isEmpty ? [] : ["комментарий: \(comment)"])).joined(separator: "; ")))
            }
            return out
        }
    }

    func apply(to row: PGRow, days: CalendarDays) throws -> Result {
        let current = row.string("status")
        let next = status ?? current
        if next != current && !(Self.moves[current]?.contains(next) ?? false) {
            throw RPCError.failedPrecondition("a case that is \(current) cannot become \(next); allowed: "
                                              + (Self.moves[current] ?? []).sorted().joined(separator: ", "))
        }
        let from = baselineFrom ?? row.string("baseline_from"), to = baselineTo ?? row.string("baseline_to")
        guard from <= to else { throw RPCError.invalidArgument("baseline_from must not be after baseline_to") }
        if let d = targetDate, d <= to { throw RPCError.invalidArgument("target_date must be after the baseline period (ends \(Self.russian(to)))") }
        if reductionPercent > 0 && targetDate == nil { throw RPCError.invalidArgument("a reduction target needs a target_date") }
        let measure = measureDays ?? Int(row.int("measure_days"))
        let before = ["status": current, "plan": row.string("plan"), "target_date": row.string("target_date"),
                      "reduction": String(row.double("reduction_percent")),
                      "baseline": "\(row.string("baseline_from"))…\(row.string("baseline_to"))/\(row.int("measure_days"))",
                      "agencies": row.stringArray("agency_ids").joined(separator: ",")]
        return Result(plan: plan, targetDate: targetDate, baselineFrom: from, baselineTo: to, reductionPercent: reductionPercent,
                      measureDays: measure, status: next, agencyIDs: agencyIDs ?? row.stringArray("agency_ids"), before: before)
    }

    /// «2026-12-31» → «31.12.2026».
    static func russian(_ iso: String) -> String {
        let p = iso.split(separator: "-")
        return p.count == 3 ? "\(p[2]).\(p[1]).\(p[0])" : iso
    }
}
