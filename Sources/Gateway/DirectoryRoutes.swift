import Contracts
import Foundation
import Hummingbird

/// Directory and routing over AgencyService: /api/v1/{municipalities,agencies,topics,routing,calendar,sla,deadlines}.
struct DirectoryRoutes: Sendable {
    let clients: ServiceClients
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    func register<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.get("municipalities") { _, _ in
            JSONResponse(try await clients.agencies.listMunicipalities(.init(), options: options))
        }
        api.get("agencies") { request, _ in
            let kinds = try request.queryEnums("kind", as: AgencyV1.AgencyKind.self)
            return JSONResponse(try await clients.agencies.listAgencies(.init(municipalityOktmo: request.queryString("municipality"),
                                                                             kind: kinds.first ?? .unspecified,
                                                                             topicCode: request.queryString("topic")), options: options))
        }
        api.get("agencies/:id") { _, context in
            JSONResponse(try await clients.agencies.getAgency(.init(id: try context.parameters.require("id")), options: options))
        }
        api.get("topics") { _, _ in
            JSONResponse(try await clients.agencies.listTopics(.init(), options: options))
        }
        api.get("routing/rules") { request, _ in
            JSONResponse(try await clients.agencies.listRoutingRules(.init(topicCode: request.queryString("topic")), options: options))
        }
        api.post("routing/rules") { request, context in
            let rule = try await request.decode(as: AgencyV1.RoutingRule.self, context: context)
            return JSONResponse(try await clients.agencies.upsertRoutingRule(.init(rule: rule), options: options))
        }
        api.get("routing/resolve") { request, _ in
            JSONResponse(try await clients.agencies.route(.init(topicCode: request.queryString("topic"), categoryCode: request.queryString("category"),
                                                                municipalityOktmo: request.queryString("municipality")), options: options))
        }
        api.get("calendar/:year") { _, context in
            guard let year = Int32(try context.parameters.require("year")) else { throw RPCError.invalidArgument("year must be a number") }
            return JSONResponse(try await clients.agencies.getCalendar(.init(year: year), options: options))
        }
        api.get("sla") { _, _ in
            JSONResponse(try await clients.agencies.getSlaPolicies(.init(), options: options))
        }
        api.get("deadlines") { request, _ in
            let start = try request.queryInstantMs("start")
            return JSONResponse(try await clients.agencies.computeDeadlines(.init(channel: request.queryString("channel"),
                                                                                  startMs: start == 0 ? Int64(Date().timeIntervalSince1970 * 1000) : start,
                                                                                  extended: request.queryString("extended") == "true"), options: options))
        }
    }
}
