import Contracts
import Foundation
import GatewayRequests
import Hummingbird
import HTTPTypes
import VecheAuth

/// JSON API over AppealService: /api/v1/appeals, for the signed-in caller (its token is forwarded; the
/// service decides what the caller may do and see). The actor of every change is the caller: bodies that
/// name an actor are refused. Citizens use /api/v1/citizen/appeal with the token they got at intake.
struct AppealRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    typealias TransitionBody = GatewayRequests.TransitionBody
    typealias AnswerBody = GatewayRequests.AnswerBody
    typealias RatingBody = GatewayRequests.RatingBody

    typealias ClassificationBody = GatewayRequests.ClassificationBody

    static func refuseActor(_ actor: String?) throws {
        if actor != nil { throw RPCError.invalidArgument("actor cannot be set: the actor is the signed-in caller") }
    }

    func register(on group: RouterGroup<GatewayContext>) {
        group.post { request, context in
            let incoming = try await request.decode(as: AppealV1.IncomingAppeal.self, context: context)
            let r = try await backends.caller(context).appeals.submitAppeal(.init(appeal: incoming), options: request.callOptions(settings))
            return JSONResponse(r, status: r.alreadyExisted ? .ok : .created)
        }
        group.get { request, context in
            var q = AppealV1.ListAppealsRequest()
            q.statuses = try request.queryEnums("status", as: AppealV1.Status.self)
            q.channels = try request.queryEnums("channel", as: AppealV1.Channel.self)
            q.agencyId = request.queryString("agency")
            q.municipalityOktmo = request.queryString("municipality")
            q.topicCode = request.queryString("topic")
            q.categoryCode = request.queryString("category")
            q.textQuery = request.queryString("q")
            q.problemGroupId = request.queryString("group")
            q.receivedFromMs = try request.queryInstantMs("from")
            q.receivedToMs = try request.queryInstantMs("to")
            q.overdueOnly = ["1", "true", "yes"].contains(request.queryString("overdue").lowercased())
            q.unassignedOnly = ["1", "true", "yes"].contains(request.queryString("unassigned").lowercased())
            q.triageOnly = ["1", "true", "yes"].contains(request.queryString("triage").lowercased())
            q.monitoringFlag = request.queryString("flag")
            q.order = try request.queryEnums("order", as: AppealV1.ListOrder.self).first ?? .newest
            q.page = CommonV1.PageRequest(pageSize: Int32(clamping: try request.queryInt("page_size") ?? 0), pageToken: request.queryString("page_token"))
            // Passed through as JSON: a page of 50 appeals is about a thousand strings the gateway need not decode.
            return EncodedJSON(json: try await backends.caller(context).appeals.transport.unaryJSON(
                AppealV1.AppealService.Method.ListAppeals.self, q, options: options))
        }
        group.get("stats") { request, context in
            JSONResponse(try await backends.caller(context).appeals.getStats(
                .init(fromMs: try request.queryInstantMs("from"), toMs: try request.queryInstantMs("to")), options: options))
        }
        group.get(":id") { _, context in
            let id = try context.parameters.require("id")
            return EncodedJSON(json: try await backends.caller(context).appeals.transport.unaryJSON(
                AppealV1.AppealService.Method.GetAppeal.self, .init(id: id), options: options))
        }
        group.get(":id/routing") { _, context in
            let id = try context.parameters.require("id")
            let r = try await backends.caller(context).appeals.getAppeal(.init(id: id), options: options)
            return JSONResponse(RoutingHistory(r))
        }
        group.post(":id/transitions") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decodeBody(as: TransitionBody.self, context: context)
            try Self.refuseActor(b.actor)
            let r = try await backends.caller(context).appeals.transition(.init(id: id, action: b.action, comment: b.comment ?? "",
                                                                                agencyId: b.agencyId ?? "", expectedVersion: b.expectedVersion ?? 0),
                                                                          options: request.callOptions(settings))
            return JSONResponse(r)
        }
        group.post(":id/answer") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decodeBody(as: AnswerBody.self, context: context)
            try Self.refuseActor(b.actor)
            return JSONResponse(try await backends.caller(context).appeals.answerAppeal(
                .init(id: id, answerText: b.answerText, complete: b.complete ?? false, expectedVersion: b.expectedVersion ?? 0), options: request.callOptions(settings)))
        }
        group.post(":id/classification") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decodeBody(as: ClassificationBody.self, context: context)
            return JSONResponse(try await backends.caller(context).appeals.reclassifyAppeal(
                .init(id: id, topicCode: b.topicCode, categoryCode: b.categoryCode ?? "", comment: b.comment ?? "",
                      expectedVersion: b.expectedVersion ?? 0), options: request.callOptions(settings)))
        }
        group.post(":id/rating") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decodeBody(as: RatingBody.self, context: context)
            let clients = try request.headers[CitizenRoutes.tokenHeader].map { backends.citizen($0, context) } ?? backends.caller(context)
            return JSONResponse(try await clients.appeals.rateAppeal(.init(id: id, satisfaction: b.satisfaction, comment: b.comment ?? ""),
                                                                     options: request.callOptions(settings)))
        }
    }
}

/// The citizen's own appeal, opened by the token given at intake (header `Veche-Citizen-Token`, never in a URL):
/// `GET /api/v1/citizen/appeal` (status, answer, history) and `POST /api/v1/citizen/appeal/rating` (once per answer).
struct CitizenRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings
    static let tokenHeader = HTTPField.Name(CitizenToken.header)!

    func token(_ request: Request) throws -> String {
        guard let t = request.headers[Self.tokenHeader], !t.isEmpty else {
            throw AuthError.unauthenticated("send the token you received when the appeal was filed in the \(CitizenToken.header) header")
        }
        return t
    }

    func register(on group: RouterGroup<GatewayContext>) {
        let options = CallOptions(timeout: settings.callTimeout)
        group.get { request, context in
            JSONResponse(try await backends.citizen(try token(request), context).appeals.getAppeal(.init(), options: options))
        }
        group.post("rating") { request, context in
            let b = try await request.decodeBody(as: AppealRoutes.RatingBody.self, context: context)
            return JSONResponse(try await backends.citizen(try token(request), context).appeals.rateAppeal(
                .init(satisfaction: b.satisfaction, comment: b.comment ?? ""), options: request.callOptions(settings)))
        }
    }
}

/// Who has been responsible for an appeal, step by step (every assignment, forwarding and routing).
struct RoutingHistory: Codable, Sendable {
    struct Step: Codable, Sendable {
        var at: Int64
        var event: String
        var fromAgencyId: String
        var toAgencyId: String
        var actor: String
        var comment: String
    }
    var appealId: String
    var number: String
    var currentAgencyId: String
    var steps: [Step]

    init(_ r: AppealV1.GetAppealResponse) {
        appealId = r.appeal?.id ?? ""
        number = r.appeal?.number ?? ""
        currentAgencyId = r.appeal?.agencyId ?? ""
        var previous = ""
        var steps: [Step] = []
        for e in r.history {
            let agency = e.appeal?.agencyId ?? ""
            if agency != previous {
                steps.append(Step(at: e.occurredAtMs, event: e.type.name, fromAgencyId: previous, toAgencyId: agency, actor: e.actor, comment: e.comment))
                previous = agency
            }
        }
        self.steps = steps
    }
}
