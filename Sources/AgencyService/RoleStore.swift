import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// SQL of `role_assignments`: who holds which role over which part of the region.
enum RoleStore {
    static func assignment(_ r: PGRow) -> AgencyV1.RoleAssignment {
        AgencyV1.RoleAssignment(id: r.string("id"), principal: r.string("principal"), role: r.string("role"),
                                agencyId: r.string("agency_id"), topicCode: r.string("topic_code"), surveyId: r.string("survey_id"),
                                teamId: r.string("team_id"), channel: r.string("channel"), grantedBy: r.string("granted_by"),
                                grantedAtMs: r.epochMs("granted_at"), note: r.string("note"))
    }

    static func list(_ conn: PGConnection, principal: String, role: String) throws -> [AgencyV1.RoleAssignment] {
        try conn.query("""
            SELECT * FROM role_assignments WHERE (\(principal) = '' OR principal = \(principal)) AND (\(role) = '' OR role = \(role))
            ORDER BY principal, role, agency_id, topic_code, survey_id, team_id, channel
            """).rows.map(assignment)
    }

    /// Inserts the assignment unless the same one exists; returns the stored row either way.
    static func insert(_ conn: PGConnection, _ a: AgencyV1.RoleAssignment) throws -> (AgencyV1.RoleAssignment, created: Bool) {
        let inserted = try conn.query("""
            INSERT INTO role_assignments (id, principal, role, agency_id, topic_code, survey_id, team_id, channel, granted_by, note)
            VALUES (\(UUID().uuidString.lowercased()), \(a.principal), \(a.role), \(a.agencyId), \(a.topicCode), \(a.surveyId),
                    \(a.teamId), \(a.channel), \(a.grantedBy), \(a.note))
            ON CONFLICT (principal, role, agency_id, topic_code, survey_id, team_id, channel) DO NOTHING
            RETURNING *
            """).first
        if let inserted { return (assignment(inserted), true) }
        guard let existing = try conn.query("""
            SELECT * FROM role_assignments WHERE principal = \(a.principal) AND role = \(a.role) AND agency_id = \(a.agencyId)
              AND topic_code = \(a.topicCode) AND survey_id = \(a.surveyId) AND team_id = \(a.teamId) AND channel = \(a.channel)
            """).first else { throw RPCError.internalError("role assignment vanished during insert") }
        return (assignment(existing), false)
    }

    static func delete(_ conn: PGConnection, id: String) throws -> AgencyV1.RoleAssignment? {
        try conn.query("DELETE FROM role_assignments WHERE id = \(id) RETURNING *").first.map(assignment)
    }

    /// The principal's grants, an executor's agency expanded to the agency and all its subordinate bodies.
    static func grants(_ conn: PGConnection, principal: String) throws -> [Grant] {
        try conn.query("SELECT * FROM role_assignments WHERE principal = \(principal) ORDER BY role, id").rows.compactMap { r in
            guard let role = Role(rawValue: r.string("role")) else { return nil }
            var g = Grant(role: role, surveyID: r.string("survey_id"), teamID: r.string("team_id"), channel: r.string("channel"))
            if !r.string("topic_code").isEmpty { g.topicCodes = [r.string("topic_code")] }
            let agency = r.string("agency_id")
            if !agency.isEmpty {
                g.agencyIDs = Set(try conn.query("""
                    WITH RECURSIVE sub(id, depth) AS (
                        SELECT id, 0 FROM agencies WHERE id = \(agency)
                        UNION ALL
                        SELECT a.id, s.depth + 1 FROM agencies a JOIN sub s ON a.parent_id = s.id WHERE s.depth < 20
                    ) SELECT id FROM sub
                    """).rows.map { $0.string("id") })
            }
            return g
        }
    }

    /// Checks role and scope of an assignment against the directory; returns it normalised.
    static func validate(_ conn: PGConnection, _ input: AgencyV1.RoleAssignment) throws -> AgencyV1.RoleAssignment {
        var a = input
        for keyPath in [\AgencyV1.RoleAssignment.principal, \.role, \.agencyId, \.topicCode, \.surveyId, \.teamId, \.channel] {
            a[keyPath: keyPath] = a[keyPath: keyPath].trimmingCharacters(in: .whitespaces)
        }
        guard a.principal.hasPrefix("user:") || a.principal.hasPrefix("client:"), a.principal.split(separator: ":", maxSplits: 1).count == 2,
              a.principal.count <= 200 else {
            throw RPCError.invalidArgument("principal must be user:<username> or client:<client id>")
        }
        guard let role = Role(rawValue: a.role) else {
            throw RPCError.invalidArgument("unknown role '\(a.role)'; roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard a.note.count <= 500 else { throw RPCError.invalidArgument("note is longer than 500 characters") }
        var used: Set<String> = []
        switch role.scopeRule {
        case .topic:
            guard try conn.query("SELECT 1 FROM topics WHERE code = \(a.topicCode)").first != nil else {
                throw RPCError.invalidArgument("role \(role.rawValue) needs topic_code of a known topic (got '\(a.topicCode)')")
            }
            used = ["topic_code"]
        case .agency:
            guard !a.agencyId.isEmpty, try AgencyStore.agency(conn, id: a.agencyId) != nil else {
                throw RPCError.invalidArgument("role \(role.rawValue) needs agency_id of an agency in the directory (got '\(a.agencyId)')")
            }
            used = ["agency_id"]
        case .surveyAndTeam:
            guard !a.surveyId.isEmpty, !a.teamId.isEmpty, a.teamId == Subjects.token(a.teamId) else {
                throw RPCError.invalidArgument("role survey_team needs survey_id and team_id (letters, digits, - and _)")
            }
            used = ["survey_id", "team_id"]
        case .channel:
            guard let ch = AppealV1.Channel(name: a.channel), ch != .unspecified else {
                throw RPCError.invalidArgument("role integration needs channel, one of: \(AppealV1.Channel.allCases.dropFirst().map(\.name).joined(separator: ", "))")
            }
            used = ["channel"]
        case .none:
            break
        }
        let given: [(String, String)] = [("agency_id", a.agencyId), ("topic_code", a.topicCode), ("survey_id", a.surveyId),
                                         ("team_id", a.teamId), ("channel", a.channel)]
        for (field, value) in given where !value.isEmpty && !used.contains(field) {
            throw RPCError.invalidArgument("role \(role.rawValue) takes no \(field)")
        }
        return a
    }
}
