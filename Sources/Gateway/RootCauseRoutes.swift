import Contracts
import Foundation
import Hummingbird

/// Root-cause cases and target indicators over RatingService: /api/v1/root-causes (list, one case with its
/// history, the staff's edit, a detection pass) and /api/v1/indicators. RatingService decides who may.
struct RootCauseRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("root-causes") { request, context in
            var q = RatingV1.ListRootCausesRequest()
            q.statuses = try request.queryEnums("status", as: RatingV1.RootCauseStatus.self)
            q.topicCode = request.queryString("topic")
            q.limit = Int32(clamping: try request.queryInt("limit") ?? 0)
            return JSONResponse(try await backends.caller(context).ratings.listRootCauses(q, options: options))
        }
        api.post("root-causes/detect") { request, context in
            let body = try await request.decode(as: RatingV1.DetectRootCausesRequest.self, context: context)
            return JSONResponse(try await backends.caller(context).ratings.detectRootCauses(body, options: request.callOptions(settings)))
        }
        api.get("root-causes/:id") { _, context in
            JSONResponse(try await backends.caller(context).ratings.getRootCause(.init(id: try context.parameters.require("id")), options: options))
        }
        api.put("root-causes/:id") { request, context in
            var body = try await request.decode(as: RatingV1.UpdateRootCauseRequest.self, context: context)
            body.id = try context.parameters.require("id")
            return JSONResponse(try await backends.caller(context).ratings.updateRootCause(body, options: request.callOptions(settings)))
        }
        api.get("indicators") { request, context in
            let year = try request.queryInt("year") ?? 0
            guard year == 0 || (2000...2100).contains(year) else { throw RPCError.invalidArgument("query parameter year must be 2000–2100") }
            return JSONResponse(try await backends.caller(context).ratings.listIndicators(.init(year: Int32(year)), options: options))
        }
        api.put("indicators/:code") { request, context in
            var indicator = try await request.decode(as: RatingV1.Indicator.self, context: context)
            indicator.code = try context.parameters.require("code")
            return JSONResponse(try await backends.caller(context).ratings.setIndicator(.init(indicator: indicator), options: request.callOptions(settings)))
        }
        api.delete("indicators/:code") { request, context in
            JSONResponse(try await backends.caller(context).ratings.deleteIndicator(.init(code: try context.parameters.require("code")),
                                                                                     options: request.callOptions(settings)))
        }
    }
}
