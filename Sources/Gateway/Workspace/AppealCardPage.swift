import Contracts
import Foundation
import Hummingbird
import Taxonomy
import VecheAuth
import WorkspaceUI

/// `GET /ws/appeals/:id`: the appeal card — text (personal data as the person's role may see it), channel,
/// source and attachments, the region map, classification with its confidence and the correction form,
/// routing and full history, the appeals of the same problem group, the citizen's rating and reopenings,
/// and the actions the lifecycle and the person's roles allow (each form with its own idempotency key and
/// the version it was rendered from).
struct AppealCardPage: Sendable {
    let routes: WorkspaceRoutes

    struct Author { var name: String; var email: String?; var phone: String?; var postal: String? }
    struct Event { var sequence: Int64; var at: String; var event: String; var actor: String; var status: String; var comment: String }
    struct Step { var at: String; var event: String; var from: String; var to: String; var actor: String; var comment: String? }
    struct Related { var href: String; var number: String; var status: String; var received: String; var gist: String }
    struct Rated { var at: String; var comment: String }
    struct Group { var label: String; var options: [Choice] }
    struct Reclassify { var groups: [Group]; var idempotencyKey: String }
    struct ActionForm {
        var action: String
        var path: String
        var label: String
        var needsAgency: Bool
        var needsReason: Bool
        var optionalComment: Bool
        var agencies: [Choice]
        var idempotencyKey: String
    }
    struct Template { var label: String; var text: String }
    struct Check { var value: String; var label: String }
    struct AnswerForm { var templates: [Template]; var checklist: [Check]; var idempotencyKey: String }

    struct Card {
        var id: String
        var number: String
        var version: Int64
        var csrf: String
        var status: String
        var statusCode: String
        var channel: String
        var received: String
        var registered: String?
        var clocks: [Countdown]
        var extended: Bool
        var title: String
        var text: String
        var masked: Bool
        var author: Author?
        var address: String?
        var sourceUrl: String?
        var attachments: [String]
        var hasAttachments: Bool
        var answer: String?
        var answered: String?
        var answerComplete: Bool
        var rating: Int32?
        var reopenCount: Int32
        var ratingEvents: [Rated]
        var map: MunicipalityMap
        var topic: String
        var category: String
        var confidence: String?
        /// The channel's own rubric the citizen chose (a portal's kind of object), when it is not a category code.
        var rubric: String?
        var flags: [String]
        var reclassify: Reclassify?
        var agency: String
        var recommended: String?
        var actions: [ActionForm]
        var answerForm: AnswerForm?
        var hasActions: Bool
        var routing: [Step]
        var hasRouting: Bool
        var history: [Event]
        var group: [Related]
        var hasGroup: Bool
        /// The group's list did not come (AppealService refused or timed out): said so, not "no other appeals".
        var groupUnavailable: Bool
    }

    struct Model { var chrome: Chrome; var card: Card }

    /// The completeness check-list of an answer (59-ФЗ art. 10: an answer on the merits of every question).
    static let checklist = [
        Check(value: "merits", label: "Ответ дан по существу каждого поставленного вопроса"),
        Check(value: "measures", label: "Указаны принятые меры и сроки их выполнения"),
        Check(value: "contact", label: "Указаны исполнитель и контактный телефон"),
        Check(value: "appeal", label: "Разъяснён порядок обжалования"),
    ]

    func register(on router: Router<GatewayContext>) {
        router.get("ws/appeals/:id") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            let id = try context.parameters.require("id")
            let flash = request.queryString("done").isEmpty ? nil : "Готово: действие выполнено."
            return try await render(context, id: id, viewer: viewer, flash: flash).response(from: request, context: context)
        }
    }

    func render(_ context: GatewayContext, id: String, viewer: Viewer, error: String? = nil, flash: String? = nil) async throws -> WorkspaceHTML {
        var chrome = viewer.chrome("Обращение", settings: routes.settings, active: "", live: true)
        chrome.error = error
        chrome.flash = flash
        let clients = try routes.backends.caller(context)
        let r: AppealV1.GetAppealResponse
        do {
            r = try await clients.appeals.getAppeal(.init(id: id), options: routes.options)
        } catch {
            guard let e = RPCError.from(error) else { throw error }
            return try routes.errorPage(e, chrome: chrome, back: "/ws")
        }
        guard let a = r.appeal else { throw RPCError.notFound("appeal \(id) not found") }
        let directory = try await routes.directory(context)
        async let related = sameProblem(a, clients)
        async let recommendedAgency = routedAgency(a, clients)
        async let competentAgencies = competent(a, clients)
        let recommended = await recommendedAgency, group = await related, competentIDs = await competentAgencies
        chrome.title = "Обращение № " + a.number
        let card = cardModel(a, history: r.history, viewer: viewer, directory: directory, recommended: recommended, competent: competentIDs, group: group)
        return try routes.page("appeal", Model(chrome: chrome, card: card))
    }

    /// The other appeals of the appeal's problem group (none when it has no group; nil when the list fails).
    func sameProblem(_ a: AppealV1.Appeal, _ clients: ServiceClients) async -> [AppealV1.Appeal]? {
        guard !a.problemGroupId.isEmpty else { return [] }
        let r = try? await clients.appeals.listAppeals(.init(problemGroupId: a.problemGroupId, page: .init(pageSize: 20)), options: routes.options)
        return r.map { $0.appeals.filter { $0.id != a.id } }
    }

    /// The agency the routing rules choose for the appeal ("" when none or the directory does not answer).
    func routedAgency(_ a: AppealV1.Appeal, _ clients: ServiceClients) async -> String {
        guard !a.topicCode.isEmpty else { return "" }
        let r = try? await clients.agencies.route(.init(topicCode: a.topicCode, categoryCode: a.categoryCode, municipalityOktmo: a.municipalityOktmo),
                                                  options: routes.options)
        return r?.agency?.id ?? ""
    }

    /// The agencies competent for the appeal's topic (the directory's list), empty when unknown.
    func competent(_ a: AppealV1.Appeal, _ clients: ServiceClients) async -> [String] {
        guard !a.topicCode.isEmpty else { return [] }
        let r = try? await clients.agencies.listAgencies(.init(topicCode: a.topicCode), options: routes.options)
        return (r?.agencies ?? []).filter(\.active).map(\.id)
    }

    func cardModel(_ a: AppealV1.Appeal, history: [AppealV1.AppealEvent], viewer: Viewer, directory: WorkspaceDirectory,
                   recommended: String, competent: [String], group found: [AppealV1.Appeal]?) -> Card {
        let group = found ?? []
        let clock = routes.clock
        let p = viewer.principal, facts = AppealFacts(a)
        let masked = AppealAccess.view(p, facts) < .full
        let author = a.author.flatMap { au -> Author? in
            au.fullName.isEmpty && au.email.isEmpty && au.phone.isEmpty ? nil
                : Author(name: au.fullName.isEmpty ? "не указан" : au.fullName, email: nonEmpty(au.email), phone: nonEmpty(au.phone), postal: nonEmpty(au.postalAddress))
        }
        let routing = RoutingHistory(AppealV1.GetAppealResponse(appeal: a, history: history)).steps.map {
            Step(at: clock.dateTime($0.at), event: Labels.event(AppealV1.EventType(name: $0.event) ?? .unspecified),
                 from: $0.fromAgencyId.isEmpty ? "—" : directory.agencyName($0.fromAgencyId), to: directory.agencyName($0.toAgencyId),
                 actor: Labels.actor($0.actor), comment: nonEmpty($0.comment))
        }
        let actions = actionForms(a, viewer: viewer, directory: directory, recommended: recommended, competent: competent)
        let answer = answerForm(a, viewer: viewer, directory: directory)
        let events = history.map {
            Event(sequence: $0.sequence, at: clock.dateTime($0.occurredAtMs), event: Labels.event($0.type), actor: Labels.actor($0.actor),
                  status: $0.appeal.map { Labels.status($0.status) } ?? "", comment: $0.comment)
        }
        return Card(
            id: a.id, number: a.number, version: a.version, csrf: viewer.csrf, status: Labels.status(a.status), statusCode: a.status.name,
            channel: Labels.channel(a.channel), received: clock.dateTime(a.receivedAtMs), registered: nonEmpty(clock.dateTime(a.registeredAtMs)),
            clocks: Countdown.clocks(a, now: routes.now()), extended: a.extensionCount > 0,
            title: a.title.isEmpty ? "Без заголовка" : a.title, text: a.text, masked: masked, author: author, address: nonEmpty(a.address),
            sourceUrl: webLink(a.sourceUrl), attachments: a.attachmentUrls.compactMap(webLink),
            hasAttachments: !a.attachmentUrls.compactMap(webLink).isEmpty,
            answer: nonEmpty(a.answerText), answered: nonEmpty(clock.dateTime(a.answeredAtMs)), answerComplete: a.answerComplete,
            rating: a.satisfaction > 0 ? a.satisfaction : nil, reopenCount: a.reopenCount,
            ratingEvents: history.filter { $0.type == .rated }.map { Rated(at: clock.dateTime($0.occurredAtMs), comment: $0.comment.isEmpty ? "оценка без комментария" : $0.comment) },
            map: MunicipalityMap(municipalities: directory.municipalities, highlight: a.municipalityOktmo, location: a.location),
            topic: directory.topicName(a.topicCode), category: directory.categoryName(a.topicCode, a.categoryCode),
            confidence: a.classificationConfidence > 0 ? String(format: "%.0f%%", a.classificationConfidence * 100) : nil,
            rubric: nonEmpty(Taxonomy.rubric(topicHint: a.topicHint)),
            flags: a.monitoringFlags.map(WorkspaceDirectory.flagName),
            reclassify: (try? AppealAccess.checkReclassify(p, facts)) == nil ? nil : reclassifyForm(a, directory: directory),
            agency: directory.agencyName(a.agencyId), recommended: recommended.isEmpty ? nil : directory.agencyName(recommended),
            actions: actions, answerForm: answer, hasActions: !actions.isEmpty || answer != nil,
            routing: routing, hasRouting: !routing.isEmpty, history: events,
            group: group.map { Related(href: "/ws/appeals/" + $0.id, number: $0.number, status: Labels.status($0.status),
                                       received: clock.dateTime($0.receivedAtMs), gist: gist($0.title.isEmpty ? $0.text : $0.title, limit: 90)) },
            hasGroup: !group.isEmpty, groupUnavailable: found == nil)
    }

    func reclassifyForm(_ a: AppealV1.Appeal, directory: WorkspaceDirectory) -> Reclassify {
        Reclassify(groups: directory.topics.map { t in
            Group(label: t.name, options: t.categories.map {
                Choice(value: t.code + "/" + $0.code, label: $0.name, selected: t.code == a.topicCode && $0.code == a.categoryCode)
            } + [Choice(value: t.code + "/", label: "\(t.name): без категории", selected: t.code == a.topicCode && a.categoryCode.isEmpty)])
        }, idempotencyKey: freshKey())
    }

    /// Lifecycle actions the appeal allows (its status; no second extension) and the person's roles permit (the service
    /// checks both again).
    func actionForms(_ a: AppealV1.Appeal, viewer: Viewer, directory: WorkspaceDirectory, recommended: String, competent: [String]) -> [ActionForm] {
        let facts = AppealFacts(a)
        return AppealLifecycleRules.actions(of: a).compactMap { action in
            guard (try? AppealAccess.checkTransition(viewer.principal, action: action.name, facts)) != nil else { return nil }
            let routing = action == .assign || action == .forward
            var agencies: [Choice] = []
            if routing {
                agencies = directory.agencyChoices(recommended, among: competent.isEmpty ? nil : competent + [recommended])
                if let i = agencies.firstIndex(where: { $0.value == recommended }) {
                    agencies[i].label = "★ " + agencies[i].label + " (по правилам)"
                    agencies.insert(agencies.remove(at: i), at: 0)
                }
            }
            let reason = WorkspaceActions.needsReason.contains(action)
            return ActionForm(action: action.name, path: "transition", label: Labels.action(action), needsAgency: routing,
                              needsReason: reason, optionalComment: !reason, agencies: agencies, idempotencyKey: freshKey())
        }
    }

    func answerForm(_ a: AppealV1.Appeal, viewer: Viewer, directory: WorkspaceDirectory) -> AnswerForm? {
        guard AppealLifecycleRules.answerable.contains(a.status), (try? AppealAccess.checkAnswer(viewer.principal, AppealFacts(a))) != nil else { return nil }
        return AnswerForm(templates: AnswerTemplates.for(topic: a.topicCode, category: a.categoryCode,
                                                          categoryName: directory.categoryName(a.topicCode, a.categoryCode),
                                                          agency: directory.agencyName(a.agencyId))
                              .map { Template(label: $0.0, text: $0.1) },
                          checklist: Self.checklist, idempotencyKey: freshKey())
    }
}
