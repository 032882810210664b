import Contracts
import Foundation
import Hummingbird

/// JSON API over AppealService: /api/v1/appeals.
struct AppealRoutes: Sendable {
    let clients: ServiceClients
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    struct TransitionBody: Codable, Sendable {
        var action: AppealV1.Action
        var actor: String?
        var comment: String?
        var agencyId: String?
        var expectedVersion: Int64?
    }

    struct AnswerBody: Codable, Sendable {
        var answerText: String
        var actor: String?
        var complete: Bool?
        var expectedVersion: Int64?
    }

    struct RatingBody: Codable, Sendable {
        var satisfaction: Int32
        var comment: String?
    }

    func register<Context: RequestContext>(on group: RouterGroup<Context>) {
        group.post { request, context in
            let incoming = try await request.decode(as: AppealV1.IncomingAppeal.self, context: context)
            let r = try await clients.appeals.submitAppeal(.init(appeal: incoming), options: options)
            return JSONResponse(r, status: r.alreadyExisted ? .ok : .created)
        }
        group.get { request, _ in
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
            q.page = CommonV1.PageRequest(pageSize: Int32(clamping: try request.queryInt("page_size") ?? 0), pageToken: request.queryString("page_token"))
            return JSONResponse(try await clients.appeals.listAppeals(q, options: options))
        }
        group.get("stats") { request, _ in
            JSONResponse(try await clients.appeals.getStats(.init(fromMs: try request.queryInstantMs("from"), toMs: try request.queryInstantMs("to")), options: options))
        }
        group.get(":id") { _, context in
            let id = try context.parameters.require("id")
            return JSONResponse(try await clients.appeals.getAppeal(.init(id: id), options: options))
        }
        group.get(":id/routing") { _, context in
            let id = try context.parameters.require("id")
            let r = try await clients.appeals.getAppeal(.init(id: id), options: options)
            return JSONResponse(RoutingHistory(r))
        }
        group.post(":id/transitions") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decode(as: TransitionBody.self, context: context)
            let r = try await clients.appeals.transition(.init(id: id, action: b.action, actor: b.actor ?? "", comment: b.comment ?? "",
                                                               agencyId: b.agencyId ?? "", expectedVersion: b.expectedVersion ?? 0), options: options)
            return JSONResponse(r)
        }
        group.post(":id/answer") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decode(as: AnswerBody.self, context: context)
            return JSONResponse(try await clients.appeals.answerAppeal(.init(id: id, answerText: b.answerText, actor: b.actor ?? "",
                                                                               complete: b.complete ?? false, expectedVersion: b.expectedVersion ?? 0), options: options))
        }
        group.post(":id/rating") { request, context in
            let id = try context.parameters.require("id")
            let b = try await request.decode(as: RatingBody.self, context: context)
            return JSONResponse(try await clients.appeals.rateAppeal(.init(id: id, satisfaction: b.satisfaction, comment: b.comment ?? ""), options: options))
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
