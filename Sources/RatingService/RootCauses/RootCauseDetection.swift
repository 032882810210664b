import Contracts
import Foundation
import Taxonomy
import VecheRuntime

/// Finds recurring problems in the projection and opens one root-cause case per problem (idempotent: the case key
/// is unique, so a problem already opened — whatever its status — is never opened again). A problem recurs when,
/// within the window, its appeals reach the threshold:
/// - a duplicate/problem group of AppealService (`problem_group_id`) with at least `groupThreshold` appeals;
/// - one category (not a topic's «Прочее») in one municipality with at least `threshold` appeals.
/// The owning sector block is the appeals' most frequent topic (else the category's in the taxonomy); the
/// responsible agencies are the appeals' agencies, most appeals first. The baseline is the window itself.
struct RootCauseDetection: Sendable {
    let days: CalendarDays

    struct Candidate: Sendable {
        var key: String
        var kind: String
        var group = ""
        var category = ""
        var oktmo = ""
        var count = 0
        var topics: [String: Int] = [:]
        var categories: [String: Int] = [:]
        var municipalities: [String: Int] = [:]
        var agencies: [String: Int] = [:]

        mutating func add(_ r: PGRow, n: Int) {
            count += n
            topics[r.string("topic_code"), default: 0] += n
            categories[r.string("category_code"), default: 0] += n
            municipalities[r.string("municipality_oktmo"), default: 0] += n
            if !r.string("agency_id").isEmpty { agencies[r.string("agency_id"), default: 0] += n }
        }

        static func top(_ counts: [String: Int]) -> String {
            counts.filter { !$0.key.isEmpty }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
        }
    }

    /// Candidates over [windowStart, now) at the given thresholds, largest first.
    static func candidates(_ conn: PGConnection, from: Date, to: Date, threshold: Int, groupThreshold: Int) throws -> ([Candidate], Int) {
        let rows = try conn.query("""
            SELECT problem_group_id, topic_code, category_code, municipality_oktmo, agency_id, count(*) AS n
            FROM appeal_facts WHERE registered_at >= \(from)::timestamptz AND registered_at < \(to)::timestamptz
            GROUP BY 1, 2, 3, 4, 5
            """).rows
        var groups: [String: Candidate] = [:], cells: [String: Candidate] = [:]
        var total = 0
        for r in rows {
            let n = Int(r.int("n"))
            total += n
            let group = r.string("problem_group_id"), category = r.string("category_code"), oktmo = r.string("municipality_oktmo")
            if !group.isEmpty {
                let key = "group:" + group
                groups[key, default: Candidate(key: key, kind: "problem_group", group: group)].add(r, n: n)
            }
            let isOther = category.isEmpty || category == "other" || category.hasSuffix(".other") || Taxonomy.category(code: category)?.isOther == true
            if !isOther && !oktmo.isEmpty {
                let key = "cat:\(category)@\(oktmo)"
                cells[key, default: Candidate(key: key, kind: "category_territory", category: category, oktmo: oktmo)].add(r, n: n)
            }
        }
        let found = groups.values.filter { $0.count >= groupThreshold } + cells.values.filter { $0.count >= threshold }
        return (found.sorted { ($0.count, $1.key) > ($1.count, $0.key) }, total)
    }

    /// Opens the cases not opened before; returns their ids (new cases only) and the appeals considered.
    func detect(_ conn: PGConnection, now: Date, windowDays: Int, threshold: Int, groupThreshold: Int, measureDays: Int,
                directory dir: Directory, actor: String) throws -> ([Int64], Int) {
        let today = days.iso(now)
        let baselineFrom = days.adding(days: -windowDays, to: today), baselineTo = days.adding(days: -1, to: today)
        let (found, total) = try Self.candidates(conn, from: days.start(baselineFrom), to: now, threshold: threshold, groupThreshold: groupThreshold)
        var opened: [Int64] = []
        for c in found {
            let category = c.kind == "problem_group" ? Candidate.top(c.categories) : c.category
            let oktmo = c.kind == "problem_group" ? Candidate.top(c.municipalities) : c.oktmo
            var topic = Candidate.top(c.topics)
            if topic.isEmpty { topic = Taxonomy.topic(forCategory: category)?.code ?? "other" }
            let agencies = c.agencies.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let title = Self.title(kind: c.kind, category: category, oktmo: oktmo, directory: dir)
            guard let row = try conn.query("""
                INSERT INTO root_causes (case_key, kind, problem_group_id, topic_code, category_code, municipality_oktmo, title, agency_ids,
                                         baseline_from, baseline_to, baseline_count, measure_days, appeals_at_detection, updated_by)
                VALUES (\(c.key), \(c.kind), \(c.group), \(topic), \(category), \(oktmo), \(title), \(agencies)::text[],
                        \(baselineFrom)::date, \(baselineTo)::date, \(c.count), \(measureDays), \(c.count), \(actor))
                ON CONFLICT (case_key) DO NOTHING RETURNING id
                """).first else { continue }
            let id = row.int("id")
            let detail = "\(c.count) обращений за \(windowDays) дн. (порог \(c.kind == "problem_group" ? groupThreshold : threshold))"
            try conn.query("INSERT INTO root_cause_history (case_id, actor, action, detail) VALUES (\(id), \(actor), 'detected', \(detail))")
            opened.append(id)
        }
        return (opened, total)
    }

    /// «Отопление — г. Курск» (a problem group: «… (повторяющаяся группа обращений)»).
    static func title(kind: String, category: String, oktmo: String, directory dir: Directory) -> String {
        let cat = RootCauseStore.named(dir.categories[category], Taxonomy.category(code: category)?.nameRu, category.isEmpty ? "Проблема" : category)
        let place = oktmo.isEmpty ? "" : " — " + dir.name(.municipality, oktmo)
        return cat + place + (kind == "problem_group" ? " (повторяющаяся группа обращений)" : "")
    }
}
