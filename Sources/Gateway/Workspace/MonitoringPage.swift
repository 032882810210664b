import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// `GET /ws/monitoring`: media monitoring — public posts with the directory bodies they name highlighted and their
/// tone, posts per tone over the last 14 days as an SVG chart, and open incidents (surges) with links to their
/// appeals; `POST /ws/monitoring/mentions/:id/promote` files a post as an appeal (operators, the media officer)
/// and opens its card. MediaService decides who may read and promote; the page only offers what it allows.
struct MonitoringPage: Sendable {
    let routes: WorkspaceRoutes

    struct Segment { var text: String; var mark: Bool; var title: String }
    struct Row {
        var id: String
        var published: String
        var source: String
        var author: String?
        var url: String?
        var segments: [Segment]
        var tone: String
        var toneCss: String
        var topic: String
        var municipality: String
        var named: String?
        var appealHref: String?
        var appealNumber: String
        var promote: Promote?
        var incident: Bool
    }
    struct Promote { var action: String; var csrf: String; var idempotencyKey: String }
    struct Bar { var x: Int; var y: Int; var height: Int; var css: String; var title: String }
    struct Tick { var x: Int; var label: String }
    struct Chart { var width: Int; var height: Int; var bars: [Bar]; var ticks: [Tick]; var max: Int; var total: Int }
    struct IncidentRow {
        var topic: String
        var territory: String
        var window: String
        var observed: Int32
        var expected: String
        var posts: Int32
        var appealHref: String?
        var appealNumber: String
        var status: String
        var due: String
        var overdue: Bool
    }
    struct Model {
        var chrome: Chrome
        var entities: [Choice]
        var tones: [Choice]
        var topics: [Choice]
        var rows: [Row]
        var hasRows: Bool
        var chart: Chart
        var incidents: [IncidentRow]
        var hasIncidents: Bool
        var nextHref: String?
    }

    static let toneNames: [MediaV1.Tone: String] = [.negative: "негативная", .neutral: "нейтральная", .positive: "позитивная"]

    func register(on router: Router<GatewayContext>) {
        router.get("ws/monitoring") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            do {
                return try await render(request, context, viewer: viewer).response(from: request, context: context)
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                return try routes.errorPage(e, chrome: viewer.chrome("Мониторинг", settings: routes.settings, active: "/ws/monitoring"), back: "/ws")
                    .response(from: request, context: context)
            }
        }
        router.post("ws/monitoring/mentions/:id/promote") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let form = try await WorkspaceForm.read(request, viewer: viewer)
            let id = try context.parameters.require("id")
            do {
                let r = try await routes.backends.caller(context).media.promoteMention(.init(mentionId: id, comment: form.value("comment")),
                                                                                       options: form.callOptions(routes.settings))
                return SignInRoutes.redirect("/ws/appeals/" + r.appealId)
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                return try routes.errorPage(e, chrome: viewer.chrome("Мониторинг", settings: routes.settings, active: "/ws/monitoring"),
                                            back: "/ws/monitoring").response(from: request, context: context)
            }
        }
    }

    func render(_ request: Request, _ context: GatewayContext, viewer: Viewer) async throws -> WorkspaceHTML {
        let directory = try await routes.directory(context)
        let clients = try routes.backends.caller(context)
        let options = routes.options
        var q = MediaV1.ListMentionsRequest()
        q.entityId = request.queryString("entity")
        q.tone = try request.queryEnum("tone", as: MediaV1.Tone.self) ?? .unspecified
        q.topicCode = request.queryString("topic")
        q.page = CommonV1.PageRequest(pageSize: 30, pageToken: request.queryString("page_token"))
        let query = q
        async let mentions = clients.media.listMentions(query, options: options)
        async let series = clients.media.getToneSeries(.init(entityId: query.entityId, topicCode: query.topicCode, bucket: "day"), options: options)
        async let incidents = clients.media.listIncidents(.init(openOnly: true, limit: 20), options: options)
        let page = try await mentions
        let canPromote = viewer.principal.hasAny([.operator, .mediaOfficer])
        let rows = page.mentions.map { m -> Row in
            Row(id: m.id, published: routes.clock.dateTime(m.publishedAtMs), source: m.source, author: nonEmpty(m.authorHandle).map { "@" + $0 },
                url: webLink(m.url), segments: Self.segments(m), tone: Self.toneNames[m.tone] ?? "—", toneCss: "tone-" + m.tone.name,
                topic: directory.topicName(m.topicCode), municipality: directory.municipalityName(m.municipalityOktmo),
                named: nonEmpty(Array(Set(m.entities.map(\.name))).sorted().joined(separator: "; ")),
                appealHref: m.appealId.isEmpty ? nil : "/ws/appeals/" + m.appealId, appealNumber: m.appealNumber,
                promote: canPromote && m.appealId.isEmpty
                    ? Promote(action: "/ws/monitoring/mentions/\(m.id)/promote", csrf: viewer.csrf, idempotencyKey: freshKey()) : nil,
                incident: !m.incidentId.isEmpty)
        }
        let now = routes.now()
        let incidentRows = try await incidents.incidents.map { i -> IncidentRow in
            IncidentRow(topic: directory.topicName(i.topicCode),
                        territory: i.municipalityOktmo.isEmpty ? "регион в целом" : directory.municipalityName(i.municipalityOktmo),
                        window: routes.clock.dateTime(i.bucketStartMs), observed: i.observed, expected: String(format: "%.1f", i.expected),
                        posts: i.posts, appealHref: i.appealId.isEmpty ? nil : "/ws/appeals/" + i.appealId, appealNumber: i.appealNumber,
                        status: AppealV1.Status(name: i.appealStatus).map(Labels.status) ?? "открывается",
                        due: routes.clock.dateTime(i.firstReactionDueMs),
                        // Red only while the incident's appeal still waits for its first reaction (once work started, it was given).
                        overdue: i.firstReactionDueMs > 0 && Double(i.firstReactionDueMs) / 1000 < now.timeIntervalSince1970
                            && (AppealV1.Status(name: i.appealStatus).map { AppealLifecycleRules.waits("first_reaction", in: $0) } ?? true))
        }
        let entityChoices = [("governor", "Губернатор"), ("region", "Область")]
            + directory.agencies.sorted { $0.name < $1.name }.map { ($0.id, $0.name) }
            + directory.municipalities.sorted { $0.name < $1.name }.map { ($0.oktmo, $0.name) }
        var params = request.uri.queryParameters.map { (String($0.key), String($0.value)) }.filter { $0.0 != "page_token" }
        params.sort { $0.0 < $1.0 }
        let base = "/ws/monitoring?" + params.map { "\(QueuePage.encode($0.0))=\(QueuePage.encode($0.1))" }.joined(separator: "&")
        let model = Model(
            chrome: viewer.chrome("Мониторинг", settings: routes.settings, active: "/ws/monitoring"),
            entities: entityChoices.map { Choice(value: $0.0, label: $0.1, selected: $0.0 == q.entityId) },
            tones: [MediaV1.Tone.negative, .neutral, .positive].map { Choice(value: $0.name, label: Self.toneNames[$0] ?? "", selected: $0 == q.tone) },
            topics: directory.topics.map { Choice(value: $0.code, label: $0.name, selected: $0.code == q.topicCode) },
            rows: rows, hasRows: !rows.isEmpty, chart: Self.chart(try await series.buckets, clock: routes.clock),
            incidents: incidentRows, hasIncidents: !incidentRows.isEmpty,
            nextHref: page.nextPageToken.isEmpty ? nil : base + "&page_token=" + QueuePage.encode(page.nextPageToken))
        return try routes.page("monitoring", model)
    }

    /// The post's text cut into plain and highlighted parts (entity offsets are in Unicode scalars).
    static func segments(_ m: MediaV1.Mention) -> [Segment] {
        let scalars = Array(m.text.unicodeScalars)
        var out: [Segment] = []
        var pos = 0
        func text(_ a: Int, _ b: Int) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars[a..<b])
            return String(v)
        }
        for e in m.entities.sorted(by: { $0.offset < $1.offset }) {
            let start = Int(e.offset), end = Int(e.offset + e.length)
            guard start >= pos, end <= scalars.count, start < end else { continue }
            if start > pos { out.append(Segment(text: text(pos, start), mark: false, title: "")) }
            out.append(Segment(text: text(start, end), mark: true, title: e.name))
            pos = end
        }
        if pos < scalars.count { out.append(Segment(text: text(pos, scalars.count), mark: false, title: "")) }
        return out
    }

    /// Stacked bars (negative at the bottom, then neutral, positive) per day, 20 px per day.
    static func chart(_ buckets: [MediaV1.ToneBucket], clock: WorkspaceClock) -> Chart {
        let plot = 160, step = 24, bar = 18, top = 10
        let maxTotal = max(1, buckets.map { Int($0.negative + $0.neutral + $0.positive) }.max() ?? 0)
        var bars: [Bar] = [], ticks: [Tick] = []
        for (i, b) in buckets.enumerated() {
            let x = 30 + i * step
            var y = top + plot
            for (count, css, name) in [(b.negative, "neg", "негативных"), (b.neutral, "neu", "нейтральных"), (b.positive, "pos", "позитивных")] where count > 0 {
                let h = max(1, Int(count) * plot / maxTotal)
                y -= h
                bars.append(Bar(x: x, y: y, height: h, css: css, title: "\(clock.dateTime(b.startMs).prefix(10)): \(count) \(name)"))
            }
            if i % 2 == 0 { ticks.append(Tick(x: x + bar / 2, label: String(clock.dateTime(b.startMs).prefix(5)))) }
        }
        return Chart(width: 40 + buckets.count * step, height: top + plot + 20, bars: bars, ticks: ticks, max: maxTotal,
                     total: buckets.reduce(0) { $0 + Int($1.negative + $1.neutral + $1.positive) })
    }
}
