import Contracts
import Foundation
import WorkCalendar
import Workload

/// What a notification is about (the `kind` column; also what a person can mute).
enum NoticeKind: String, Sendable, CaseIterable {
    case escalation, statusChanged = "status_changed", answerReady = "answer_ready", ratingRequest = "rating_request"
}

/// A notification decided but not yet addressed to a channel.
struct Notice: Sendable, Hashable {
    var kind: NoticeKind
    /// The event it is about (appeal event id, or the escalation level's key): with the recipient and kind it is
    /// the outbox's uniqueness key.
    var eventKey: String
    var subject: String
    var body: String
    /// One line for a digest that carries this notice with others ('' = the subject).
    var summary: String = ""
}

/// The Russian texts of every notification (one place for wording and date format).
struct NotificationText: Sendable {
    let timeZone: TimeZone

    /// The last day of a term due at `ms` (`LocalClock.lastDay`), as the citizen's letters name it.
    func lastDay(ofTermDueAt ms: Int64) -> String {
        LocalClock.lastDay(ofTermEndingAt: Date(timeIntervalSince1970: Double(ms) / 1000), in: timeZone).russian
    }

    func dayTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "ru_RU")
        f.timeZone = timeZone
        f.dateFormat = "dd.MM.yyyy HH:mm"
        return f.string(from: date)
    }

    static func label(_ a: AppealV1.Appeal) -> String { a.number.isEmpty ? a.id : "№ \(a.number)" }

    /// What the citizen is told about `event` (nothing for events that do not change what they see).
    /// `agencyName` names the body an appeal was sent to.
    func citizenNotices(_ event: AppealV1.AppealEvent, agencyName: String) -> [Notice] {
        guard let a = event.appeal else { return [] }
        let label = Self.label(a)
        let greeting = a.author?.fullName.isEmpty == false ? "Здравствуйте, \(a.author?.fullName ?? "")!\n\n" : "Здравствуйте!\n\n"
        let footer = "\n\nЦентр управления регионом. Это письмо отправлено автоматически, отвечать на него не нужно."
        func status(_ what: String) -> [Notice] {
            [Notice(kind: .statusChanged, eventKey: event.eventId, subject: "Обращение \(label): \(what)",
                    body: greeting + "Ваше обращение \(label) «\(a.title)»: \(what)." + footer)]
        }
        switch event.type {
        case .received: return status("получено")
        case .registered:
            return status("зарегистрировано, ответ будет дан до \(lastDay(ofTermDueAt: a.deadlines?.answerDueMs ?? 0))")
        case .assigned, .forwarded:
            return status("направлено для рассмотрения в \(agencyName.isEmpty ? "уполномоченный орган" : agencyName)")
        case .started: return status("взято в работу")
        case .extended: return status("срок рассмотрения продлён до \(lastDay(ofTermDueAt: a.deadlines?.answerDueMs ?? 0))")
        case .reopened: return status("возвращено на повторное рассмотрение")
        case .closed: return status("рассмотрение завершено")
        case .answered:
            return [
                Notice(kind: .answerReady, eventKey: event.eventId, subject: "Обращение \(label): готов ответ",
                       body: greeting + "На ваше обращение \(label) «\(a.title)» дан ответ:\n\n\(a.answerText)" + footer),
                Notice(kind: .ratingRequest, eventKey: event.eventId, subject: "Обращение \(label): оцените ответ",
                       body: greeting + "Пожалуйста, оцените ответ на обращение \(label) по шкале от 1 до 5 на портале, где вы его подали: "
                           + "ваша оценка учитывается в рейтинге органов власти." + footer),
            ]
        default: return []
        }
    }

    /// The alert to one level of an escalation chain. `agencyName` and `topicName` name the body and the sector block
    /// ('' = not in the directory: the code is shown).
    func escalation(_ alert: EscalationAlert, item: EscalationItemRow, agencyName: String = "", topicName: String = "") -> Notice {
        let agency = agencyName.isEmpty ? item.agencyID : agencyName
        let block = topicName.isEmpty ? item.topicCode : topicName
        let what: String
        switch alert.deadlineKind {
        case "register": what = "регистрации"
        case "forward": what = "перенаправления"
        case "answer": what = "ответа"
        case "first_reaction": what = "первой реакции"
        default: what = alert.deadlineKind
        }
        let label = item.number.isEmpty ? item.appealID : "№ \(item.number)"
        let summary = "\(label) «\(item.title)»" + (agency.isEmpty ? "" : " (\(agency))")
            + ": срок \(what) истёк \(dayTime(item.deadline))" + Self.levelMarker + alert.role.nameRu
        return Notice(kind: .escalation, eventKey: alert.key,
                      subject: "Эскалация: нарушен срок \(what) по обращению \(label)",
                      body: "Вы получили это уведомление как \(alert.role.nameRu).\n\n"
                          + "По обращению \(label) «\(item.title)» (блок: \(block.isEmpty ? "не определён" : block), "
                          + "орган: \(agency.isEmpty ? "не назначен" : agency)) срок \(what) истёк \(dayTime(item.deadline)).\n"
                          + "Уровень эскалации наступил \(dayTime(alert.dueAt)). Примите меры или поручите их исполнителю.",
                      summary: summary)
    }

    /// How many lines a digest lists; the rest are counted (the workspace's list at `digestPath` has them all).
    static let digestLines = 200
    /// The workspace list a digest links to: everything the person may see, nearest deadline first, so every missed
    /// deadline (registration, forwarding, answer, first reaction) comes first. Before, `/ws?overdue=1` opened the
    /// person's first queue (the ЦУР head's: unassigned appeals only) filtered to missed answers alone.
    static let digestPath = "/ws?queue=all"

    /// One message for `summaries.count` escalation alerts that were due for one person at once (a bulk
    /// import of overdue appeals, a stalled agency): their lines, at most `digestLines`, and where the rest are.
    /// `workspaceURL` is the gateway's public origin ('' = not configured: no link).
    func escalationDigest(_ summaries: [String], workspaceURL: String) -> (subject: String, body: String) {
        let lines = Self.mergingLevels(summaries)
        let n = lines.count
        let what = "\(n) \(RussianPlural.form(n, one: "нарушение срока", few: "нарушения сроков", many: "нарушений сроков"))"
        var body = "Одновременно наступили уровни эскалации: \(what). Вместо отдельного письма о каждом — одна сводка. "
            + "Примите меры или поручите их исполнителям."
        // The link before the list: a messenger cuts a long message at its limit.
        if !workspaceURL.isEmpty { body += "\nВсе обращения по ближайшему сроку, просроченные первыми, — в рабочем месте: \(workspaceURL)\(Self.digestPath)" }
        body += "\n\n"
        for (i, line) in lines.prefix(Self.digestLines).enumerated() { body += "\(i + 1). \(line)\n" }
        if n > Self.digestLines { body += "… и ещё \(n - Self.digestLines).\n" }
        return ("Эскалация: \(what)", body)
    }

    /// What precedes the recipient's level in an escalation summary.
    static let levelMarker = "; вы — "

    /// One line per missed deadline: a mailbox that stands in for several levels (an agency whose executor and head
    /// have no personal address) gets the alerts of each; their summaries differ only after `levelMarker` and become
    /// one line naming every level. Order of first appearance.
    static func mergingLevels(_ summaries: [String]) -> [String] {
        var order: [String] = []
        var levels: [String: [String]] = [:]
        for s in summaries {
            let (head, level): (String, String?) = s.range(of: levelMarker).map { (String(s[..<$0.lowerBound]), String(s[$0.upperBound...])) } ?? (s, nil)
            if levels[head] == nil { order.append(head); levels[head] = [] }
            if let level, !(levels[head]?.contains(level) ?? false) { levels[head]?.append(level) }
        }
        return order.map { head in levels[head].map { $0.isEmpty ? head : head + levelMarker + $0.joined(separator: ", ") } ?? head }
    }
}
