import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// Root-cause cases in the workspace: `GET /ws/problems` lists them (by status) with the target indicators;
/// `GET /ws/problems/:id` shows one case with its progress and history and, to those who may edit it (the head of
/// the ЦУР, the curator, the owning block's staff), the form; `POST /ws/problems/:id` saves it (CSRF token,
/// idempotency key and the version the person saw, as the appeal card's forms).
struct ProblemsPage: Sendable {
    let routes: WorkspaceRoutes

    struct Row { var id: String; var title: String; var block: String; var status: String; var statusCode: String; var targetDate: String
                 var figures: String; var verdict: String; var tone: String; var agencies: String }
    struct IndicatorLine { var name: String; var scope: String; var target: String; var due: String; var current: String; var tone: String; var source: String }
    struct IndicatorForm { var csrf: String; var idempotencyKey: String; var version = 0; var metrics: [Choice] }
    struct ListModel { var chrome: Chrome; var rows: [Row]; var filters: [Chrome.Link]; var indicators: [IndicatorLine]; var indicatorForm: IndicatorForm? }

    /// The metrics an indicator may be computed from (RatingService's KPI codes), «введено» first.
    static let metrics: [(String, String)] = [
        ("", "вводится вручную"), ("onTimeShare", "доля ответов в срок, %"), ("meanSatisfaction", "средняя оценка"),
        ("satisfiedShare", "доля удовлетворённых, %"), ("reopenRate", "доля повторно открытых, %"), ("repeatRate", "доля повторных, %"),
        ("completeness", "полнота ответов, %"), ("medianAnswerHours", "медианное время ответа, ч"), ("volume", "число обращений"),
        ("appealsPer10k", "обращений на 10 тыс. жителей"),
    ]
    struct Change { var at: String; var actor: String; var action: String; var detail: String }
    struct Form {
        var csrf: String; var idempotencyKey: String; var version: Int64
        var plan: String; var targetDate: String; var reduction: String; var measureDays: Int32; var baselineFrom: String; var baselineTo: String
        var statuses: [Choice]; var agencies: String
    }
    struct CaseModel { var chrome: Chrome; var row: Row; var plan: String?; var kind: String; var detected: String; var appeals: Int64
                       var baseline: String; var history: [Change]; var form: Form? }

    func register(on router: Router<GatewayContext>) {
        router.get("ws/problems") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            return try await list(request, context, viewer: viewer).response(from: request, context: context)
        }
        router.get("ws/problems/:id") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            let flash = request.queryString("done").isEmpty ? nil : "Изменения сохранены."
            return try await render(context, id: try context.parameters.require("id"), viewer: viewer, flash: flash)
                .response(from: request, context: context)
        }
        router.post("ws/problems/indicators") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let form = try await WorkspaceForm.read(request, viewer: viewer)
            do {
                let target = form.value("target_value").replacingOccurrences(of: ",", with: ".")
                let entered = form.value("entered_value").replacingOccurrences(of: ",", with: ".")
                guard let t = Double(target) else { throw RPCError.invalidArgument("цель — число") }
                guard entered.isEmpty || Double(entered) != nil else { throw RPCError.invalidArgument("текущее значение — число или пусто") }
                let indicator = RatingV1.Indicator(
                    code: form.value("code"), name: form.value("name"), unit: form.value("unit"), categoryCode: form.value("category_code"),
                    metric: form.value("metric"), targetValue: t, higherIsBetter: form.value("direction") != "at_most",
                    dueDate: form.value("due_date"), enteredValue: Double(entered) ?? 0, hasEnteredValue: !entered.isEmpty, note: form.value("note"))
                _ = try await routes.backends.caller(context).ratings.setIndicator(.init(indicator: indicator), options: form.callOptions(routes.settings))
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                var html = try await list(request, context, viewer: viewer, error: "\(Labels.failure(e.code.rawValue)): \(e.message)")
                html.status = e.code.httpStatus
                return try html.response(from: request, context: context)
            }
            return SignInRoutes.redirect("/ws/problems?saved=1")
        }
        router.post("ws/problems/:id") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let form = try await WorkspaceForm.read(request, viewer: viewer)
            let id = try context.parameters.require("id")
            do {
                let reduction = form.value("reduction_percent").replacingOccurrences(of: ",", with: ".")
                guard reduction.isEmpty || Double(reduction) != nil else { throw RPCError.invalidArgument("снижение, % — число от 0 до 100") }
                let measure = form.value("measure_days")
                guard measure.isEmpty || Int32(measure) != nil else { throw RPCError.invalidArgument("период измерения — целое число дней") }
                let target = RatingV1.RootCauseTarget(baselineFrom: form.value("baseline_from"), baselineTo: form.value("baseline_to"),
                                                      reductionPercent: Double(reduction) ?? 0, measureDays: Int32(measure) ?? 0)
                let agencies = form.value("agency_ids").split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                _ = try await routes.backends.caller(context).ratings.updateRootCause(
                    .init(id: id, expectedVersion: try form.expectedVersion(), plan: form.value("plan"), targetDate: form.value("target_date"),
                          target: target, status: RatingV1.RootCauseStatus(name: form.value("status")) ?? .unspecified, agencyIds: agencies,
                          comment: form.value("comment")),
                    options: form.callOptions(routes.settings))
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                var html = try await render(context, id: id, viewer: viewer, error: "\(Labels.failure(e.code.rawValue)): \(e.message)")
                html.status = e.code.httpStatus
                return try html.response(from: request, context: context)
            }
            return SignInRoutes.redirect("/ws/problems/\(id)?done=1")
        }
    }

    func list(_ request: Request, _ context: GatewayContext, viewer: Viewer, error: String? = nil) async throws -> WorkspaceHTML {
        var chrome = viewer.chrome("Системные проблемы", settings: routes.settings, active: "/ws/problems")
        let raw = request.queryString("status")
        let statuses: [RatingV1.RootCauseStatus] = raw == "all" ? [] : raw.isEmpty ? [.open, .inWork] : (RatingV1.RootCauseStatus(name: raw).map { [$0] } ?? [])
        let clients = try routes.backends.caller(context)
        let cases: RatingV1.ListRootCausesResponse, indicators: RatingV1.ListIndicatorsResponse
        do {
            async let c = clients.ratings.listRootCauses(.init(statuses: statuses, limit: 200), options: routes.options)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = routes.settings.timeZone
            let year = Int32(calendar.component(.year, from: routes.now()))
            async let i = clients.ratings.listIndicators(.init(year: year), options: routes.options)
            (cases, indicators) = try await (c, i)
        } catch {
            guard let e = RPCError.from(error) else { throw error }
            return try routes.errorPage(e, chrome: chrome, back: "/ws")
        }
        let filters = [("", "Открытые и в работе"), ("resolved", "Решённые"), ("closed", "Закрытые"), ("all", "Все")].map {
            Chrome.Link(href: "/ws/problems" + ($0.0.isEmpty ? "" : "?status=" + $0.0), label: $0.1, active: $0.0 == raw)
        }
        chrome.flash = !request.queryString("saved").isEmpty ? "Показатель сохранён." : cases.cases.isEmpty ? "Системных проблем с таким статусом нет." : nil
        chrome.error = error
        // The head of the ЦУР and the curator set the indicators (RatingService checks again).
        let form = viewer.principal.hasAny([.centerHead, .curator])
            ? IndicatorForm(csrf: viewer.csrf, idempotencyKey: freshKey(), metrics: Self.metrics.map { Choice(value: $0.0, label: $0.1, selected: false) })
            : nil
        return try routes.page("problems", ListModel(chrome: chrome, rows: cases.cases.map(Self.row), filters: filters,
                                                     indicators: indicators.indicators.map(Self.indicator), indicatorForm: form))
    }

    func render(_ context: GatewayContext, id: String, viewer: Viewer, error: String? = nil, flash: String? = nil) async throws -> WorkspaceHTML {
        var chrome = viewer.chrome("Системная проблема", settings: routes.settings, active: "/ws/problems")
        chrome.error = error
        chrome.flash = flash
        let r: RatingV1.GetRootCauseResponse
        do {
            r = try await routes.backends.caller(context).ratings.getRootCause(.init(id: id), options: routes.options)
        } catch {
            guard let e = RPCError.from(error) else { throw error }
            return try routes.errorPage(e, chrome: chrome, back: "/ws/problems")
        }
        guard let c = r.rootCause else { throw RPCError.notFound("root-cause case \(id) not found") }
        chrome.title = "Системная проблема № \(c.id)"
        let t = c.target ?? RatingV1.RootCauseTarget()
        let clock = routes.clock
        var form: Form? = nil
        if Self.mayEdit(viewer.principal, topic: c.topicCode) {
            form = Form(csrf: viewer.csrf, idempotencyKey: freshKey(), version: c.version, plan: c.plan, targetDate: RootCauseLabels.date(c.targetDate),
                        reduction: t.reductionPercent > 0 ? String(t.reductionPercent) : "", measureDays: t.measureDays,
                        baselineFrom: RootCauseLabels.date(t.baselineFrom), baselineTo: RootCauseLabels.date(t.baselineTo),
                        statuses: RootCauseLabels.choices.map { Choice(value: $0.name, label: RootCauseLabels.status($0), selected: $0 == c.status) },
                        agencies: c.agencyIds.joined(separator: ", "))
        }
        let model = CaseModel(
            chrome: chrome, row: Self.row(c), plan: nonEmpty(c.plan),
            kind: c.kind == "problem_group" ? "повторяющаяся группа обращений" : "категория в муниципальном образовании",
            detected: clock.dateTime(c.detectedAtMs), appeals: c.appealsAtDetection,
            baseline: "\(RootCauseLabels.date(t.baselineFrom)) – \(RootCauseLabels.date(t.baselineTo)): \(t.baselineCount) обращений",
            history: r.history.map { Change(at: clock.dateTime($0.atMs), actor: $0.actor, action: Self.action($0.action), detail: $0.detail) },
            form: form)
        return try routes.page("problem", model)
    }

    /// Offer the form to those the service will let edit (it checks again).
    static func mayEdit(_ p: Principal, topic: String) -> Bool {
        p.hasAny([.centerHead, .curator])
            || p.grants.contains { ($0.role == .sectorHead || $0.role == .sectorResponsible) && $0.topicCodes.contains(topic) }
    }

    static func action(_ a: String) -> String {
        switch a {
        case "detected": return "Выявлена"
        case "status": return "Смена статуса"
        default: return "Изменение"
        }
    }

    static func row(_ c: RatingV1.RootCauseCase) -> Row {
        let p = c.progress ?? RatingV1.RootCauseProgress()
        let t = c.target ?? RatingV1.RootCauseTarget()
        let rate = { (x: Double) in String(format: "%.1f", x).replacingOccurrences(of: ".", with: ",") }
        var figures = "\(rate(p.baselineRate)) → \(p.currentCount)"
        if p.verdict != "no_target" { figures += " → цель \(rate(p.targetRate)) (−\(Int(t.reductionPercent.rounded()))%)" }
        figures += " за \(t.measureDays) дн."
        let verdict = RootCauseLabels.verdict(p.verdict) + (p.verdict == "no_target" ? "" : ", выполнение \(Int((p.progress * 100).rounded()))%")
        return Row(id: c.id, title: c.title, block: c.topicName, status: RootCauseLabels.status(c.status), statusCode: c.status.name,
                   targetDate: RootCauseLabels.date(c.targetDate), figures: figures, verdict: verdict, tone: RootCauseLabels.tone(p.verdict),
                   agencies: c.agencyNames.joined(separator: "; "))
    }

    static func indicator(_ i: RatingV1.Indicator) -> IndicatorLine {
        let number = { (x: Double) in String(format: "%.1f", x).replacingOccurrences(of: ".", with: ",").replacingOccurrences(of: ",0", with: "") }
        let unit = i.unit.isEmpty ? "" : " " + i.unit
        return IndicatorLine(name: i.name, scope: i.categoryCode.isEmpty ? "Регион" : i.categoryCode,
                             target: (i.higherIsBetter ? "≥ " : "≤ ") + number(i.targetValue) + unit, due: RootCauseLabels.date(i.dueDate),
                             current: i.hasCurrentValue ? number(i.currentValue) + unit : "—", tone: RootCauseLabels.tone(i.status),
                             source: i.metric.isEmpty ? "введено" : "рассчитано")
    }
}
