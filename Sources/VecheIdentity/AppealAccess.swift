/// How much of an appeal a principal may see.
public enum AppealView: Int, Sendable, Hashable, Comparable {
    /// Not at all.
    case none = 0
    /// Redacted: no author or contact fields, PII-free text, staff shown by role only.
    case redacted = 1
    /// Everything, personal data included (the read is audited).
    case full = 2

    public static func < (a: AppealView, b: AppealView) -> Bool { a.rawValue < b.rawValue }
}

/// The facts of an appeal the access rules look at.
public struct AppealFacts: Sendable, Hashable {
    public var agencyID: String
    public var topicCode: String
    public var channel: String
    public var isPublic: Bool

    public init(agencyID: String, topicCode: String, channel: String, isPublic: Bool) {
        self.agencyID = agencyID
        self.topicCode = topicCode
        self.channel = channel
        self.isPublic = isPublic
    }

    /// Public messages: flagged public by the channel, social-network posts, and Open311 requests (published
    /// by design of GeoReport). The media officer works them; the public feed shows them redacted.
    public var isPublicMessage: Bool { isPublic || Self.publicChannels.contains(channel) }

    /// Channels whose messages are public by nature (social-network posts; Open311 requests).
    public static let publicChannels: Set<String> = ["social", "open311"]
}

/// Which appeals a principal may list, as data the AppealService turns into SQL.
public struct AppealScope: Sendable, Hashable {
    /// The view of every appeal, when the principal sees all of them (nil otherwise).
    public var everything: AppealView?
    /// Appeals assigned to these agencies (executors: agency and subordinates), full view.
    public var agencies: Set<String> = []
    /// Appeals of these topics (sector blocks), full view.
    public var topics: Set<String> = []
    /// The view of public messages, if they are visible beyond the above.
    public var publicMessages: AppealView?

    public var isEmpty: Bool { everything == nil && agencies.isEmpty && topics.isEmpty && publicMessages == nil }
}

/// The fine-grained rules for appeals. Each function answers for one principal and one appeal; the
/// AppealService calls them on every request (the gateway does not decide for it).
public enum AppealAccess {
    static let triage: Set<Role> = [.operator, .centerHead]
    static let readAllFull: Set<Role> = [.curator, .centerHead, .operator]
    /// Channels the ЦУР itself registers (calls, visits, letters, e-mail answered by the ЦУР's mailbox).
    public static let staffIntakeChannels: Set<String> = ["phone", "reception", "letter", "email"]

    public static func view(_ p: Principal, _ a: AppealFacts) -> AppealView {
        var best = AppealView.none
        for g in p.grants {
            let v: AppealView
            switch g.role {
            case .curator, .centerHead, .operator: v = .full
            case .analyst: v = .redacted
            case .sectorResponsible, .sectorHead: v = g.topicCodes.contains(a.topicCode) ? .full : .none
            case .executor: v = g.agencyIDs.contains(a.agencyID) ? .full : .none
            case .mediaOfficer: v = a.isPublicMessage ? .full : .none
            case .publicPortal: v = a.isPublicMessage ? .redacted : .none
            default: v = .none
            }
            best = max(best, v)
        }
        return best
    }

    /// An event's actor as shown without the full view (citizens, analysts, the public feed): staff as "staff", systems
    /// by client id, the citizen as "citizen".
    public static func publicActor(_ actor: String) -> String {
        actor.hasPrefix("user:") ? "staff" : actor
    }

    /// How a principal sees public social-media posts (MediaService mentions): the ЦУР's staff who work them in full;
    /// an analyst without the author's handle, the link and personal data in the text — as the same post reads to the
    /// analyst once it is an appeal (`view`).
    public static func mentionView(_ p: Principal) -> AppealView {
        var best = AppealView.none
        for g in p.grants {
            switch g.role {
            case .curator, .centerHead, .operator, .mediaOfficer: best = max(best, .full)
            case .analyst: best = max(best, .redacted)
            default: break
            }
        }
        return best
    }

    public static func scope(_ p: Principal) -> AppealScope {
        var s = AppealScope()
        for g in p.grants {
            switch g.role {
            case .curator, .centerHead, .operator: s.everything = .full
            case .analyst: s.everything = max(s.everything ?? .none, .redacted)
            case .sectorResponsible, .sectorHead: s.topics.formUnion(g.topicCodes)
            case .executor: s.agencies.formUnion(g.agencyIDs)
            case .mediaOfficer: s.publicMessages = .full
            case .publicPortal: s.publicMessages = max(s.publicMessages ?? .none, .redacted)
            default: break
            }
        }
        return s
    }

    /// Works the appeal: the sector block of its topic, or the executor of its agency (or a subordinate).
    static func works(_ g: Grant, _ a: AppealFacts) -> Bool {
        switch g.role {
        case .sectorResponsible, .sectorHead: return g.topicCodes.contains(a.topicCode)
        case .executor: return g.agencyIDs.contains(a.agencyID)
        default: return false
        }
    }

    static func any(_ p: Principal, _ test: (Grant) -> Bool) -> Bool { p.grants.contains(where: test) }

    /// Lifecycle actions by name (register, assign, forward, start, extend, close, reopen).
    public static func checkTransition(_ p: Principal, action: String, _ a: AppealFacts) throws {
        let ok: Bool
        switch action {
        case "register":
            ok = p.hasAny(triage.union([.importer]))
        case "assign", "forward":
            // Routing by the ЦУР; a sector block or an executor hands on an appeal outside its competence.
            ok = p.hasAny(triage.union([.importer])) || any(p) { works($0, a) }
        case "start", "extend":
            ok = p.hasAny([.centerHead, .importer]) || any(p) { works($0, a) }
        case "close":
            ok = p.hasAny(triage.union([.importer])) || any(p) { works($0, a) || ($0.role == .mediaOfficer && a.isPublicMessage) }
        case "reopen":
            ok = p.hasAny(triage.union([.importer])) || any(p) { $0.role != .executor && works($0, a) }
        default:
            ok = false
        }
        if !ok { throw AuthError.denied(p, "\(action) this appeal") }
    }

    public static func checkAnswer(_ p: Principal, _ a: AppealFacts) throws {
        let ok = p.has(.importer) || any(p) { works($0, a) || ($0.role == .mediaOfficer && a.isPublicMessage) }
        if !ok { throw AuthError.denied(p, "answer this appeal") }
    }

    public static func checkReclassify(_ p: Principal, _ a: AppealFacts) throws {
        let ok = p.hasAny(triage) || any(p) { $0.role != .executor && works($0, a) }
        if !ok { throw AuthError.denied(p, "correct the classification of this appeal") }
    }

    /// Intake on a channel: an integrating system on its own channel, the import, the ЦУР for the channels it
    /// registers itself, the public portal for Open311.
    public static func checkSubmit(_ p: Principal, channel: String) throws {
        let ok = p.grants.contains { g in
            switch g.role {
            case .integration: return g.channel == channel
            case .importer: return true
            case .operator, .centerHead: return staffIntakeChannels.contains(channel)
            case .publicPortal: return channel == "open311"
            default: return false
            }
        }
        if !ok { throw AuthError.denied(p, "submit appeals on channel \(channel.isEmpty ? "(none)" : channel)") }
    }

    /// Ratings come from the citizen (own appeal, checked by token) or from historical import.
    public static func checkRate(_ p: Principal) throws {
        if p.kind == .citizen || p.has(.importer) { return }
        throw AuthError.denied(p, "rate an appeal (only the citizen who filed it can)")
    }

    /// `Veche-Effective-Time-Ms` (the real time of a historical action) is honoured for the import role only.
    public static func checkEffectiveTime(_ p: Principal) throws {
        if !p.has(.importer) {
            throw AuthError.permissionDenied("Veche-Effective-Time-Ms is accepted from the import role only; \(p.actor) may not backdate")
        }
    }
}
