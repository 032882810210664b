import Contracts
import Foundation
import VecheRuntime

/// ListAppeals: filters combined with AND, newest first (keyset paging on (received_at, id)) or nearest open
/// deadline first (keyset paging on (next deadline, id); appeals without an open deadline last). Every page
/// reads about `page_size` rows of a fitting index (`AppealListIndexes`); the total is counted once, on the
/// first page (exactly when the planner expects at most `exactCountLimit`, else its estimate), and travels in
/// the page token.
struct AppealQuery: Sendable {
    static let defaultPageSize: Int32 = 50
    static let maxPageSize: Int32 = 500
    /// Totals up to this are exact; larger ones are the planner's estimate (`total_is_estimate`).
    static let exactCountLimit = 10_000

    var conditions: [SQL] = []
    var pageSize: Int32
    var order: AppealV1.ListOrder
    var after: AppealPageToken?
    /// Whether the filter admits open appeals / answered or closed ones (the two parts of deadline order).
    var admitsOpen = true
    var admitsFinished = true
    /// Overdue only: the page is taken from the (few) overdue appeals, not from the newest ones (below).
    var overdueOnly = false
    /// How a newest-first page of a text query is taken (`.none` without one).
    var textSearch = TextSearch.none

    /// A text query's newest-first page: day by day from the search index (`AppealSearch.newestPageIDs`), or, for a
    /// query the planner expects in few appeals (`run` chooses, see `searchByDayAbove`), from all its matches
    /// (`AppealSearch.fewMatchesPageIDs`).
    enum TextSearch: Sendable { case none, byDay, allMatches }

    /// The deadline an open appeal is working towards (`appeal_next_due`, migration 7), as indexed.
    static let nextDue: SQL = "appeal_next_due(a.status, a.register_due, a.first_reaction_due, a.forward_due, a.answer_due)"
    /// Open / answered or closed (`AppealListIndexes`' predicates, so that the partial indexes match).
    static let open = SQL(stringLiteral: "a." + AppealListIndexes.openPredicate)
    static let finished = SQL(stringLiteral: "a.status IN " + AppealListIndexes.finishedStatuses)

    init(_ r: AppealV1.ListAppealsRequest) throws {
        let page = r.page ?? CommonV1.PageRequest()
        guard page.pageSize >= 0 else { throw RPCError.invalidArgument("page_size must not be negative") }
        pageSize = page.pageSize == 0 ? Self.defaultPageSize : min(page.pageSize, Self.maxPageSize)
        order = r.order
        if !page.pageToken.isEmpty {
            guard let decoded = AppealPageToken(page.pageToken, order: order) else { throw RPCError.invalidArgument("page_token is not valid") }
            after = decoded
        }
        if !r.statuses.isEmpty {
            conditions.append(Self.oneOf("a.status", r.statuses.map(\.name)))
            admitsFinished = r.statuses.contains { $0 == .answered || $0 == .closed }
            admitsOpen = r.statuses.contains { $0 != .answered && $0 != .closed }
        }
        if !r.channels.isEmpty { conditions.append(Self.oneOf("a.channel", r.channels.map(\.name))) }
        if !r.agencyId.isEmpty { conditions.append("a.agency_id = \(r.agencyId)") }
        if !r.municipalityOktmo.isEmpty { conditions.append("a.municipality_oktmo = \(r.municipalityOktmo)") }
        if !r.topicCode.isEmpty { conditions.append("a.topic_code = \(r.topicCode)") }
        if !r.categoryCode.isEmpty { conditions.append("a.category_code = \(r.categoryCode)") }
        if !r.externalId.isEmpty { conditions.append("a.external_id = \(r.externalId)") }
        // The first conjunct names the predicate of the flagged-appeals index.
        if !r.monitoringFlag.isEmpty { conditions.append("a.monitoring_flags <> '{}' AND \(r.monitoringFlag) = ANY(a.monitoring_flags)") }
        if !r.problemGroupId.isEmpty { conditions.append("a.problem_group_id = \(r.problemGroupId)") }
        if r.receivedFromMs > 0 { conditions.append("a.received_at >= \(Self.date(r.receivedFromMs))::timestamptz") }
        if r.receivedToMs > 0 { conditions.append("a.received_at < \(Self.date(r.receivedToMs))::timestamptz") }
        if r.unassignedOnly { conditions.append("a.agency_id = '' AND " + Self.open) }
        if r.triageOnly { conditions.append("a.needs_triage AND a.agency_id = '' AND " + Self.open) }
        if r.overdueOnly { conditions.append(Self.open + " AND a.answer_due < now()") }
        overdueOnly = r.overdueOnly
        if r.unassignedOnly || r.triageOnly || r.overdueOnly { admitsFinished = false }
        let q = r.textQuery.trimmingCharacters(in: .whitespacesAndNewlines)
        if !q.isEmpty {
            conditions.append(AppealSearch.condition(q))
            textSearch = .byDay
        }
    }

    /// `column = value` for one value (an index can then return rows in its order), `= ANY` for several.
    static func oneOf(_ column: String, _ values: [String]) -> SQL {
        values.count == 1 ? SQL(stringLiteral: column) + " = \(values[0])" : SQL(stringLiteral: column) + " = ANY(\(values)::text[])"
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    var filter: SQL { conditions.isEmpty ? "TRUE" : SQL.join(conditions, separator: " AND ") }

    /// The filter as counted: one that admits open appeals only also names the predicate of the open-appeal
    /// indexes, so the count can be an index-only scan of one of them.
    var countFilter: SQL { admitsFinished ? filter : filter + " AND " + Self.open }

    /// The page's statement (`pageSize + 1` rows: one more tells whether another page follows).
    var pageSQL: SQL {
        let limit = Int(pageSize) + 1
        switch order {
        case .newest:
            var where_ = filter
            if let after {
                where_ = where_ + " AND (a.received_at, a.id) < (\(Self.date(after.ms))::timestamptz, \(after.id)::uuid)"
            }
            // The page's ids first, then its rows by primary key: where a `(…, received_at, id)` index holds every
            // column of the filter (`AppealListIndexes`), the ids come from an index-only scan, so rows the filter
            // rejects cost no visit to the table.
            if overdueOnly {
                // Overdue appeals are few but not the newest (the newest are within their 30 days): walking the newest
                // open appeals would discard every one not yet due (13,566 index entries for a page at a million
                // appeals). The page comes from the watcher's overdue marks and the few unmarked overdue appeals
                // (`OverdueMarks`, migration 25).
                return """
                    SELECT \(AppealStore.columns) FROM appeals a WHERE a.id IN (\(OverdueMarks.pageIDs(where: where_, limit: limit)))
                    ORDER BY a.received_at DESC, a.id DESC
                    """
            }
            if textSearch != .none {
                let ids = textSearch == .byDay ? AppealSearch.newestPageIDs(where: where_, limit: limit, beforeMs: after?.ms)
                                               : AppealSearch.fewMatchesPageIDs(where: where_, limit: limit)
                return """
                    SELECT \(AppealStore.columns) FROM appeals a WHERE a.id IN (\(ids))
                    ORDER BY a.received_at DESC, a.id DESC
                    """
            }
            // A page whose filter binds no value (no filter, or constant ones) has one best plan whatever the keyset
            // position — walk the (received_at, id) order — so it runs prepared, with its LIMIT a literal (a generic
            // plan would have to guess a bound LIMIT): parsing and planning were 0.85 of its 2 ms in PostgreSQL.
            let limitSQL: SQL = pagePreparable ? "\(integer: limit)" : "\(limit)"
            return """
                SELECT \(AppealStore.columns) FROM appeals a WHERE a.id IN
                    (SELECT a.id FROM appeals a WHERE \(where_) ORDER BY a.received_at DESC, a.id DESC LIMIT \(limitSQL))
                ORDER BY a.received_at DESC, a.id DESC
                """
        case .deadline:
            // Open appeals by their deadline (partial indexes over open appeals), then answered and closed ones
            // (no deadline: 'infinity') by id (primary key); each part fetches at most one page.
            var parts: [SQL] = []
            if admitsOpen {
                var where_ = filter + " AND " + Self.open
                if let after {
                    let due: SQL = after.ms == AppealPageToken.noDeadline
                        ? "'infinity'::timestamp" : "(\(Self.date(after.ms))::timestamptz AT TIME ZONE 'UTC')"
                    where_ = where_ + " AND (\(Self.nextDue), a.id) > (\(due), \(after.id)::uuid)"
                }
                parts.append("""
                    (SELECT \(AppealStore.columns), \(Self.nextDue) AS sort_due, a.id AS sort_id FROM appeals a WHERE \(where_)
                     ORDER BY \(Self.nextDue), a.id LIMIT \(limit))
                    """)
            }
            if admitsFinished {
                var where_ = filter + " AND " + Self.finished
                if let after, after.ms == AppealPageToken.noDeadline { where_ = where_ + " AND a.id > \(after.id)::uuid" }
                parts.append("""
                    (SELECT \(AppealStore.columns), 'infinity'::timestamp AS sort_due, a.id AS sort_id FROM appeals a WHERE \(where_)
                     ORDER BY a.id LIMIT \(limit))
                    """)
            }
            return "SELECT * FROM (" + SQL.join(parts, separator: " UNION ALL ") + ") page ORDER BY sort_due, sort_id LIMIT \(limit)"
        }
    }

    /// Newest first, and the filter binds no value, or an overdue page (its two parts read the same partial indexes
    /// whatever the values), or a text search of few matches (collected, then sorted): the page's plan does not
    /// depend on values (see `pageSQL`). Prepared, PostgreSQL still plans the first five calls for their values and
    /// keeps planning per call if a generic plan would cost more.
    /// An overdue page planned per call spent 2.1 ms planning for 0.14 ms of execution at a million appeals.
    var pagePreparable: Bool { order == .newest && (overdueOnly || filter.binds.isEmpty || textSearch == .allMatches) }

    /// The page's statement as run: prepared when its plan does not depend on values, else planned per call.
    var pageStatement: SQL { pagePreparable ? pageSQL : pageSQL.plannedEachCall() }

    /// Estimated matches up to which a text search reads all its matches through the index and sorts them instead of
    /// probing the recent days: at a million appeals a word in 66 appeals cost 1.1–1.2 ms of PostgreSQL per request
    /// so, and 2.4 ms probing 31 nearly empty days first.
    static let searchByDayAbove: Int64 = 1_000

    func run(_ conn: PGConnection) throws -> AppealV1.ListAppealsResponse {
        var query = self
        if textSearch == .byDay, order == .newest, !overdueOnly, try estimate(conn) <= Self.searchByDayAbove { query.textSearch = .allMatches }
        return try query.runPage(conn)
    }

    private func runPage(_ conn: PGConnection) throws -> AppealV1.ListAppealsResponse {
        let rows = admitsOpen || admitsFinished ? try conn.query(pageStatement).rows.map(AppealStore.appeal(from:)) : []
        let page = Array(rows.prefix(Int(pageSize)))
        let total: (count: Int64, estimated: Bool)
        if let after, let carried = after.total {
            total = carried
        } else if after == nil && rows.count <= Int(pageSize) {
            total = (Int64(rows.count), false)   // the whole result is on this page
        } else {
            total = try count(conn)
        }
        var next = ""
        if rows.count > Int(pageSize), let last = page.last {
            next = AppealPageToken(order: order, ms: order == .deadline ? Self.nextDueMs(last) : last.receivedAtMs, id: last.id,
                                   total: total).encoded
        }
        return AppealV1.ListAppealsResponse(appeals: page, nextPageToken: next, totalCount: total.count, totalIsEstimate: total.estimated)
    }

    /// Matching appeals: the planner's estimate first; when that is at most `exactCountLimit`, the exact count
    /// (a selective filter has an index, so counting it is cheap), else the estimate. Never a count of
    /// everything a broad filter matches.
    func count(_ conn: PGConnection) throws -> (Int64, Bool) {
        let filter = countFilter
        let estimate = try estimate(conn)
        let cap = Self.exactCountLimit
        if estimate <= Int64(cap) {
            let counted: SQL = "SELECT count(*) AS n FROM (SELECT 1 FROM appeals a WHERE \(filter) LIMIT \(cap + 1)) s"
            let n = try Self.totals.count(conn, counted.plannedEachCall())
            if n <= cap { return (n, false) }
        }
        return (max(estimate, Int64(cap) + 1), true)
    }

    /// The planner's estimate of the matching appeals (`countFilter`), remembered for a while (`estimates`).
    func estimate(_ conn: PGConnection) throws -> Int64 {
        let filter = countFilter
        return try Self.estimates.value(filter) {
            let plan = try conn.query("EXPLAIN (FORMAT JSON) SELECT 1 FROM appeals a WHERE \(filter)").rows.first?.string("QUERY PLAN") ?? ""
            return Self.plannedRows(plan) ?? 0
        }
    }

    /// The planner's row estimates of recent filters, shared by the process's callers (see `PlannerEstimates`).
    static let estimates = PlannerEstimates()
    /// Exact totals, shared while no appeal changed (see `ListCounts`).
    static let totals = ListCounts()

    /// "Plan Rows" of the top node of an `EXPLAIN (FORMAT JSON)` result.
    static func plannedRows(_ json: String) -> Int64? {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let plan = list.first?["Plan"] as? [String: Any], let rows = plan["Plan Rows"] as? NSNumber else { return nil }
        return rows.int64Value
    }

    /// `appeal_next_due` of a fetched appeal, as the page token carries it: the nearest deadline its status still
    /// waits for (`AppealLifecycleRules.deadlineWaits`, the table the SQL function of migration 27 spells out).
    static func nextDueMs(_ a: AppealV1.Appeal) -> Int64 {
        AppealLifecycleRules.waitingDeadlines(of: a).map(\.dueMs).min() ?? AppealPageToken.noDeadline
    }
}

/// The opaque ListAppeals cursor: the order it belongs to, the sort key and id of the last appeal shown, and
/// the total counted on the first page. Base64 of `[d]ms/id[/total[~]]` (`d`: deadline order, `~`: estimated).
/// Tokens name their order, so a token of one order is refused by the other; tokens without a total (issued
/// before totals were carried) are still accepted and recount.
struct AppealPageToken: Sendable, Equatable {
    /// Sort key standing for "no open deadline" ('infinity').
    static let noDeadline = Int64.max

    var order: AppealV1.ListOrder
    var ms: Int64
    var id: String
    var total: (count: Int64, estimated: Bool)?

    init(order: AppealV1.ListOrder, ms: Int64, id: String, total: (count: Int64, estimated: Bool)?) {
        self.order = order
        self.ms = ms
        self.id = id
        self.total = total
    }

    init?(_ token: String, order: AppealV1.ListOrder) {
        guard let data = Data(base64Encoded: token), var s = String(data: data, encoding: .utf8) else { return nil }
        if order == .deadline {
            guard s.hasPrefix("d") else { return nil }
            s.removeFirst()
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, let ms = Int64(parts[0]), UUID(uuidString: parts[1]) != nil else { return nil }
        self.init(order: order, ms: ms, id: parts[1], total: nil)
        if parts.count == 3 {
            let estimated = parts[2].hasSuffix("~")
            guard let n = Int64(estimated ? String(parts[2].dropLast()) : parts[2]), n >= 0 else { return nil }
            total = (n, estimated)
        }
    }

    var encoded: String {
        var s = "\(order == .deadline ? "d" : "")\(ms)/\(id)"
        if let total { s += "/\(total.count)\(total.estimated ? "~" : "")" }
        return Data(s.utf8).base64EncodedString()
    }

    static func == (l: Self, r: Self) -> Bool {
        l.order == r.order && l.ms == r.ms && l.id == r.id && l.total?.count == r.total?.count && l.total?.estimated == r.total?.estimated
    }
}
