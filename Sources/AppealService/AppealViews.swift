import Contracts
import Foundation
import TextAnalysis
import VecheAuth
import VecheRuntime

/// What each principal sees of an appeal (`AppealAccess.view`): the full record, or a redacted one with no
/// author or contact fields, PII-free texts and staff named by role only.
struct AppealViews: Sendable {
    let redactor: PIIRedactor
    /// The redacted short texts (title, answer, address, event comments) already computed by this process.
    let memo: RedactionMemo

    init(redactor: PIIRedactor) {
        self.redactor = redactor
        memo = RedactionMemo(redactor)
    }

    static func facts(_ a: AppealV1.Appeal) -> AppealFacts {
        AppealFacts(a)
    }

    func redacted(_ a: AppealV1.Appeal) -> AppealV1.Appeal {
        var r = a
        r.author = nil
        r.text = a.redactedText
        r.title = memo.redact(a.title)
        r.answerText = memo.redact(a.answerText)
        r.address = memo.redact(a.address)
        r.externalId = ""
        r.sourceUrl = ""
        r.attachmentUrls = []
        return r
    }

    /// An event as shown to someone who does not see personal data: the snapshot redacted, people by role.
    func redacted(_ e: AppealV1.AppealEvent) -> AppealV1.AppealEvent {
        var r = e
        r.appeal = e.appeal.map(redacted)
        r.actor = AppealAccess.publicActor(e.actor)
        r.comment = memo.redact(e.comment)   // mostly the routing's own comments, the same for many appeals
        return r
    }

    /// The appeal and history for one principal, or nil when it may not see the appeal at all.
    func view(_ a: AppealV1.Appeal, history: [AppealV1.AppealEvent], for p: Principal, ownCitizenAppeal: Bool)
        -> (AppealV1.Appeal, [AppealV1.AppealEvent], AppealView) {
        if ownCitizenAppeal {
            return (a, history.map { e in var e = e; e.actor = AppealAccess.publicActor(e.actor); return e }, .full)
        }
        switch AppealAccess.view(p, Self.facts(a)) {
        case .full: return (a, history, .full)
        case .redacted: return (redacted(a), history.map(redacted), .redacted)
        case .none: return (a, [], .none)
        }
    }

    /// The SQL condition limiting a list to what the principal may see (nil: nothing at all).
    static func condition(_ s: AppealScope) -> SQL? {
        if s.everything != nil { return "TRUE" }
        var parts: [SQL] = []
        // One agency or topic as an equality, so its (agency / topic, deadline) index returns the queue in order.
        if !s.agencies.isEmpty { parts.append(AppealQuery.oneOf("a.agency_id", s.agencies.sorted())) }
        if !s.topics.isEmpty { parts.append(AppealQuery.oneOf("a.topic_code", s.topics.sorted())) }
        if s.publicMessages != nil { parts.append("(a.is_public OR a.channel = ANY(\(AppealFacts.publicChannels.sorted())::text[]))") }
        guard !parts.isEmpty else { return nil }
        return "(" + SQL.join(parts, separator: " OR ") + ")"
    }
}
