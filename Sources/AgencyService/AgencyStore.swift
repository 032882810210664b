import AgencyDirectory
import Contracts
import Foundation
import Taxonomy
import VecheRuntime
import WorkCalendar

/// SQL of schema `agency`. Every function runs on a pool thread with a `PGConnection`.
enum AgencyStore {
    // MARK: taxonomy

    /// Copies `Taxonomy.topics` into the schema (idempotent), so codes are consistent platform-wide and
    /// rules can reference them with foreign keys. Codes are never deleted (they are stable identifiers).
    static func syncTaxonomy(_ conn: PGConnection) throws {
        for (ti, topic) in Taxonomy.topics.enumerated() {
            try conn.query("""
                INSERT INTO topics (code, name, name_en, position) VALUES (\(topic.code), \(topic.nameRu), \(topic.nameEn), \(ti))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, position = EXCLUDED.position
                """)
            for (ci, cat) in topic.categories.enumerated() {
                try conn.query("""
                    INSERT INTO categories (code, topic_code, name, position) VALUES (\(cat.code), \(topic.code), \(cat.nameRu), \(ci))
                    ON CONFLICT (code) DO UPDATE SET topic_code = EXCLUDED.topic_code, name = EXCLUDED.name, position = EXCLUDED.position
                    """)
            }
        }
    }

    static func topics(_ conn: PGConnection) throws -> [AgencyV1.Topic] {
        let cats = try conn.query("SELECT code, topic_code, name FROM categories ORDER BY topic_code, position, code").rows
        var byTopic: [String: [AgencyV1.Category]] = [:]
        for c in cats { byTopic[c.string("topic_code"), default: []].append(.init(code: c.string("code"), name: c.string("name"))) }
        return try conn.query("SELECT code, name FROM topics ORDER BY position, code").rows.map {
            AgencyV1.Topic(code: $0.string("code"), name: $0.string("name"), categories: byTopic[$0.string("code")] ?? [])
        }
    }

    // MARK: seed

    /// Seeds the demo region. Directory rows (municipalities, agencies, contacts, competences) are
    /// reference data and are refreshed (ON CONFLICT DO UPDATE); routing rules and SLA policies are
    /// inserted only when missing (ON CONFLICT DO NOTHING) so operator edits survive restarts.
    static func seedDemoRegion(_ conn: PGConnection) throws {
        // Parents first (settlements reference districts).
        for m in KurskSeed.municipalities.sorted(by: { ($0.parent == nil ? 0 : 1) < ($1.parent == nil ? 0 : 1) }) {
            try conn.query("""
                INSERT INTO municipalities (oktmo, name, type, population, parent_oktmo, latitude, longitude)
                VALUES (\(m.oktmo), \(m.name), \(Int(m.type.rawValue)), \(m.population), \(m.parent), \(m.lat), \(m.lon))
                ON CONFLICT (oktmo) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, population = EXCLUDED.population,
                    parent_oktmo = EXCLUDED.parent_oktmo, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, updated_at = now()
                """)
        }
        let agencies = KurskSeed.agencies
        // Insert without parents, then link parents (any order of the list works).
        for a in agencies {
            try conn.query("""
                INSERT INTO agencies (id, name, short_name, kind, municipality_oktmo, email, phone, active)
                VALUES (\(a.id), \(a.name), \(a.short), \(Int(a.kind.rawValue)), \(a.oktmo), \(a.email), \(a.phone), true)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, short_name = EXCLUDED.short_name, kind = EXCLUDED.kind,
                    municipality_oktmo = EXCLUDED.municipality_oktmo, email = EXCLUDED.email, phone = EXCLUDED.phone, updated_at = now()
                """)
        }
        for a in agencies {
            try conn.query("UPDATE agencies SET parent_id = \(a.parent) WHERE id = \(a.id) AND parent_id IS DISTINCT FROM \(a.parent)")
            for s in a.social {
                let url = s.network == "vk" ? "https://vk.com/\(s.handle)" : s.network == "ok" ? "https://ok.ru/\(s.handle)" : "https://t.me/\(s.handle)"
                try conn.query("""
                    INSERT INTO agency_social_accounts (agency_id, network, handle, url) VALUES (\(a.id), \(s.network), \(s.handle), \(url))
                    ON CONFLICT (agency_id, network, handle) DO UPDATE SET url = EXCLUDED.url
                    """)
            }
            for s in a.staff {
                try conn.query("""
                    INSERT INTO agency_staff (agency_id, role, person) VALUES (\(a.id), \(s.role), \(s.person))
                    ON CONFLICT (agency_id, role, person) DO NOTHING
                    """)
            }
            for t in a.topics {
                try conn.query("INSERT INTO agency_topics (agency_id, topic_code) VALUES (\(a.id), \(t)) ON CONFLICT DO NOTHING")
            }
        }
        for r in KurskSeed.rules {
            try conn.query("""
                INSERT INTO routing_rules (id, topic_code, category_code, municipality_oktmo, agency_id, priority, seeded)
                VALUES (\(r.id), \(r.topic), \(r.category), \(r.oktmo), \(r.agency), \(r.priority), true)
                ON CONFLICT DO NOTHING
                """)
        }
        try seedSLAPolicies(conn)
    }

    static func seedSLAPolicies(_ conn: PGConnection) throws {
        for p in DeadlineEngine.statutoryPolicies { _ = try upsertSLAPolicy(conn, p, replace: false) }
    }

    /// Inserts a channel's SLA policy; an existing one is replaced only when `replace` (else kept as it is).
    /// Returns the stored row (nil when kept).
    static func upsertSLAPolicy(_ conn: PGConnection, _ p: AgencyV1.SlaPolicy, replace: Bool) throws -> AgencyV1.SlaPolicy? {
        let conflict: SQL = replace ? """
            DO UPDATE SET register_days = EXCLUDED.register_days, forward_days = EXCLUDED.forward_days,
                answer_days = EXCLUDED.answer_days, extension_days = EXCLUDED.extension_days, working_days = EXCLUDED.working_days,
                first_reaction_working_hours = EXCLUDED.first_reaction_working_hours,
                business_day_start_minute = EXCLUDED.business_day_start_minute, business_day_end_minute = EXCLUDED.business_day_end_minute
            """ : "DO NOTHING"
        return try conn.query("""
            INSERT INTO sla_policies (channel, register_days, forward_days, answer_days, extension_days, working_days,
                first_reaction_working_hours, business_day_start_minute, business_day_end_minute)
            VALUES (\(p.channel), \(p.registerDays), \(p.forwardDays), \(p.answerDays), \(p.extensionDays), \(p.workingDays),
                \(p.firstReactionWorkingHours), \(p.businessDayStartMinute), \(p.businessDayEndMinute))
            ON CONFLICT (channel) \(conflict)
            RETURNING *
            """).first.map(slaPolicy)
    }

    // MARK: municipalities

    static func municipality(_ row: PGRow) -> AgencyV1.Municipality {
        var m = AgencyV1.Municipality(oktmo: row.string("oktmo"), name: row.string("name"),
                                      type: AgencyV1.MunicipalityType(rawValue: row.int32("type")) ?? .unspecified,
                                      population: row.int("population"), parentOktmo: row.string("parent_oktmo"))
        if !row.isNull("latitude"), !row.isNull("longitude") {
            m.center = CommonV1.GeoPoint(latitude: row.double("latitude"), longitude: row.double("longitude"))
        }
        return m
    }

    static func municipalities(_ conn: PGConnection) throws -> [AgencyV1.Municipality] {
        try conn.query("SELECT * FROM municipalities ORDER BY type, oktmo").rows.map(municipality)
    }

    static func municipalityExists(_ conn: PGConnection, _ oktmo: String) throws -> Bool {
        try conn.query("SELECT 1 FROM municipalities WHERE oktmo = \(oktmo)").first != nil
    }

    /// The territory chain of a municipality, nearest first: [settlement, district, ...].
    /// An OKTMO not in the directory falls back by code structure (`RRMMMSSSPPP`): an 11-digit locality
    /// code to its 8-digit settlement, then a settlement to its municipal formation `RRMMM000`, when known.
    /// Empty if nothing is known.
    static func territoryChain(_ conn: PGConnection, _ oktmo: String) throws -> [String] {
        var candidates = [oktmo]
        if oktmo.count == 11 { candidates.append(String(oktmo.prefix(8))) }
        if oktmo.count >= 8 { candidates.append(String(oktmo.prefix(5)) + "000") }
        var found: String?
        for c in candidates where try municipalityExists(conn, c) {
            found = c
            break
        }
        guard let start = found else { return [] }
        let rows = try conn.query("""
            WITH RECURSIVE chain(oktmo, parent_oktmo, depth) AS (
                SELECT oktmo, parent_oktmo, 0 FROM municipalities WHERE oktmo = \(start)
                UNION ALL
                SELECT m.oktmo, m.parent_oktmo, c.depth + 1 FROM municipalities m JOIN chain c ON m.oktmo = c.parent_oktmo
                WHERE c.depth < 10
            )
            SELECT oktmo FROM chain ORDER BY depth
            """).rows
        return rows.map { $0.string("oktmo") }
    }

    // MARK: agencies

    static func agencies(_ conn: PGConnection, where filter: SQL) throws -> [AgencyV1.Agency] {
        let rows = try conn.query("SELECT * FROM agencies a WHERE \(filter) ORDER BY a.kind, a.name, a.id").rows
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { $0.string("id") }
        var social: [String: [AgencyV1.SocialAccount]] = [:]
        for r in try conn.query("SELECT * FROM agency_social_accounts WHERE agency_id = ANY(\(ids)::text[]) ORDER BY network, handle").rows {
            social[r.string("agency_id"), default: []].append(.init(network: r.string("network"), handle: r.string("handle"), url: r.string("url")))
        }
        var staff: [String: [AgencyV1.StaffRole]] = [:]
        for r in try conn.query("SELECT * FROM agency_staff WHERE agency_id = ANY(\(ids)::text[]) ORDER BY role, person").rows {
            staff[r.string("agency_id"), default: []].append(.init(person: r.string("person"), role: r.string("role"),
                                                                   email: r.string("email"), phone: r.string("phone")))
        }
        var topics: [String: [String]] = [:]
        for r in try conn.query("""
            SELECT at.agency_id, at.topic_code FROM agency_topics at JOIN topics t ON t.code = at.topic_code
            WHERE at.agency_id = ANY(\(ids)::text[]) ORDER BY t.position
            """).rows {
            topics[r.string("agency_id"), default: []].append(r.string("topic_code"))
        }
        return rows.map { r in
            let id = r.string("id")
            return AgencyV1.Agency(id: id, name: r.string("name"), shortName: r.string("short_name"),
                                   kind: AgencyV1.AgencyKind(rawValue: r.int32("kind")) ?? .unspecified,
                                   parentId: r.string("parent_id"), municipalityOktmo: r.string("municipality_oktmo"),
                                   email: r.string("email"), phone: r.string("phone"), socialAccounts: social[id] ?? [],
                                   staff: staff[id] ?? [], topicCodes: topics[id] ?? [], active: r.bool("active"))
        }
    }

    static func agency(_ conn: PGConnection, id: String) throws -> AgencyV1.Agency? {
        try agencies(conn, where: "a.id = \(id)").first
    }

    // MARK: routing rules

    static func rule(_ r: PGRow) -> AgencyV1.RoutingRule {
        AgencyV1.RoutingRule(id: r.string("id"), topicCode: r.string("topic_code"), categoryCode: r.string("category_code"),
                             municipalityOktmo: r.string("municipality_oktmo"), agencyId: r.string("agency_id"), priority: r.int32("priority"))
    }

    // MARK: SLA policies and calendar overrides

    static func slaPolicy(_ r: PGRow) -> AgencyV1.SlaPolicy {
        AgencyV1.SlaPolicy(channel: r.string("channel"), registerDays: r.int32("register_days"), forwardDays: r.int32("forward_days"),
                           answerDays: r.int32("answer_days"), extensionDays: r.int32("extension_days"), workingDays: r.bool("working_days"),
                           firstReactionWorkingHours: r.int32("first_reaction_working_hours"),
                           businessDayStartMinute: r.int32("business_day_start_minute"), businessDayEndMinute: r.int32("business_day_end_minute"))
    }

    static func overrides(_ conn: PGConnection) throws -> [CalendarOverride] {
        try conn.query("SELECT day::text AS day, kind, note, as_holiday FROM calendar_overrides ORDER BY day").rows.compactMap { r in
            guard let date = CivilDate(iso: r.string("day")), let kind = CalendarOverride.kind(named: r.string("kind")) else { return nil }
            return CalendarOverride(date: date, kind: kind, note: r.string("note"), asHoliday: r.bool("as_holiday"))
        }
    }
}
