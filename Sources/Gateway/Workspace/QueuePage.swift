import Contracts
import Foundation
import Hummingbird
import Taxonomy
import VecheAuth
import WorkspaceUI

/// `GET /ws`: the queues of the person's roles — ЦУР triage (no responsible agency yet), the sector block's
/// open appeals, "мои обращения" of an agency executor, public messages for the media officer, everything
/// visible — with filters, nearest-deadline order, colour-coded countdowns and keyset paging. The services
/// decide what each person sees; the queue only narrows it.
struct QueuePage: Sendable {
    let routes: WorkspaceRoutes

    /// One queue: its filter on top of the person's visibility.
    struct Queue {
        var key: String
        var label: String
        var statuses: [AppealV1.Status] = []
        var channels: [AppealV1.Channel] = []
        var topic = ""
        var unassigned = false
    }

    static let open: [AppealV1.Status] = [.received, .registered, .assigned, .forwarded, .inProgress, .extended, .reopened]
    static let working: [AppealV1.Status] = [.assigned, .forwarded, .inProgress, .extended, .reopened]

    /// The queues a person's grants give, the most specific first.
    static func queues(_ p: Principal, directory: WorkspaceDirectory) -> [Queue] {
        var qs: [Queue] = []
        if p.hasAny([.operator, .centerHead]) {
            qs.append(Queue(key: "triage", label: "Разбор: без исполнителя", unassigned: true))
        }
        for topic in Set(p.grants.filter { [.sectorResponsible, .sectorHead].contains($0.role) }.flatMap(\.topicCodes)).sorted() {
            qs.append(Queue(key: "sector-" + topic, label: "Блок «\(directory.topicName(topic))»", statuses: open, topic: topic))
        }
        if p.has(.executor) {
            qs.append(Queue(key: "mine", label: "Мои обращения", statuses: working))
        }
        if p.has(.mediaOfficer) {
            // The channels whose messages are public by nature, as the access rules define them (social posts, Open311).
            let publicChannels = AppealFacts.publicChannels.sorted().compactMap(AppealV1.Channel.init(name:))
            qs.append(Queue(key: "public", label: "Публичные сообщения", statuses: open, channels: publicChannels))
        }
        qs.append(Queue(key: "all", label: "Все доступные"))
        return qs
    }

    struct Row {
        var id: String
        var number: String
        var href: String
        var received: String
        var channel: String
        var gist: String
        var topic: String
        var category: String
        var municipality: String
        var agency: String
        var status: String
        var statusCode: String
        var clocks: [Countdown]
        var flags: [String]
        var version: Int64
        var bulkable: Bool
        var showBulkCell: Bool
        var rowCss: String
    }

    struct Filter {
        var statuses: [Choice]
        var channels: [Choice]
        var topics: [Choice]
        var categories: [Choice]
        var municipalities: [Choice]
        var agencies: [Choice]
        var flags: [Choice]
        var orders: [Choice]
        var text: String
        var overdue: Bool
    }

    struct Bulk {
        var csrf: String
        var idempotencyKey: String
        var returnTo: String
        var agencies: [Choice]
    }

    struct Model {
        var chrome: Chrome
        var queues: [Chrome.Link]
        var queue: String
        var queueTitle: String
        var filter: Filter
        var filtersOpen: Bool
        var activeFilters: String?
        var rows: [Row]
        var hasRows: Bool
        /// Matching appeals: exact, or «≈ N» (the service's estimate beyond its exact-count limit).
        var total: String
        var pageNote: String?
        var bulk: Bulk?
        var nextHref: String?
        var firstHref: String?
        /// The person's saved filters (server-side, `SavedFilterPages`) and the form that saves this one.
        var saved: [SavedFilterPages.Item]
        var hasSaved: Bool
        var saveForm: SavedFilterPages.SaveForm
    }

    func register(on router: Router<GatewayContext>) {
        router.get("ws") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            let assigned = request.queryString("assigned")
            let flash = !assigned.isEmpty ? "Назначено обращений: \(assigned)." : request.queryString("filter_saved") == "1" ? "Фильтр сохранён." : nil
            return try await render(request, context, viewer: viewer, flash: flash)
                .response(from: request, context: context)
        }
    }

    func render(_ request: Request, _ context: GatewayContext, viewer: Viewer, error: String? = nil, flash: String? = nil) async throws -> WorkspaceHTML {
        let directory = try await routes.directory(context)
        let queues = Self.queues(viewer.principal, directory: directory)
        let key = request.queryString("queue")
        let queue = queues.first { $0.key == key } ?? queues[0]
        var q = AppealV1.ListAppealsRequest()
        let statuses = try request.queryEnums("status", as: AppealV1.Status.self)
        let channels = try request.queryEnums("channel", as: AppealV1.Channel.self)
        q.statuses = statuses.isEmpty ? queue.statuses : statuses
        q.channels = channels.isEmpty ? queue.channels : channels
        q.topicCode = request.queryString("topic").isEmpty ? queue.topic : request.queryString("topic")
        q.unassignedOnly = queue.unassigned
        q.categoryCode = request.queryString("category")
        q.municipalityOktmo = request.queryString("municipality")
        q.agencyId = request.queryString("agency")
        q.monitoringFlag = request.queryString("flag")
        q.textQuery = request.queryString("q")
        q.overdueOnly = request.queryString("overdue") == "1"
        let order = request.queryString("order") == "newest" ? AppealV1.ListOrder.newest : .deadline
        q.order = order
        q.page = CommonV1.PageRequest(pageSize: 25, pageToken: request.queryString("page_token"))
        let page = try await routes.backends.caller(context).appeals.listAppeals(q, options: routes.options)

        let now = routes.now()
        let bulkAllowed = viewer.isTriage
        let rows = page.appeals.map { a -> Row in
            let clocks = Countdown.clocks(a, now: now)
            let bulkable = bulkAllowed && (AppealLifecycleRules.allowed[.assign]?.contains(a.status) ?? false)
            return Row(id: a.id, number: a.number, href: "/ws/appeals/" + a.id, received: routes.clock.dateTime(a.receivedAtMs),
                       channel: Labels.channel(a.channel), gist: gist(a.title.isEmpty ? a.text : a.title + ". " + a.text),
                       topic: directory.topicName(a.topicCode), category: directory.categoryName(a.topicCode, a.categoryCode),
                       municipality: directory.municipalityName(a.municipalityOktmo), agency: directory.agencyName(a.agencyId),
                       status: Labels.status(a.status), statusCode: a.status.name, clocks: clocks,
                       flags: a.monitoringFlags.map(WorkspaceDirectory.flagName), version: a.version, bulkable: bulkable,
                       showBulkCell: bulkAllowed, rowCss: clocks.contains { $0.level == .overdue } ? "overdue" : "")
        }
        let filter = filterModel(request, directory: directory, order: order)
        let active = ["status", "channel", "topic", "category", "municipality", "agency", "flag", "q", "overdue"]
            .filter { !request.queryString($0).isEmpty }.count
        var params = request.uri.queryParameters.map { (String($0.key), String($0.value)) }.filter { $0.0 != "page_token" }
        if params.first(where: { $0.0 == "queue" }) == nil { params.append(("queue", queue.key)) }
        let base = "/ws?" + params.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let returnTo = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let saved = await SavedFilterPages.items(routes, context, viewer: viewer, directory: directory)
        let current = SavedFilterPages.query(of: request)
        let shares = SavedFilterPages.shareChoices(viewer, directory: directory, selected: "")
        let saveForm = SavedFilterPages.SaveForm(csrf: viewer.csrf, idempotencyKey: freshKey(),
                                                 query: request.queryString("queue").isEmpty ? "queue=\(queue.key)" + (current.isEmpty ? "" : "&" + current) : current,
                                                 shares: shares, canShare: shares.count > 1)
        var chrome = viewer.chrome("Очереди", settings: routes.settings, active: "/ws", live: true)
        chrome.error = error
        chrome.flash = flash
        let model = Model(
            chrome: chrome,
            queues: queues.map { Chrome.Link(href: "/ws?queue=" + $0.key, label: $0.label, active: $0.key == queue.key) },
            queue: queue.key, queueTitle: queue.label, filter: filter, filtersOpen: active > 0, activeFilters: active > 0 ? "выбрано: \(active)" : nil,
            rows: rows, hasRows: !rows.isEmpty, total: (page.totalIsEstimate ? "≈ " : "") + String(page.totalCount),
            pageNote: request.queryString("page_token").isEmpty ? nil : "продолжение списка",
            bulk: bulkAllowed && rows.contains(where: \.bulkable)
                ? Bulk(csrf: viewer.csrf, idempotencyKey: freshKey(), returnTo: returnTo, agencies: directory.agencyChoices(""))
                : nil,
            nextHref: page.nextPageToken.isEmpty ? nil : base + "&page_token=" + Self.encode(page.nextPageToken),
            firstHref: request.queryString("page_token").isEmpty ? nil : base,
            saved: saved, hasSaved: !saved.isEmpty, saveForm: saveForm)
        return try routes.page("queue", model)
    }

    func filterModel(_ request: Request, directory: WorkspaceDirectory, order: AppealV1.ListOrder) -> Filter {
        func choices(_ name: String, _ all: [(String, String)]) -> [Choice] {
            let selected = Set(request.queryList(name))
            return all.map { Choice(value: $0.0, label: $0.1, selected: selected.contains($0.0)) }
        }
        let topic = request.queryString("topic")
        let categories = directory.topics.filter { topic.isEmpty || $0.code == topic }
            .flatMap { t in t.categories.map { ($0.code, (topic.isEmpty ? t.name + ": " : "") + $0.name) } }
        return Filter(
            statuses: choices("status", AppealV1.Status.allCases.dropFirst().map { ($0.name, Labels.status($0)) }),
            channels: choices("channel", AppealV1.Channel.allCases.dropFirst().map { ($0.name, Labels.channel($0)) }),
            topics: choices("topic", directory.topics.map { ($0.code, $0.name) }),
            categories: choices("category", categories),
            municipalities: choices("municipality", directory.municipalities.sorted { $0.name < $1.name }.map { ($0.oktmo, $0.name) }),
            agencies: choices("agency", directory.agencies.sorted { $0.name < $1.name }.map { ($0.id, $0.name) }),
            flags: choices("flag", MonitoringFlag.allCases.map { ($0.rawValue, $0.nameRu) }),
            orders: [Choice(value: "deadline", label: "Ближайший срок", selected: order == .deadline),
                     Choice(value: "newest", label: "Сначала новые", selected: order == .newest)],
            text: request.queryString("q"), overdue: request.queryString("overdue") == "1")
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
