import AgencyDirectory
import Contracts
import Foundation
import Logging
import Taxonomy
import VecheAuth
import VecheRuntime
import WorkCalendar

/// AgencyService handlers (`AgencyV1.AgencyService.Handler`).
struct AgencyHandlers: AgencyV1.AgencyService.Handler {
    let pool: PGPool
    let timeZone: TimeZone
    let changes: DirectoryChanges
    var now: @Sendable () -> Date = { Date() }
    let audit = AuditLog(service: AgencyV1.AgencyService.name)
    /// Announces that a principal's roles changed (services drop their cached grants).
    var grantsChanged: @Sendable (String) -> Void = { _ in }
    /// Messenger channels notifications can go to (NotificationSettings.messengers).
    var messengers: [String] = []
    /// GetWorkload's answers, shared for a minute (`workloadAnswersCache`); `AgencyServiceApp` gives it the service's
    /// background refresher.
    var workloadAnswers = Self.workloadAnswersCache(refresher: nil)

    // MARK: validation helpers (pure, against the platform taxonomy)

    static func validateTopic(_ code: String, field: String = "topic_code") throws {
        guard Taxonomy.topic(code: code) != nil else {
            throw RPCError.invalidArgument("unknown \(field) '\(code)'; valid topics: \(Taxonomy.topics.map(\.code).joined(separator: ", "))")
        }
    }

    /// Category must exist and belong to the topic.
    static func validateCategory(_ code: String, topic: String) throws {
        guard let cat = Taxonomy.category(code: code) else {
            throw RPCError.invalidArgument("unknown category_code '\(code)' (expected '<topic>.<category>', see ListTopics)")
        }
        guard cat.topicCode == topic else {
            throw RPCError.invalidArgument("category_code '\(code)' belongs to topic '\(cat.topicCode)', not '\(topic)'")
        }
    }

    static func validateOKTMOFormat(_ oktmo: String) throws {
        guard (oktmo.count == 8 || oktmo.count == 11), oktmo.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RPCError.invalidArgument("municipality_oktmo '\(oktmo)' is not an OKTMO code (8 or 11 digits)")
        }
    }

    // MARK: directory

    func listMunicipalities(request: AgencyV1.ListMunicipalitiesRequest, context: RPCContext) async throws -> AgencyV1.ListMunicipalitiesResponse {
        .init(municipalities: try await pool.withConnection { try AgencyStore.municipalities($0) })
    }

    func listAgencies(request: AgencyV1.ListAgenciesRequest, context: RPCContext) async throws -> AgencyV1.ListAgenciesResponse {
        var filters: [SQL] = ["true"]
        if !request.municipalityOktmo.isEmpty {
            try Self.validateOKTMOFormat(request.municipalityOktmo)
            filters.append("a.municipality_oktmo = \(request.municipalityOktmo)")
        }
        if request.kind != .unspecified { filters.append("a.kind = \(Int(request.kind.rawValue))") }
        if !request.topicCode.isEmpty {
            try Self.validateTopic(request.topicCode)
            filters.append("EXISTS (SELECT 1 FROM agency_topics t WHERE t.agency_id = a.id AND t.topic_code = \(request.topicCode))")
        }
        let filter = SQL.join(filters, separator: " AND ")
        return .init(agencies: try await pool.withConnection { try AgencyStore.agencies($0, where: filter) })
    }

    func getAgency(request: AgencyV1.GetAgencyRequest, context: RPCContext) async throws -> AgencyV1.GetAgencyResponse {
        let id = request.id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw RPCError.invalidArgument("id is required") }
        let result = try await pool.withConnection { conn -> (AgencyV1.Agency, [AgencyV1.Agency])? in
            guard let a = try AgencyStore.agency(conn, id: id) else { return nil }
            return (a, try AgencyStore.agencies(conn, where: "a.parent_id = \(id)"))
        }
        guard let found = result else { throw RPCError.notFound("agency '\(id)' not found") }
        return .init(agency: found.0, children: found.1)
    }

    func listTopics(request: AgencyV1.ListTopicsRequest, context: RPCContext) async throws -> AgencyV1.ListTopicsResponse {
        .init(topics: try await pool.withConnection { try AgencyStore.topics($0) })
    }

    // MARK: routing

    /// Most specific rule wins: topic+category+territory (3) > topic+category (2) > topic+territory (1) > topic (0).
    /// Territory rules match the municipality itself or any ancestor (a district rule covers its settlements;
    /// the nearer territory wins), then higher `priority`, then the rule id (deterministic).
    func route(request: AgencyV1.RouteRequest, context: RPCContext) async throws -> AgencyV1.RouteResponse {
        var topic = request.topicCode.trimmingCharacters(in: .whitespaces)
        let category = request.categoryCode.trimmingCharacters(in: .whitespaces)
        let oktmo = request.municipalityOktmo.trimmingCharacters(in: .whitespaces)
        if topic.isEmpty, !category.isEmpty, let t = Taxonomy.topic(forCategory: category) { topic = t.code }
        guard !topic.isEmpty else { throw RPCError.invalidArgument("topic_code is required") }
        try Self.validateTopic(topic)
        if !category.isEmpty { try Self.validateCategory(category, topic: topic) }
        if !oktmo.isEmpty { try Self.validateOKTMOFormat(oktmo) }
        let topicCode = topic

        let found = try await pool.withConnection { conn -> (AgencyV1.RoutingRule, Int32, AgencyV1.Agency?)? in
            var chain: [String] = []
            if !oktmo.isEmpty {
                chain = try AgencyStore.territoryChain(conn, oktmo)
                if chain.isEmpty { throw RPCError.invalidArgument("unknown municipality_oktmo '\(oktmo)' (see ListMunicipalities)") }
            }
            let rows = try conn.query("""
                SELECT r.*, (CASE WHEN r.category_code <> '' THEN 2 ELSE 0 END + CASE WHEN r.municipality_oktmo <> '' THEN 1 ELSE 0 END) AS specificity,
                       COALESCE(array_position(\(chain)::text[], r.municipality_oktmo), 0) AS depth
                FROM routing_rules r JOIN agencies a ON a.id = r.agency_id AND a.active
                WHERE r.topic_code = \(topicCode)
                  AND (r.category_code = '' OR r.category_code = \(category))
                  AND (r.municipality_oktmo = '' OR r.municipality_oktmo = ANY(\(chain)::text[]))
                ORDER BY specificity DESC, depth ASC, r.priority DESC, r.id ASC
                LIMIT 1
                """).rows
            guard let row = rows.first else { return nil }
            let rule = AgencyStore.rule(row)
            return (rule, row.int32("specificity"), try AgencyStore.agency(conn, id: rule.agencyId))
        }
        guard let hit = found else {
            var what = "topic '\(topic)'"
            if !category.isEmpty { what += ", category '\(category)'" }
            if !oktmo.isEmpty { what += ", municipality \(oktmo)" }
            throw RPCError.notFound("no routing rule matches \(what); add one with UpsertRoutingRule (e.g. a region-wide rule for the topic)")
        }
        return .init(agency: hit.2, rule: hit.0, specificity: hit.1)
    }

    func listRoutingRules(request: AgencyV1.ListRoutingRulesRequest, context: RPCContext) async throws -> AgencyV1.ListRoutingRulesResponse {
        let topic = request.topicCode
        if !topic.isEmpty { try Self.validateTopic(topic) }
        let rules = try await pool.withConnection { conn in
            try conn.query("""
                SELECT r.* FROM routing_rules r JOIN topics t ON t.code = r.topic_code
                WHERE (\(topic) = '' OR r.topic_code = \(topic))
                ORDER BY t.position, r.category_code, r.municipality_oktmo, r.priority DESC, r.id
                """).rows.map(AgencyStore.rule)
        }
        return .init(rules: rules)
    }

    func upsertRoutingRule(request: AgencyV1.UpsertRoutingRuleRequest, context: RPCContext) async throws -> AgencyV1.UpsertRoutingRuleResponse {
        let caller = try context.requirePrincipal()
        guard var rule = request.rule else { throw RPCError.invalidArgument("rule is required") }
        rule.id = rule.id.trimmingCharacters(in: .whitespaces)
        rule.topicCode = rule.topicCode.trimmingCharacters(in: .whitespaces)
        rule.categoryCode = rule.categoryCode.trimmingCharacters(in: .whitespaces)
        rule.municipalityOktmo = rule.municipalityOktmo.trimmingCharacters(in: .whitespaces)
        rule.agencyId = rule.agencyId.trimmingCharacters(in: .whitespaces)
        if rule.topicCode.isEmpty, !rule.categoryCode.isEmpty, let t = Taxonomy.topic(forCategory: rule.categoryCode) { rule.topicCode = t.code }
        guard !rule.topicCode.isEmpty else { throw RPCError.invalidArgument("rule.topic_code is required") }
        try Self.validateTopic(rule.topicCode, field: "rule.topic_code")
        if !rule.categoryCode.isEmpty { try Self.validateCategory(rule.categoryCode, topic: rule.topicCode) }
        if !rule.municipalityOktmo.isEmpty { try Self.validateOKTMOFormat(rule.municipalityOktmo) }
        guard !rule.agencyId.isEmpty else { throw RPCError.invalidArgument("rule.agency_id is required") }
        guard rule.id.count <= 100 else { throw RPCError.invalidArgument("rule.id is longer than 100 characters") }
        guard (-1000...1000).contains(rule.priority) else { throw RPCError.invalidArgument("rule.priority must be within -1000...1000") }
        let r = rule
        let (saved, revision) = try await pool.transaction { conn -> (AgencyV1.RoutingRule, Int64) in
            guard let agency = try conn.query("SELECT active FROM agencies WHERE id = \(r.agencyId)").first else {
                throw RPCError.invalidArgument("rule.agency_id '\(r.agencyId)' is not in the agency directory")
            }
            guard agency.bool("active") else { throw RPCError.failedPrecondition("agency '\(r.agencyId)' is inactive") }
            if !r.municipalityOktmo.isEmpty, !(try AgencyStore.municipalityExists(conn, r.municipalityOktmo)) {
                throw RPCError.invalidArgument("unknown rule.municipality_oktmo '\(r.municipalityOktmo)' (see ListMunicipalities)")
            }
            let result: PGResult
            if r.id.isEmpty {
                // No id: upsert by the natural key (same topic/category/territory/agency → update its priority).
                result = try conn.query("""
                    INSERT INTO routing_rules (id, topic_code, category_code, municipality_oktmo, agency_id, priority)
                    VALUES (\(UUID().uuidString.lowercased()), \(r.topicCode), \(r.categoryCode), \(r.municipalityOktmo), \(r.agencyId), \(r.priority))
                    ON CONFLICT (topic_code, category_code, municipality_oktmo, agency_id)
                    DO UPDATE SET priority = EXCLUDED.priority, updated_at = now()
                    RETURNING *
                    """)
            } else {
                result = try conn.query("""
                    INSERT INTO routing_rules (id, topic_code, category_code, municipality_oktmo, agency_id, priority)
                    VALUES (\(r.id), \(r.topicCode), \(r.categoryCode), \(r.municipalityOktmo), \(r.agencyId), \(r.priority))
                    ON CONFLICT (id) DO UPDATE SET topic_code = EXCLUDED.topic_code, category_code = EXCLUDED.category_code,
                        municipality_oktmo = EXCLUDED.municipality_oktmo, agency_id = EXCLUDED.agency_id,
                        priority = EXCLUDED.priority, updated_at = now()
                    RETURNING *
                    """)
            }
            guard let row = result.first else { throw RPCError.internalError("routing rule was not saved") }
            let saved = AgencyStore.rule(row)
            try audit.record(conn, caller, .init(action: "directory.routing_rule.upsert", target: saved.id,
                                                 detail: "\(saved.topicCode) \(saved.categoryCode) \(saved.municipalityOktmo) → \(saved.agencyId) (\(saved.priority))"))
            return (saved, try DirectoryChanges.bump(conn))
        }
        changes.announce(revision, what: "routing_rules", pool: pool)
        return .init(rule: saved)
    }

    // MARK: SLA and calendar

    func getSlaPolicies(request: AgencyV1.GetSlaPoliciesRequest, context: RPCContext) async throws -> AgencyV1.GetSlaPoliciesResponse {
        let policies = try await pool.withConnection { conn in
            try conn.query("SELECT * FROM sla_policies ORDER BY channel").rows.map(AgencyStore.slaPolicy)
        }
        return .init(policies: policies, timeZone: timeZone.identifier)
    }

    func computeDeadlines(request: AgencyV1.ComputeDeadlinesRequest, context: RPCContext) async throws -> AgencyV1.ComputeDeadlinesResponse {
        let channel = request.channel.trimmingCharacters(in: .whitespaces).lowercased()
        guard !channel.isEmpty else { throw RPCError.invalidArgument("channel is required") }
        guard request.startMs >= 0 else { throw RPCError.invalidArgument("start_ms must not be negative") }
        let start = request.startMs == 0 ? now() : Date(timeIntervalSince1970: Double(request.startMs) / 1000)
        let (policyRow, overrides, known) = try await pool.withConnection { conn in
            (try conn.query("SELECT * FROM sla_policies WHERE channel = \(channel)").first.map(AgencyStore.slaPolicy),
             try AgencyStore.overrides(conn),
             try conn.query("SELECT channel FROM sla_policies ORDER BY channel").rows.map { $0.string("channel") })
        }
        guard let policy = policyRow else {
            throw RPCError.notFound("no SLA policy for channel '\(channel)'; known channels: \(known.joined(separator: ", "))")
        }
        let due: DeadlineEngine.Due
        do {
            due = try DeadlineEngine(policies: [policy], overrides: overrides, timeZone: timeZone)
                .deadlines(channel: channel, start: start, extended: request.extended)
        } catch let e as DeadlineEngineError {
            throw RPCError.failedPrecondition("\(e)")
        }
        func ms(_ d: Date?) -> Int64 { d.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }
        return .init(registerDueMs: ms(due.register), forwardDueMs: ms(due.forward), answerDueMs: ms(due.answer),
                     firstReactionDueMs: ms(due.firstReaction), policy: policy, timeZone: timeZone.identifier)
    }

    func getCalendar(request: AgencyV1.GetCalendarRequest, context: RPCContext) async throws -> AgencyV1.GetCalendarResponse {
        let year = request.year == 0 ? LocalClock.civilDate(of: now(), in: timeZone).year : Int(request.year)
        guard (1992...2100).contains(year) else { throw RPCError.invalidArgument("year must be within 1992...2100") }
        let overrides = try await pool.withConnection { try AgencyStore.overrides($0) }
        let calendar = ProductionCalendar.region(overrides: overrides)
        let days = CalendarMath.days(year: year, calendar: calendar, overrides: overrides)
        let summary = calendar.yearSummary(year)
        return .init(days: days, workingDays: Int32(summary.workingDays), workingHours: Int32(summary.hours40),
                     official: calendar.isOfficial(year: year), overrides: overrides.filter { $0.date.year == year }.map(\.message))
    }

    func setCalendarOverride(request: AgencyV1.SetCalendarOverrideRequest, context: RPCContext) async throws -> AgencyV1.SetCalendarOverrideResponse {
        let caller = try context.requirePrincipal()
        let audit = self.audit
        guard let entry = request.entry else { throw RPCError.invalidArgument("entry is required") }
        guard let date = CivilDate(iso: entry.date) else { throw RPCError.invalidArgument("entry.date '\(entry.date)' is not a date (YYYY-MM-DD)") }
        guard (1992...2100).contains(date.year) else { throw RPCError.invalidArgument("entry.date must be within 1992...2100") }
        let day = date.description
        if request.remove {
            let (all, revision) = try await pool.transaction { conn in
                try conn.query("DELETE FROM calendar_overrides WHERE day = \(day)::date")
                try audit.record(conn, caller, .init(action: "directory.calendar.remove", target: day))
                return (try AgencyStore.overrides(conn), try DirectoryChanges.bump(conn))
            }
            changes.announce(revision, what: "calendar_overrides", pool: pool)
            return .init(overrides: all.map(\.message))
        }
        guard let kind = CalendarOverride.kind(named: entry.kind) else {
            throw RPCError.invalidArgument("entry.kind '\(entry.kind)' must be one of non_working, working, shortened")
        }
        if entry.asHoliday, kind != .nonWorking { throw RPCError.invalidArgument("entry.as_holiday applies to non_working overrides only") }
        guard entry.note.count <= 500 else { throw RPCError.invalidArgument("entry.note is longer than 500 characters") }
        let kindName = CalendarOverride.name(of: kind)
        let (all, revision) = try await pool.transaction { conn in
            try conn.query("""
                INSERT INTO calendar_overrides (day, kind, note, as_holiday) VALUES (\(day)::date, \(kindName), \(entry.note), \(entry.asHoliday))
                ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note, as_holiday = EXCLUDED.as_holiday, updated_at = now()
                """)
            try audit.record(conn, caller, .init(action: "directory.calendar.set", target: day, detail: kindName))
            return (try AgencyStore.overrides(conn), try DirectoryChanges.bump(conn))
        }
        changes.announce(revision, what: "calendar_overrides", pool: pool)
        return .init(overrides: all.map(\.message))
    }

    // MARK: directory copy

    func getDirectorySnapshot(request: AgencyV1.GetDirectorySnapshotRequest, context: RPCContext) async throws -> AgencyV1.GetDirectorySnapshotResponse {
        let tz = timeZone.identifier
        // One consistent snapshot: every table as of the same moment as the revision.
        return try await pool.transaction(isolation: .repeatableRead) { conn in
            let revision = try DirectoryChanges.current(conn)
            if request.knownRevision == revision { return .init(revision: revision, unchanged: true, timeZone: tz) }
            return .init(revision: revision, unchanged: false, municipalities: try AgencyStore.municipalities(conn),
                         agencies: try AgencyStore.agencies(conn, where: "true"),
                         routingRules: try conn.query("SELECT * FROM routing_rules ORDER BY id").rows.map(AgencyStore.rule),
                         slaPolicies: try conn.query("SELECT * FROM sla_policies ORDER BY channel").rows.map(AgencyStore.slaPolicy),
                         calendarOverrides: try AgencyStore.overrides(conn).map(\.message), timeZone: tz)
        }
    }
}
