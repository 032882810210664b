import Contracts
import Foundation
import GatewayRequests
import Hummingbird

/// Notifications and workload over AgencyService: /api/v1/me/notifications (each person's own preferences),
/// /api/v1/escalation/chains, /api/v1/workload and /api/v1/workload/staff/:topic. AgencyService decides who may.
struct NotificationRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("me/notifications") { _, context in
            JSONResponse(try await backends.caller(context).agencies.getNotificationPreferences(.init(), options: options))
        }
        api.put("me/notifications") { request, context in
            var prefs = try await request.decode(as: AgencyV1.NotificationPreferences.self, context: context)
            prefs.principal = ""   // always the caller's own
            return JSONResponse(try await backends.caller(context).agencies.setNotificationPreferences(.init(preferences: prefs),
                                                                                                       options: request.callOptions(settings)))
        }
        api.get("escalation/chains") { _, context in
            JSONResponse(try await backends.caller(context).agencies.listEscalationChains(.init(), options: options))
        }
        api.put("escalation/chains/:topic") { request, context in
            var chain = try await request.decode(as: AgencyV1.EscalationChain.self, context: context)
            let topic = try context.parameters.require("topic")
            chain.topicCode = topic == "default" ? "" : topic
            return JSONResponse(try await backends.caller(context).agencies.setEscalationChain(.init(chain: chain), options: request.callOptions(settings)))
        }
        api.get("workload") { request, context in
            JSONResponse(try await backends.caller(context).agencies.getWorkload(
                .init(granularity: request.queryString("granularity"), fromMs: try request.queryInstantMs("from"),
                      toMs: try request.queryInstantMs("to")), options: options))
        }
        api.put("workload/staff/:topic") { request, context in
            var body = try await request.decode(as: AgencyV1.SetBlockStaffRequest.self, context: context)
            body.topicCode = try context.parameters.require("topic")
            return JSONResponse(try await backends.caller(context).agencies.setBlockStaff(body, options: request.callOptions(settings)))
        }
    }
}
