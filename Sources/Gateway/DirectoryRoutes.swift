import Contracts
import Foundation
import GatewayRequests
import Hummingbird

/// Directory and routing over AgencyService: /api/v1/{municipalities,agencies,topics,routing,calendar,sla,deadlines}.
/// Reads need a signed-in caller; changes are the head of the ЦУР's (AgencyService decides).
struct DirectoryRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    typealias OverrideBody = GatewayRequests.OverrideBody

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("municipalities") { _, context in
            JSONResponse(try await backends.caller(context).agencies.listMunicipalities(.init(), options: options))
        }
        api.get("agencies") { request, context in
            let kinds = try request.queryEnums("kind", as: AgencyV1.AgencyKind.self)
            return JSONResponse(try await backends.caller(context).agencies.listAgencies(
                .init(municipalityOktmo: request.queryString("municipality"), kind: kinds.first ?? .unspecified,
                      topicCode: request.queryString("topic")), options: options))
        }
        api.get("agencies/:id") { _, context in
            JSONResponse(try await backends.caller(context).agencies.getAgency(.init(id: try context.parameters.require("id")), options: options))
        }
        api.get("topics") { _, context in
            JSONResponse(try await backends.caller(context).agencies.listTopics(.init(), options: options))
        }
        api.get("routing/rules") { request, context in
            JSONResponse(try await backends.caller(context).agencies.listRoutingRules(.init(topicCode: request.queryString("topic")), options: options))
        }
        api.post("routing/rules") { request, context in
            let rule = try await request.decode(as: AgencyV1.RoutingRule.self, context: context)
            return JSONResponse(try await backends.caller(context).agencies.upsertRoutingRule(.init(rule: rule), options: request.callOptions(settings)))
        }
        api.get("routing/resolve") { request, context in
            JSONResponse(try await backends.caller(context).agencies.route(
                .init(topicCode: request.queryString("topic"), categoryCode: request.queryString("category"),
                      municipalityOktmo: request.queryString("municipality")), options: options))
        }
        api.get("calendar/:year") { _, context in
            guard let year = Int32(try context.parameters.require("year")) else { throw RPCError.invalidArgument("year must be a number") }
            return JSONResponse(try await backends.caller(context).agencies.getCalendar(.init(year: year), options: options))
        }
        api.put("calendar/overrides/:date") { request, context in
            let b = try await request.decodeBody(as: OverrideBody.self, context: context)
            let entry = AgencyV1.CalendarOverride(date: try context.parameters.require("date"), kind: b.kind, note: b.note ?? "",
                                                  asHoliday: b.asHoliday ?? false)
            return JSONResponse(try await backends.caller(context).agencies.setCalendarOverride(.init(entry: entry), options: request.callOptions(settings)))
        }
        api.delete("calendar/overrides/:date") { request, context in
            let entry = AgencyV1.CalendarOverride(date: try context.parameters.require("date"))
            return JSONResponse(try await backends.caller(context).agencies.setCalendarOverride(.init(entry: entry, remove: true), options: request.callOptions(settings)))
        }
        api.get("sla") { _, context in
            JSONResponse(try await backends.caller(context).agencies.getSlaPolicies(.init(), options: options))
        }
        api.put("sla/:channel") { request, context in
            var policy = try await request.decode(as: AgencyV1.SlaPolicy.self, context: context)
            policy.channel = try context.parameters.require("channel")
            return JSONResponse(try await backends.caller(context).agencies.upsertSlaPolicy(.init(policy: policy), options: request.callOptions(settings)))
        }
        api.get("deadlines") { request, context in
            let start = try request.queryInstantMs("start")
            return JSONResponse(try await backends.caller(context).agencies.computeDeadlines(
                .init(channel: request.queryString("channel"), startMs: start == 0 ? Int64(Date().timeIntervalSince1970 * 1000) : start,
                      extended: request.queryString("extended") == "true"), options: options))
        }
    }
}
