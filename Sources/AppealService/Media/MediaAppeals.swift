import AgencyDirectory
import Contracts
import Foundation
import Taxonomy
import VecheAuth
import VecheRuntime

/// Turns a promoted mention or a surge incident into an appeal on the `social` channel through the ordinary
/// intake path (`AppealHandlers.prepare` + the group commit + `IntakeWriter`): classification, routing, the
/// 59-FZ deadlines and the working-hours first-reaction clock all come from the same rules as any appeal
/// (`DeadlineEngine` of the local directory copy). The external id is derived from the mention or incident,
/// so a repeated promotion (or a retry after a crash) finds the same appeal instead of filing a second one.
struct MediaAppeals: Sendable {
    let handlers: AppealHandlers

    /// The actor of appeals that surges open (recorded in events and the audit log).
    static let monitor = Principal(kind: .client, name: "media-monitoring")

    /// What the appeal is about.
    struct Draft: Sendable {
        var externalID: String
        var title: String
        var text: String
        var authorHandle = ""
        var sourceURL = ""
        var municipality = ""
        /// The topic the surge was found on: the appeal goes to that sector block whatever the text classifier says.
        var topic: String?
        var received: Date
    }

    /// The appeal for `draft`, filed once (`existed`: it was filed before).
    func file(_ draft: Draft, by principal: Principal) async throws -> (appeal: AppealV1.Appeal, existed: Bool) {
        let pool = handlers.pool
        if let existing = try await pool.withConnection({ try AppealStore.find($0, channel: .social, externalID: draft.externalID) }) {
            return (existing, true)
        }
        var incoming = AppealV1.IncomingAppeal()
        incoming.channel = .social
        incoming.externalId = draft.externalID
        incoming.title = draft.title
        incoming.text = draft.text
        incoming.municipalityOktmo = draft.municipality
        incoming.sourceUrl = draft.sourceURL
        incoming.isPublic = true
        incoming.receivedAtMs = AppealHandlers.ms(draft.received)
        var appeal = AppealV1.Appeal()
        appeal.id = TimeOrderedUUID.string()
        appeal.channel = .social
        appeal.externalId = draft.externalID
        appeal.status = .received
        if !draft.authorHandle.isEmpty { appeal.author = CommonV1.Person(socialHandle: draft.authorHandle) }
        appeal.title = draft.title
        appeal.text = String(draft.text.prefix(AppealHandlers.maxTextLength))
        appeal.municipalityOktmo = draft.municipality
        appeal.receivedAtMs = incoming.receivedAtMs
        appeal.sourceUrl = draft.sourceURL
        appeal.isPublic = true
        let admitted = AppealHandlers.Admitted(appeal: appeal, incoming: incoming, principal: principal, now: draft.received)
        var prepared = await handlers.prepare([admitted])[0]
        let snapshot = await handlers.directory.latest()
        if let topic = draft.topic, !topic.isEmpty, prepared.appeal.topicCode != topic {
            prepared.appeal.topicCode = topic
            prepared.appeal.categoryCode = ""
            prepared.appeal.classificationConfidence = 1
            prepared.routedAgency = snapshot.route(topic: topic, category: "", oktmo: prepared.appeal.municipalityOktmo)?.agencyID ?? ""
        }
        let stored = try await handlers.commits.store(prepared, writer: handlers.intakeWriter(engine: snapshot.deadlines))
        pool.afterCommit { [relay = handlers.relay] in relay.kick() }
        switch stored {
        case .stored(let a, _): return (a, false)
        case .existed(let a): return (a, true)
        }
    }

    /// The appeal of a promoted mention: the post's text, author handle and link; the first-reaction clock
    /// starts when the operator promotes it (the post was not the ЦУР's business before).
    static func draft(for m: MediaV1.Mention, comment: String, now: Date) -> Draft {
        var text = m.text
        if !comment.isEmpty { text += "\n\n— Комментарий оператора: " + comment }
        return Draft(externalID: "mention:" + m.id, title: "Публикация (\(m.source))" + (m.authorHandle.isEmpty ? "" : " @" + m.authorHandle),
                     text: text, authorHandle: m.authorHandle, sourceURL: m.url, municipality: m.municipalityOktmo, topic: nil, received: now)
    }

    /// The appeal of a surge incident: what was observed, against what baseline, and the first posts.
    static func draft(incidentID: String, topic: String, municipality: String, municipalityName: String, observed: Int, expected: Double,
                      bucketStart: Date, posts: [MediaV1.Mention], now: Date, timeZone: TimeZone) -> Draft {
        let topicName = Taxonomy.topic(code: topic)?.nameRu ?? topic
        let place = municipality.isEmpty ? "регион в целом" : municipalityName
        let hour = DateFormatter()
        hour.locale = Locale(identifier: "ru_RU")
        hour.timeZone = timeZone
        hour.dateFormat = "dd.MM.yyyy HH:mm"
        var text = "Всплеск публикаций по теме «\(topicName)» (\(place)): \(observed) за час с \(hour.string(from: bucketStart)) "
            + "при ожидаемых \(String(format: "%.1f", expected)) по фону последних 7 суток. Требуется первая реакция ЦУР."
        for p in posts.prefix(5) {
            text += "\n\n• " + (p.authorHandle.isEmpty ? "" : "@\(p.authorHandle): ") + String(p.text.prefix(400)) + (p.url.isEmpty ? "" : " (\(p.url))")
        }
        return Draft(externalID: "incident:" + incidentID, title: "Инцидент в соцсетях: \(topicName) — \(place)", text: text,
                     sourceURL: posts.first?.url ?? "", municipality: municipality, topic: topic, received: now)
    }
}
