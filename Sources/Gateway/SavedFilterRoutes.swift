import Contracts
import Foundation
import Hummingbird

/// The caller's saved queue filters over AgencyService (issue #11): `GET /api/v1/me/filters` (own and shared
/// with the caller's block), `POST` to save one, `PUT /api/v1/me/filters/:id` to rename or re-share,
/// `DELETE /api/v1/me/filters/:id`. The owner is always the caller; AgencyService decides the rest.
struct SavedFilterRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("me/filters") { _, context in
            JSONResponse(try await backends.caller(context).agencies.listSavedFilters(.init(), options: CallOptions(timeout: settings.callTimeout)))
        }
        api.post("me/filters") { request, context in
            var filter = try await request.decode(as: AgencyV1.SavedFilter.self, context: context)
            filter.owner = ""
            return JSONResponse(try await backends.caller(context).agencies.createSavedFilter(.init(filter: filter), options: request.callOptions(settings)),
                                status: .created)
        }
        api.put("me/filters/:id") { request, context in
            var filter = try await request.decode(as: AgencyV1.SavedFilter.self, context: context)
            filter.id = try context.parameters.require("id")
            filter.owner = ""
            return JSONResponse(try await backends.caller(context).agencies.updateSavedFilter(.init(filter: filter), options: request.callOptions(settings)))
        }
        api.delete("me/filters/:id") { request, context in
            JSONResponse(try await backends.caller(context).agencies.deleteSavedFilter(.init(id: try context.parameters.require("id")),
                                                                                       options: request.callOptions(settings)))
        }
    }
}
