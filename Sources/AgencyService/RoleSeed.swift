import Contracts
import Foundation
import VecheRuntime

/// Role assignments the directory always holds (the platform's own machines and a bootstrap head of the ЦУР)
/// and, for the demo region, one person per role plus the demo integrating systems, survey teams and import.
/// Inserted only when missing, so changes made through AssignRole / RevokeRole survive restarts — except
/// that platform machines are put back (without them the platform cannot work).
struct RoleSeed: Sendable {
    /// Client ids of the four services (role `service`): `VECHE_SERVICE_CLIENTS`, comma separated.
    var serviceClients: [String]
    /// The gateway's own client (role `public_portal`): `VECHE_PUBLIC_PORTAL_CLIENT`.
    var publicPortalClient: String
    /// A principal (`user:<name>`) made head of the ЦУР on start, so a new region can sign in and assign
    /// everyone else: `VECHE_BOOTSTRAP_ADMIN`.
    var bootstrapAdmin: String

    init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        serviceClients = (env["VECHE_SERVICE_CLIENTS"] ?? "veche-appeal-service,veche-agency-service,veche-rating-service,veche-survey-service")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        publicPortalClient = env["VECHE_PUBLIC_PORTAL_CLIENT"] ?? "veche-gateway"
        bootstrapAdmin = env["VECHE_BOOTSTRAP_ADMIN"] ?? ""
    }

    static func a(_ principal: String, _ role: String, agency: String = "", topic: String = "", survey: String = "", team: String = "",
                  channel: String = "", note: String = "") -> AgencyV1.RoleAssignment {
        AgencyV1.RoleAssignment(principal: principal, role: role, agencyId: agency, topicCode: topic, surveyId: survey, teamId: team,
                                channel: channel, grantedBy: "seed", note: note)
    }

    var platform: [AgencyV1.RoleAssignment] {
        var out = serviceClients.map { Self.a("client:" + $0, "service", note: "platform service") }
        if !publicPortalClient.isEmpty { out.append(Self.a("client:" + publicPortalClient, "public_portal", note: "gateway: public feed, Open311 intake")) }
        if !bootstrapAdmin.isEmpty { out.append(Self.a(bootstrapAdmin, "center_head", note: "VECHE_BOOTSTRAP_ADMIN")) }
        return out
    }

    /// The demo survey the seed tool creates (veche-tool seed, DemoSurvey.id) and its two field teams.
    static let demoSurveyID = "5e1d0c3a-0000-4000-8000-000000002026"

    /// The demo users created in the identity provider by scripts/idp_setup.py, one per role.
    static var demo: [AgencyV1.RoleAssignment] {
        var out = [
            a("user:kurator", "curator"),
            a("user:cur-head", "center_head"),
            a("user:sector-housing", "sector_responsible", topic: "housing"),
            a("user:sector-head-roads", "sector_head", topic: "roads"),
            a("user:operator", "operator"),
            a("user:executor-zhkh", "executor", agency: "kursk-zhkh"),
            a("user:executor-kursk", "executor", agency: KurskSeed.administrationID("38701000")),
            a("user:media", "media_officer"),
            a("user:sociologist", "sociologist"),
            a("user:analyst", "analyst"),
            a("client:veche-import", "import", note: "historical import"),
            a("client:veche-seed", "import", note: "demo data loader: appeals with their history"),
            a("client:veche-seed", "sociologist", note: "demo data loader: the demo survey"),
            a("client:veche-seed", "curator", note: "demo data loader: root-cause plans and yearly indicators"),
        ]
        for ch in ["pos", "portal", "email", "social", "messenger"] {
            out.append(a("client:veche-integration-\(ch)", "integration", channel: ch))
        }
        for team in ["team-1", "team-2"] {
            out.append(a("client:veche-survey-\(team)", "survey_team", survey: demoSurveyID, team: team))
        }
        return out
    }

    func seed(_ conn: PGConnection, demo: Bool) throws {
        for assignment in platform {
            _ = try RoleStore.insert(conn, assignment)
        }
        guard demo, try conn.query("INSERT INTO seed_marks (name) VALUES ('demo-roles') ON CONFLICT DO NOTHING RETURNING name").first != nil else {
            return
        }
        for assignment in Self.demo {
            _ = try RoleStore.insert(conn, assignment)
        }
    }
}
