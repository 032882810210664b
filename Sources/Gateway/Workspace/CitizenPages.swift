import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// Pages for residents, no sign-in needed:
/// * `GET /status`, `POST /status` (number + the access code given at intake, posted — never in a URL):
///   the appeal's status, answer and progress; `POST /status/rate` rates the answer once.
/// * `GET /public`: a privacy-safe summary — volumes by topic and territory, on-time share, ratings of the
///   authorities (aggregates only, read as the gateway's public portal client).
struct CitizenPages: Sendable {
    let routes: WorkspaceRoutes

    struct Step { var at: String; var event: String }
    struct Appeal {
        var number: String
        var token: String
        var status: String
        var statusCode: String
        var received: String
        var answerDue: String?
        var topic: String
        var answer: String?
        var history: [Step]
        var canRate: Bool
        var rating: Int32?
        var stars = [1, 2, 3, 4, 5]
    }
    struct StatusModel { var chrome: Chrome; var number: String; var appeal: Appeal? }

    func chrome(_ title: String, active: String) -> Chrome { Chrome.publicSite(title, region: routes.settings.regionName, active: active) }

    func register(on router: Router<GatewayContext>) {
        router.get("status") { _, _ in
            try routes.page("status", StatusModel(chrome: chrome("Статус обращения", active: "/status"), number: "", appeal: nil))
        }
        router.post("status") { request, context in
            let form = try await WorkspaceForm.read(request)
            return try await show(form.value("number"), token: form.value("token"), context)
        }
        router.post("status/rate") { request, context in
            let form = try await WorkspaceForm.read(request)
            let token = form.value("token"), number = form.value("number")
            guard let stars = Int32(form.value("satisfaction")), (1...5).contains(stars) else {
                return try await show(number, token: token, context, error: "Выберите оценку от 1 до 5.")
            }
            do {
                _ = try await routes.backends.citizen(token, context).appeals.rateAppeal(.init(satisfaction: stars, comment: form.value("comment")),
                                                                                        options: routes.options)
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                return try await show(number, token: token, context, error: "Оценка не принята: \(e.message)")
            }
            return try await show(number, token: token, context, flash: "Спасибо! Ваша оценка принята.")
        }
        router.get("public") { _, context in try await summary(context) }
    }

    func show(_ number: String, token: String, _ context: GatewayContext, error: String? = nil, flash: String? = nil) async throws -> WorkspaceHTML {
        var c = chrome("Статус обращения", active: "/status")
        c.error = error
        c.flash = flash
        guard !number.isEmpty, !token.isEmpty else {
            c.error = "Укажите номер обращения и код доступа."
            return try routes.page("status", StatusModel(chrome: c, number: number, appeal: nil), status: .badRequest)
        }
        let r: AppealV1.GetAppealResponse
        do {
            r = try await routes.backends.citizen(token, context).appeals.getAppeal(.init(id: number), options: routes.options)
        } catch {
            guard RPCError.from(error) != nil else { throw error }
            c.error = "Обращение с таким номером и кодом доступа не найдено. Проверьте номер и код из уведомления о регистрации."
            return try routes.page("status", StatusModel(chrome: c, number: number, appeal: nil), status: .notFound)
        }
        guard let a = r.appeal else { throw RPCError.notFound("no appeal") }
        let directory = try await routes.directory(context)
        let clock = routes.clock
        let rated = AppealLifecycleRules.ratesLatestAnswer(satisfaction: a.satisfaction, history: r.history)
        let appeal = Appeal(number: a.number, token: token, status: Labels.status(a.status), statusCode: a.status.name,
                            received: clock.dateTime(a.receivedAtMs), answerDue: nonEmpty(clock.dateTime(a.deadlines?.answerDueMs ?? 0)),
                            topic: directory.topicName(a.topicCode), answer: nonEmpty(a.answerText),
                            history: r.history.filter { $0.type != .classified && $0.type != .routed && $0.type != .deadlineMissed }
                                .map { Step(at: clock.dateTime($0.occurredAtMs), event: Labels.event($0.type)) },
                            canRate: AppealLifecycleRules.ratable.contains(a.status) && !rated, rating: rated ? a.satisfaction : nil)
        return try routes.page("status", StatusModel(chrome: c, number: a.number, appeal: appeal))
    }

    struct TopicCount { var label: String; var count: Int64 }
    struct Territory { var name: String; var volume: Int64; var onTime: String; var per10k: String }
    struct AgencyRow { var rank: Int32; var name: String; var score: String; var volume: Int64; var onTime: String; var satisfaction: String }
    struct Summary {
        var chrome: Chrome
        var region: String
        var period: String?
        var total: Int64
        var open: Int64
        var answered: Int64
        var onTime: String
        var satisfaction: String
        var topics: [TopicCount]
        var territories: [Territory]
        var hasTerritories: Bool
        var agencies: [AgencyRow]
        var hasAgencies: Bool
        /// RatingService did not answer: the page says so instead of "not yet computed".
        var agenciesUnavailable: Bool
        var territoriesUnavailable: Bool
    }

    static func percent(_ v: Double) -> String { String(format: "%.0f%%", v * 100) }

    func summary(_ context: GatewayContext) async throws -> WorkspaceHTML {
        let clients = try routes.backends.portal(context)
        let directory = try await routes.directory(context)
        async let stats = clients.appeals.getStats(.init(), options: routes.options)
        async let agencies = clients.ratings.getRatings(.init(dimension: .agency), options: routes.options)
        async let territories = clients.ratings.getRatings(.init(dimension: .municipality), options: routes.options)
        let s = try await stats
        let a = try? await agencies, t = try? await territories
        let rows = (a?.rows ?? []).filter { $0.rank > 0 }.sorted { $0.rank < $1.rank }
        let answered = rows.compactMap(\.metrics).reduce((0.0, 0.0)) { ($0.0 + $1.onTimeShare * Double($1.answered), $0.1 + Double($1.answered)) }
        let model = Summary(
            chrome: chrome("Открытые данные", active: "/public"), region: routes.settings.regionName, period: a?.period,
            total: s.total, open: s.open, answered: s.answered, onTime: answered.1 > 0 ? Self.percent(answered.0 / answered.1) : "—",
            satisfaction: s.meanSatisfaction > 0 ? String(format: "%.1f из 5", s.meanSatisfaction) : "—",
            topics: s.byTopic.map { TopicCount(label: directory.topicName($0.key), count: $0.count) },
            territories: (t?.rows ?? []).filter { !$0.key.isEmpty }.sorted { ($0.metrics?.volume ?? 0) > ($1.metrics?.volume ?? 0) }.map {
                let m = $0.metrics ?? RatingV1.Metrics()
                return Territory(name: $0.name, volume: m.volume, onTime: m.answered > 0 ? Self.percent(m.onTimeShare) : "—",
                                 per10k: m.population > 0 ? String(format: "%.1f", m.per10kPopulation) : "—")
            },
            hasTerritories: !(t?.rows ?? []).isEmpty,
            agencies: rows.map {
                let m = $0.metrics ?? RatingV1.Metrics()
                return AgencyRow(rank: $0.rank, name: $0.name, score: String(format: "%.1f", $0.score), volume: m.volume,
                                 onTime: m.answered > 0 ? Self.percent(m.onTimeShare) : "—",
                                 satisfaction: m.meanSatisfaction > 0 ? String(format: "%.1f", m.meanSatisfaction) : "—")
            },
            hasAgencies: !rows.isEmpty, agenciesUnavailable: a == nil, territoriesUnavailable: t == nil)
        return try routes.page("public", model)
    }
}
