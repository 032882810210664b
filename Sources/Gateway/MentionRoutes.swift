import Contracts
import Foundation
import GatewayRequests
import Hummingbird

/// JSON API over MediaService: /api/v1/mentions (public posts: detected bodies, tone, topic), /api/v1/mentions/tone
/// (posts per tone over time), /api/v1/mentions/incidents (surges and their appeals) and
/// `POST /api/v1/mentions/:id/promotion` (the post becomes an appeal on the social channel, once). The caller's token
/// is forwarded; MediaService decides who may read and who may promote.
struct MentionRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    typealias PromoteBody = GatewayRequests.PromoteBody

    func register(on group: RouterGroup<GatewayContext>) {
        group.get { request, context in
            var q = MediaV1.ListMentionsRequest()
            q.entityId = request.queryString("entity")
            q.tone = try request.queryEnum("tone", as: MediaV1.Tone.self) ?? .unspecified
            q.topicCode = request.queryString("topic")
            q.municipalityOktmo = request.queryString("municipality")
            q.fromMs = try request.queryInstantMs("from")
            q.toMs = try request.queryInstantMs("to")
            q.page = CommonV1.PageRequest(pageSize: Int32(clamping: try request.queryInt("page_size") ?? 0), pageToken: request.queryString("page_token"))
            return JSONResponse(try await backends.caller(context).media.listMentions(q, options: options))
        }
        group.get("tone") { request, context in
            let q = MediaV1.GetToneSeriesRequest(entityId: request.queryString("entity"), topicCode: request.queryString("topic"),
                                                 fromMs: try request.queryInstantMs("from"), toMs: try request.queryInstantMs("to"),
                                                 bucket: request.queryString("bucket"))
            return JSONResponse(try await backends.caller(context).media.getToneSeries(q, options: options))
        }
        group.get("incidents") { request, context in
            let open = ["1", "true", "yes"].contains(request.queryString("open").lowercased())
            let q = MediaV1.ListIncidentsRequest(openOnly: open, limit: Int32(clamping: try request.queryInt("limit") ?? 0))
            return JSONResponse(try await backends.caller(context).media.listIncidents(q, options: options))
        }
        group.post(":id/promotion") { request, context in
            let body = try await request.decodeBody(as: PromoteBody.self, context: context)
            let r = try await backends.caller(context).media.promoteMention(
                .init(mentionId: try context.parameters.require("id"), comment: body.comment ?? ""), options: request.callOptions(settings))
            return JSONResponse(r)
        }
    }
}
