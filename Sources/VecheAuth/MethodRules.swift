/// Who may call an RPC at all. Every service's host checks this before the handler runs (fail closed: a
/// method missing from the table is refused), then the handler applies the fine-grained rules
/// (`AppealAccess`, `SurveyAccess`, ...) to the data the call touches.
public enum MethodRule: Sendable, Hashable {
    /// A verified token whose principal holds one of these roles.
    case roles(Set<Role>)
    /// As `roles`, or a citizen's appeal token.
    case citizenOrRoles(Set<Role>)

    public var allowsCitizen: Bool {
        if case .citizenOrRoles = self { return true }
        return false
    }

    public var roles: Set<Role> {
        switch self {
        case .roles(let r), .citizenOrRoles(let r): return r
        }
    }
}

/// The per-method table, by ADR-32 service name and method name. One source of truth for the gateway's
/// route matrix, the services' hosts and the tests that check every generated method is listed.
public enum MethodRules {
    static let staff = Role.staff
    static let appealWorkers: Set<Role> = [.centerHead, .operator, .sectorResponsible, .sectorHead, .executor, .mediaOfficer, .importer]
    static let answerers: Set<Role> = [.sectorResponsible, .sectorHead, .executor, .mediaOfficer, .importer]
    static let intake: Set<Role> = [.integration, .importer, .operator, .centerHead, .publicPortal]
    static let mediaReaders: Set<Role> = [.mediaOfficer, .centerHead, .curator, .operator, .analyst]
    static let directoryReaders: Set<Role> = Role.staff.union([.service, .publicPortal, .importer, .integration])

    public static let table: [String: [String: MethodRule]] = [
        "AppealService": [
            "SubmitAppeal": .roles(intake),
            "GetAppeal": .citizenOrRoles(staff.union([.publicPortal])),
            "ListAppeals": .roles(staff.union([.publicPortal])),
            // Aggregates without personal data: also the public summary (`public_portal`).
            "GetStats": .roles(staff.union([.importer, .publicPortal])),
            "GetActivity": .roles(staff.union([.publicPortal])),
            "Transition": .roles(appealWorkers),
            "AnswerAppeal": .roles(answerers),
            "ReclassifyAppeal": .roles([.centerHead, .operator, .sectorResponsible, .sectorHead]),
            "RateAppeal": .citizenOrRoles([.importer]),
        ],
        // Mentions (public posts): read by the media officer, the ЦУР's head, curator, operators and analysts; the
        // social / messenger monitoring systems deliver posts; operators and the media officer promote one to an appeal.
        "MediaService": [
            "SubmitPost": .roles([.integration, .importer]),
            "ListMentions": .roles(mediaReaders),
            "GetToneSeries": .roles(mediaReaders),
            "ListIncidents": .roles(mediaReaders),
            "PromoteMention": .roles([.operator, .mediaOfficer]),
        ],
        "AgencyService": [
            "ListMunicipalities": .roles(directoryReaders),
            "ListAgencies": .roles(directoryReaders),
            "GetAgency": .roles(directoryReaders),
            "ListTopics": .roles(directoryReaders),
            "Route": .roles(directoryReaders),
            "ListRoutingRules": .roles(staff.union([.service])),
            "UpsertRoutingRule": .roles([.centerHead]),
            "GetSlaPolicies": .roles(directoryReaders),
            "UpsertSlaPolicy": .roles([.centerHead]),
            "ComputeDeadlines": .roles(directoryReaders),
            "GetCalendar": .roles(directoryReaders),
            "SetCalendarOverride": .roles([.centerHead]),
            // The directory as a whole (routing, territories, SLA, calendar): the services' local copies.
            "GetDirectorySnapshot": .roles(staff.union([.service])),
            "ListRoleAssignments": .roles([.centerHead, .curator]),
            "AssignRole": .roles([.centerHead]),
            "RevokeRole": .roles([.centerHead]),
            // Any principal may resolve its own grants (the handler checks "own" unless the caller is a service).
            "ResolveGrants": .roles(Set(Role.allCases)),
            "QueryAudit": .roles([.curator]),
            // Each person their own notification preferences (the head of the ЦУР anyone's: checked in the handler).
            "GetNotificationPreferences": .roles(staff),
            "SetNotificationPreferences": .roles(staff),
            "ListEscalationChains": .roles(staff),
            "SetEscalationChain": .roles([.centerHead]),
            "GetWorkload": .roles(staff),
            "SetBlockStaff": .roles([.centerHead]),
            // Each person their own saved queue filters (and those shared with their block: checked in the handler).
            "ListSavedFilters": .roles(staff),
            "CreateSavedFilter": .roles(staff),
            "UpdateSavedFilter": .roles(staff),
            "DeleteSavedFilter": .roles(staff),
        ],
        "RatingService": [
            "GetRatings": .roles(staff.union([.publicPortal])),
            "GetTopProblems": .roles(staff),
            "GetKpis": .roles(staff),
            "SetWeights": .roles([.centerHead]),
            "GetProgress": .roles([.centerHead, .curator, .analyst]),
            "SetKpiTargets": .roles([.curator]),
            "ApproveReport": .roles([.curator]),
            "GetReportApproval": .roles(staff),
            // Root-cause cases: any staff reads; the head of the ЦУР, the curator and the sector blocks (their own
            // block's cases: checked in the handler) edit; detection also by the import (after a historical load).
            "DetectRootCauses": .roles([.centerHead, .curator, .importer, .service]),
            "ListRootCauses": .roles(staff),
            "GetRootCause": .roles(staff),
            "UpdateRootCause": .roles([.centerHead, .curator, .sectorHead, .sectorResponsible]),
            "ListIndicators": .roles(staff),
            "SetIndicator": .roles([.centerHead, .curator]),
            "DeleteIndicator": .roles([.centerHead, .curator]),
        ],
        "SurveyService": [
            "CreateSurvey": .roles([.sociologist]),
            "GetSurvey": .roles(staff),
            "ListSurveys": .roles(staff),
            "SetStatus": .roles([.sociologist]),
            "SubmitBatch": .roles([.sociologist, .surveyTeam]),
            "GetBatchReceipt": .roles([.sociologist, .surveyTeam]),
            "SetMargins": .roles([.sociologist]),
            "Estimate": .roles(staff),
            "SatisfactionIndex": .roles(staff),
        ],
    ]

    public static func rule(service: String, method: String) -> MethodRule? { table[service]?[method] }

    /// Refuses a principal that holds none of the method's roles (citizens only where the rule allows them).
    public static func check(_ principal: Principal, service: String, method: String) throws {
        guard let rule = rule(service: service, method: method) else {
            throw AuthError.permissionDenied("\(service).\(method) has no access rule; refused")
        }
        if principal.kind == .citizen {
            guard rule.allowsCitizen else { throw AuthError.permissionDenied("a citizen token does not open \(service).\(method)") }
            return
        }
        guard principal.hasAny(rule.roles) else { throw AuthError.denied(principal, "call \(service).\(method)") }
    }
}
