/// The roles of the ЦУР and of the machines around it (Ярославская обл. распоряжение 137-р, разд. III;
/// Ленинградская обл. постановление 757). A role alone grants nothing outside its scope: a `Grant` pairs a
/// role with the agencies, topics, survey, channel or team it covers. Roles are assigned in the platform's
/// directory (AgencyService), never by the identity provider, which only says who someone is.
public enum Role: String, CaseIterable, Codable, Sendable, Hashable {
    /// Куратор: reads everything (personal data included), approves KPI targets and the monthly report,
    /// queries the audit log.
    case curator
    /// Руководитель ЦУР: manages the directory, routing rules, SLA, calendar, rating weights and role assignments;
    /// triages and routes appeals like an operator.
    case centerHead = "center_head"
    /// Ответственный за отраслевой блок: sees and works the appeals of the block's topic(s) across the region.
    case sectorResponsible = "sector_responsible"
    /// Руководитель отраслевого блока: as the responsible person, for the block's topic(s).
    case sectorHead = "sector_head"
    /// Оператор / модератор ЦУР: triage (registration), classification correction, routing.
    case `operator`
    /// Исполнитель органа власти или ОМСУ: sees, works and answers the appeals assigned to their agency and its
    /// subordinate bodies.
    case executor
    /// Ответственный за работу с масс-медиа: public messages (social networks, messengers, `is_public`).
    case mediaOfficer = "media_officer"
    /// Социолог: surveys (create, field work, margins, estimates).
    case sociologist
    /// Полевая команда опроса: posts result batches only for the survey it is assigned to, under its team id.
    case surveyTeam = "survey_team"
    /// Аналитик: reads everything, personal data always redacted.
    case analyst
    /// Смежная система: submits intake only on its own channel.
    case integration
    /// Импорт из унаследованных систем: the only role whose `Veche-Effective-Time-Ms` (historical time) is honoured.
    case importer = "import"
    /// A platform service acting as itself (routing at intake, directory look-ups, grant resolution).
    case service
    /// The gateway answering anonymous public requests (Open311 feed and service list; Open311 intake after
    /// checking the client's api_key): public, redacted data only.
    case publicPortal = "public_portal"

    /// Roles held by people who work in or with the ЦУР (they may open the dashboard and the directory).
    public static let staff: Set<Role> = [.curator, .centerHead, .sectorResponsible, .sectorHead, .operator, .executor,
                                          .mediaOfficer, .sociologist, .analyst]

    /// Display name in Russian, as the regulations call it.
    public var title: String {
        switch self {
        case .curator: return "Куратор"
        case .centerHead: return "Руководитель ЦУР"
        case .sectorResponsible: return "Ответственный за отраслевой блок"
        case .sectorHead: return "Руководитель отраслевого блока"
        case .operator: return "Оператор ЦУР"
        case .executor: return "Исполнитель"
        case .mediaOfficer: return "Ответственный за работу с масс-медиа"
        case .sociologist: return "Социолог"
        case .surveyTeam: return "Полевая команда опроса"
        case .analyst: return "Аналитик"
        case .integration: return "Смежная система"
        case .importer: return "Импорт"
        case .service: return "Сервис платформы"
        case .publicPortal: return "Публичный портал"
        }
    }

    /// Which scope fields an assignment of this role must (or may) carry; checked when a role is assigned.
    public var scopeRule: ScopeRule {
        switch self {
        case .sectorResponsible, .sectorHead: return .topic
        case .executor: return .agency
        case .surveyTeam: return .surveyAndTeam
        case .integration: return .channel
        default: return .none
        }
    }

    /// The scope an assignment of a role needs.
    public enum ScopeRule: Sendable {
        case none, topic, agency, surveyAndTeam, channel
    }
}

/// One role held by a principal, with the part of the region it covers. Produced by the directory, which
/// expands an agency to the agency and all its subordinate bodies.
public struct Grant: Sendable, Hashable, Codable {
    public var role: Role
    /// Executor: the agency and every subordinate body (expanded); empty for other roles.
    public var agencyIDs: Set<String>
    /// Sector roles: the topic codes of the block.
    public var topicCodes: Set<String>
    /// Survey team: the survey it may post batches for.
    public var surveyID: String
    /// Survey team: its team id (the `team_id` of its batches and the last token of its subject).
    public var teamID: String
    /// Integrating system: the appeal channel it may submit on.
    public var channel: String

    public init(role: Role, agencyIDs: Set<String> = [], topicCodes: Set<String> = [], surveyID: String = "",
                teamID: String = "", channel: String = "") {
        self.role = role
        self.agencyIDs = agencyIDs
        self.topicCodes = topicCodes
        self.surveyID = surveyID
        self.teamID = teamID
        self.channel = channel
    }
}
