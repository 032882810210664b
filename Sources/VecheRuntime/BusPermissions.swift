import Contracts
import Foundation
import HummingbirdBcrypt

/// One NATS user and the subjects it may use.
public struct BusUser: Sendable, Hashable {
    public var name: String
    public var publish: [String]
    public var subscribe: [String]
    /// Services answer requests: they may publish to the reply subject of a request they received (and only then).
    public var allowResponses: Bool

    public init(name: String, publish: [String], subscribe: [String], allowResponses: Bool) {
        self.name = name
        self.publish = publish
        self.subscribe = subscribe
        self.allowResponses = allowResponses
    }
}

/// Least privilege on the bus, generated from the contracts (one source of truth for `scripts/veche`, the
/// test clusters and compose): one user per service, the gateway, each integrating system and survey team,
/// the import and operations tools. Nobody connects without a user; each user may only
///  * subscribe to the RPC subjects of its own service and to its private inbox `_INBOX_<user>.>`,
///  * publish the RPCs it calls, its own events (only AppealService publishes `veche.events.v1.appeal.>`),
///    its own intake channel or batch subject, and the JetStream API of the streams and consumers it owns.
public enum BusPermissions {
    public static let appealService = "appeal-service"
    public static let agencyService = "agency-service"
    public static let ratingService = "rating-service"
    public static let surveyService = "survey-service"
    public static let gateway = "gateway"
    public static let importer = "import"
    /// Monitoring: ADR-32 discovery (`$SRV.>`) and read-only JetStream state (`monitoring`).
    public static let ops = "ops"
    /// `veche-tool messenger-bridge`: reads notifications through durable consumers of `VECHE_NOTIFY` (one per
    /// messenger, `messenger-<channel>`); it publishes nothing else.
    public static let messengerBridge = "messenger-bridge"
    /// `veche-tool bench`: its private echo service and intake on the portal channel.
    public static let bench = "bench"

    public static func integration(_ channel: String) -> String { "integration-" + Subjects.token(channel) }
    public static func surveyTeam(_ team: String) -> String { "survey-" + Subjects.token(team) }

    /// The reply-subject root of a user; only that user may subscribe below it.
    public static func inboxRoot(user: String) -> String { user.isEmpty ? "_INBOX" : "_INBOX_" + Subjects.token(user) }

    static func inbox(_ user: String) -> String { inboxRoot(user: user) + ".>" }

    static func discovery(_ service: String) -> [String] {
        Subjects.Discovery.verbs.flatMap { Subjects.Discovery.subjects(verb: $0, name: service, id: "*") }
    }

    static func streamAdmin(_ stream: String) -> [String] {
        ["$JS.API.STREAM.CREATE.\(stream)", "$JS.API.STREAM.UPDATE.\(stream)", "$JS.API.STREAM.INFO.\(stream)"]
    }

    /// Create / bind / fetch / ack a durable pull consumer (`*` = any durable name on that stream); for users that
    /// answer requests the ack subject is dropped again (`acksAsResponses`).
    static func consumer(_ stream: String, durable: String) -> [String] {
        ["$JS.API.STREAM.INFO.\(stream)",
         "$JS.API.CONSUMER.CREATE.\(stream).\(durable)", "$JS.API.CONSUMER.CREATE.\(stream).\(durable).>",
         "$JS.API.CONSUMER.DURABLE.CREATE.\(stream).\(durable)", "$JS.API.CONSUMER.INFO.\(stream).\(durable)",
         "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(durable)", "$JS.ACK.\(stream).\(durable).>"]
    }

    /// Read-only JetStream API: account, stream and consumer information (no messages, no changes).
    static let monitoring = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
                             "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.INFO.*.*"]

    static func agency(_ methods: String...) -> [String] { methods.map { AgencyV1.AgencyService.subjectPrefix + "." + $0 } }

    /// Every user of a deployment with these integrating systems (channels) and survey teams.
    public static func users(integrations: [String], teams: [String]) -> [BusUser] {
        let grantsChanged = Subjects.Grants.changed
        var users: [BusUser] = [
            BusUser(name: appealService,
                    publish: [Subjects.AppealEvents.wildcard]
                        + agency("Route", "ListMunicipalities", "GetAgency", "ResolveGrants", "GetDirectorySnapshot")
                        + streamAdmin(Subjects.Intake.stream) + streamAdmin(Subjects.AppealEvents.stream)
                        + consumer(Subjects.Intake.stream, durable: Subjects.Intake.durable)
                        // Mentions (MediaService runs in AppealService's process, schema `appeal`).
                        + streamAdmin(Subjects.Mentions.stream) + consumer(Subjects.Mentions.stream, durable: Subjects.Mentions.durable),
                    subscribe: AppealV1.AppealService.methodSubjects + discovery(AppealV1.AppealService.name)
                        + MediaV1.MediaService.methodSubjects + discovery(MediaV1.MediaService.name)
                        + [grantsChanged, Subjects.Directory.changed, inbox(appealService)],
                    allowResponses: true),
            BusUser(name: agencyService,
                    // Escalations and citizens' notices come from the appeal events; messenger bridges get theirs on the bus.
                    publish: [grantsChanged, Subjects.Directory.changed, Subjects.Notifications.wildcard]
                        + streamAdmin(Subjects.Notifications.stream)
                        + consumer(Subjects.AppealEvents.stream, durable: Subjects.Notifications.eventsDurable),
                    subscribe: AgencyV1.AgencyService.methodSubjects + discovery(AgencyV1.AgencyService.name) + [inbox(agencyService)],
                    allowResponses: true),
            BusUser(name: ratingService,
                    publish: agency("ListMunicipalities", "ListAgencies", "ListTopics", "ResolveGrants")
                        + consumer(Subjects.AppealEvents.stream, durable: "*")
                        + ["$JS.API.CONSUMER.DELETE.\(Subjects.AppealEvents.stream).*"],
                    subscribe: RatingV1.RatingService.methodSubjects + discovery(RatingV1.RatingService.name)
                        + [grantsChanged, inbox(ratingService)],
                    allowResponses: true),
            BusUser(name: surveyService,
                    publish: [Subjects.SurveyBatches.receiptsWildcard] + agency("ResolveGrants")
                        + streamAdmin(Subjects.SurveyBatches.stream)
                        + consumer(Subjects.SurveyBatches.stream, durable: Subjects.SurveyBatches.durable),
                    subscribe: SurveyV1.SurveyService.methodSubjects + discovery(SurveyV1.SurveyService.name)
                        + [grantsChanged, inbox(surveyService)],
                    allowResponses: true),
            BusUser(name: gateway,
                    publish: AppealV1.AppealService.methodSubjects + AgencyV1.AgencyService.methodSubjects
                        + RatingV1.RatingService.methodSubjects + SurveyV1.SurveyService.methodSubjects
                        + MediaV1.MediaService.methodSubjects
                        // `/ready`: one ADR-32 PING per backend service.
                        + Subjects.Discovery.platformServices.map(Subjects.Discovery.ping),
                    // Appeal events: the workspace's live updates (each browser sees only what AppealAccess allows);
                    // role changes: the cached roles of signed-in callers are dropped at once (`CallerGrantSource`).
                    subscribe: [inbox(gateway), Subjects.AppealEvents.wildcard, Subjects.Grants.changed], allowResponses: false),
            BusUser(name: importer,
                    // Route: the demo seed routes the operators' triage queue as the operators would.
                    publish: AppealV1.AppealService.methodSubjects + agency("ListMunicipalities", "ListTopics", "Route")
                        + SurveyV1.SurveyService.methodSubjects
                        // The demo seed: detection after its load, then plans and indicators (as the curator it also is).
                        + ["DetectRootCauses", "ListRootCauses", "UpdateRootCause", "ListIndicators", "SetIndicator"]
                            .map { RatingV1.RatingService.subjectPrefix + "." + $0 }
                        // Archived public posts (and the demo seed's) over the mention stream or SubmitPost.
                        + [Subjects.Mentions.wildcard, MediaV1.MediaService.Method.SubmitPost.subject],
                    subscribe: [inbox(importer)], allowResponses: false),
            BusUser(name: messengerBridge, publish: consumer(Subjects.Notifications.stream, durable: "*"),
                    subscribe: [inbox(messengerBridge)], allowResponses: false),
            BusUser(name: ops, publish: ["$SRV.>"] + monitoring, subscribe: [inbox(ops)], allowResponses: false),
            BusUser(name: bench,
                    publish: ["bench.>", Subjects.Intake.subject(channel: "portal"), AppealV1.AppealService.Method.GetStats.subject],
                    subscribe: ["bench.>", inbox(bench)] + discovery("BenchEcho"), allowResponses: true),
        ]
        for channel in integrations {
            let user = integration(channel)
            var publish = [Subjects.Intake.subject(channel: channel), AppealV1.AppealService.Method.SubmitAppeal.subject]
            // Social-network and messenger monitoring systems also deliver public posts (any source token).
            if Subjects.Mentions.channels.contains(channel) {
                publish += [Subjects.Mentions.wildcard, MediaV1.MediaService.Method.SubmitPost.subject]
            }
            users.append(BusUser(name: user, publish: publish, subscribe: [inbox(user)], allowResponses: false))
        }
        for team in teams {
            let user = surveyTeam(team)
            users.append(BusUser(name: user,
                                 publish: [Subjects.SurveyBatches.subject(team: team), SurveyV1.SurveyService.Method.SubmitBatch.subject,
                                           SurveyV1.SurveyService.Method.GetBatchReceipt.subject],
                                 subscribe: [Subjects.SurveyBatches.receipts(team: team), inbox(user)], allowResponses: false))
        }
        return users.map(acksAsResponses)
    }

    /// A user that answers requests (`allowResponses`) acknowledges its JetStream messages *as responses*: the
    /// `$JS.ACK.…` subjects are left out of its publish list, so an ack is allowed because the message was delivered
    /// to it (and only then). This is also what keeps nats-server 2.9 fast: for such a user it remembers the reply
    /// subject of every message delivered, forgets one only once it was answered through that permission (or after
    /// two minutes), and once it remembers more than 4,096 it rescans all of them at every delivery. With the acks
    /// explicitly allowed nothing was ever answered through it, and 95 % of nats-server's CPU went to that rescan
    /// (`pruneReplyPerms`, pprof of 2026-12-03) while a service worked through a backlog.
    static func acksAsResponses(_ user: BusUser) -> BusUser {
        guard user.allowResponses else { return user }
        var u = user
        u.publish.removeAll { $0.hasPrefix("$JS.ACK.") }
        return u
    }

    /// nats-server configuration: loopback listener, JetStream and `authorization(users:passwords:)`.
    public static func serverConfig(host: String = "127.0.0.1", port: Int, storeDir: String, users: [BusUser],
                                    passwords: [String: String], bcryptCost: UInt8 = 6) -> String {
        """
        # Generated by veche-tool bus-config (BusPermissions): do not edit, regenerate.
        host: \(quoted(host))
        port: \(port)
        jetstream { store_dir: \(quoted(storeDir)) }

        """ + authorization(users: users, passwords: passwords, bcryptCost: bcryptCost)
    }

    /// The `authorization` block alone (users with bcrypt password hashes and their permissions), for servers
    /// whose own configuration is generated elsewhere (the clustered region includes it on every node). There
    /// is no anonymous user: a connection without valid credentials is refused.
    public static func authorization(users: [BusUser], passwords: [String: String], bcryptCost: UInt8 = 6) -> String {
        func list(_ xs: [String]) -> String { "[" + xs.map(quoted).joined(separator: ", ") + "]" }
        var out = "authorization {\n  users: [\n"
        for u in users {
            let hash = Bcrypt.hash(passwords[u.name] ?? "", cost: bcryptCost)
            out += "    { user: \(quoted(u.name)), password: \(quoted(hash)),\n"
            out += "      permissions: { publish: { allow: \(list(u.publish)) },\n"
            out += "                     subscribe: { allow: \(list(u.subscribe)) }"
            out += u.allowResponses ? ",\n                     allow_responses: true }\n    }\n" : " }\n    }\n"
        }
        out += "  ]\n}\n"
        return out
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
