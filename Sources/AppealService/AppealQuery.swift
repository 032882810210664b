import Contracts
import Foundation
import VecheRuntime

/// ListAppeals: filters combined with AND, newest first (keyset paging on (received_at, id)) or nearest open
/// deadline first (keyset paging on (next deadline, id); appeals without an open deadline last).
struct AppealQuery: Sendable {
    static let defaultPageSize: Int32 = 50
    static let maxPageSize: Int32 = 500

    var conditions: [SQL] = []
    var pageSize: Int32
    var order: AppealV1.ListOrder
    var after: (ms: Int64, id: String)?

    /// The deadline an open appeal is working towards: registration (or first reaction, if sooner) while
    /// received, forwarding while registered, the answer afterwards; none once answered or closed. Truncated
    /// to milliseconds, the precision of page tokens.
    static let nextDue: SQL = """
        date_trunc('milliseconds', coalesce(CASE a.status WHEN 'received' THEN least(a.register_due, a.first_reaction_due)
                               WHEN 'registered' THEN a.forward_due
                               WHEN 'answered' THEN NULL WHEN 'closed' THEN NULL
                               ELSE a.answer_due END, 'infinity'::timestamptz))
        """
    /// Page-token value standing for "no open deadline" ('infinity').
    static let noDeadline = Int64.max

    init(_ r: AppealV1.ListAppealsRequest) throws {
        let page = r.page ?? CommonV1.PageRequest()
        guard page.pageSize >= 0 else { throw RPCError.invalidArgument("page_size must not be negative") }
        pageSize = page.pageSize == 0 ? Self.defaultPageSize : min(page.pageSize, Self.maxPageSize)
        order = r.order
        if !page.pageToken.isEmpty {
            guard let decoded = Self.decodeToken(page.pageToken, order: order) else { throw RPCError.invalidArgument("page_token is not valid") }
            after = decoded
        }
        if !r.statuses.isEmpty { conditions.append("a.status = ANY(\(r.statuses.map(\.name))::text[])") }
        if !r.channels.isEmpty { conditions.append("a.channel = ANY(\(r.channels.map(\.name))::text[])") }
        if !r.agencyId.isEmpty { conditions.append("a.agency_id = \(r.agencyId)") }
        if !r.municipalityOktmo.isEmpty { conditions.append("a.municipality_oktmo = \(r.municipalityOktmo)") }
        if !r.topicCode.isEmpty { conditions.append("a.topic_code = \(r.topicCode)") }
        if !r.categoryCode.isEmpty { conditions.append("a.category_code = \(r.categoryCode)") }
        if !r.externalId.isEmpty { conditions.append("a.external_id = \(r.externalId)") }
        if !r.monitoringFlag.isEmpty { conditions.append("\(r.monitoringFlag) = ANY(a.monitoring_flags)") }
        if !r.problemGroupId.isEmpty { conditions.append("a.problem_group_id = \(r.problemGroupId)") }
        if r.receivedFromMs > 0 { conditions.append("a.received_at >= \(Self.date(r.receivedFromMs))::timestamptz") }
        if r.receivedToMs > 0 { conditions.append("a.received_at < \(Self.date(r.receivedToMs))::timestamptz") }
        if r.unassignedOnly { conditions.append("a.agency_id = '' AND a.status NOT IN ('answered','closed')") }
        if r.overdueOnly { conditions.append("a.status NOT IN ('answered','closed') AND a.answer_due < now()") }
        let q = r.textQuery.trimmingCharacters(in: .whitespacesAndNewlines)
        if !q.isEmpty {
            conditions.append("(to_tsvector('russian', a.title || ' ' || a.body) @@ plainto_tsquery('russian', \(q)) OR a.number = \(q))")
        }
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    func run(_ conn: PGConnection) throws -> AppealV1.ListAppealsResponse {
        let filter: SQL = conditions.isEmpty ? "TRUE" : SQL.join(conditions, separator: " AND ")
        let total = try conn.query("SELECT count(*) AS n FROM appeals a WHERE \(filter)").first?.int("n") ?? 0
        var pageFilter = filter
        let rows: [AppealV1.Appeal]
        switch order {
        case .newest:
            if let after {
                pageFilter = filter + " AND (a.received_at, a.id) < (\(Self.date(after.ms))::timestamptz, \(after.id)::uuid)"
            }
            rows = try conn.query("""
                SELECT \(AppealStore.columns) FROM appeals a WHERE \(pageFilter)
                ORDER BY a.received_at DESC, a.id DESC LIMIT \(Int(pageSize) + 1)
                """).rows.map(AppealStore.appeal(from:))
        case .deadline:
            if let after {
                let due: SQL = after.ms == Self.noDeadline ? "'infinity'::timestamptz" : "\(Self.date(after.ms))::timestamptz"
                pageFilter = filter + " AND (\(Self.nextDue), a.id) > (\(due), \(after.id)::uuid)"
            }
            rows = try conn.query("""
                SELECT \(AppealStore.columns) FROM appeals a WHERE \(pageFilter)
                ORDER BY \(Self.nextDue), a.id LIMIT \(Int(pageSize) + 1)
                """).rows.map(AppealStore.appeal(from:))
        }
        let page = Array(rows.prefix(Int(pageSize)))
        var next = ""
        if rows.count > Int(pageSize), let last = page.last {
            next = Self.encodeToken(ms: order == .deadline ? Self.nextDueMs(last) : last.receivedAtMs, id: last.id, order: order)
        }
        return AppealV1.ListAppealsResponse(appeals: page, nextPageToken: next, totalCount: total)
    }

    /// `nextDue` of a fetched appeal, as the page token carries it.
    static func nextDueMs(_ a: AppealV1.Appeal) -> Int64 {
        let d = a.deadlines ?? AppealV1.Deadlines()
        let due: Int64
        switch a.status {
        case .received: due = [d.registerDueMs, d.firstReactionDueMs].filter { $0 > 0 }.min() ?? 0
        case .registered: due = d.forwardDueMs
        case .answered, .closed: due = 0
        default: due = d.answerDueMs
        }
        return due > 0 ? due : noDeadline
    }

    /// Tokens name their order, so a token of one order is refused by the other.
    static func encodeToken(ms: Int64, id: String, order: AppealV1.ListOrder = .newest) -> String {
        Data("\(order == .deadline ? "d" : "")\(ms)/\(id)".utf8).base64EncodedString()
    }

    static func decodeToken(_ token: String, order: AppealV1.ListOrder = .newest) -> (ms: Int64, id: String)? {
        guard let data = Data(base64Encoded: token), var s = String(data: data, encoding: .utf8) else { return nil }
        if order == .deadline {
            guard s.hasPrefix("d") else { return nil }
            s.removeFirst()
        }
        let parts = s.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let ms = Int64(parts[0]), UUID(uuidString: parts[1]) != nil else { return nil }
        return (ms, parts[1])
    }
}
