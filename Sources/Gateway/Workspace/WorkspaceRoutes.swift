import Contracts
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import VecheAuth
import WorkspaceUI

/// The ЦУР workspace (issue #11), server-rendered from mustache templates:
///
/// * `GET /ws` — the queues of the signed-in person's roles, filters, keyset paging (`QueuePage`)
/// * `GET /ws/appeals/:id` — the appeal card (`AppealCardPage`); `POST /ws/appeals/:id/…` its actions
///   and `POST /ws/bulk-assign` (`WorkspaceActions`)
/// * `GET /ws/problems`, `GET|POST /ws/problems/:id` — root-cause cases and target indicators (`ProblemsPage`)
/// * `GET /ws/filters`, `POST /ws/filters…` — saved queue filters (`SavedFilterPages`)
/// * `GET /ws/settings`, `POST /ws/settings` — notification preferences (`SettingsPage`)
/// * `GET /ws/monitoring` — mentions, tone over time, open incidents (`MonitoringPage`)
/// * `GET /ws/events` — appeal events as server-sent events (`LiveEvents`)
/// * `GET /status`, `POST /status`, `POST /status/rate`, `GET /public` — citizens (`CitizenPages`)
/// * `GET /ws/static/:file` — the workspace's CSS and JavaScript; `POST /ws/logout`
struct WorkspaceRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings
    let templates: Result<WorkspaceTemplates, any Error>
    let directoryCache = WorkspaceDirectoryCache()
    let events: AppealEventHub?
    var now: @Sendable () -> Date = { Date() }

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }
    var clock: WorkspaceClock { WorkspaceClock(timeZone: settings.timeZone) }

    func register(on router: Router<GatewayContext>) {
        router.get("ws/static/:file") { _, context in
            let name = try context.parameters.require("file")
            guard let asset = try templates.get().asset(name) else { throw RPCError.notFound("no static file \(name)") }
            var headers = HTTPFields()
            headers[.contentType] = asset.contentType
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
        router.post("ws/logout") { request, context in
            if let viewer = try await Viewer.load(context, backends: backends, options: options) {
                _ = try await WorkspaceForm.read(request, viewer: viewer)
            }
            context.sessions.clearSession()
            return SignInRoutes.redirect("/status")
        }
        QueuePage(routes: self).register(on: router)
        AppealCardPage(routes: self).register(on: router)
        WorkspaceActions(routes: self).register(on: router)
        ProblemsPage(routes: self).register(on: router)
        CitizenPages(routes: self).register(on: router)
        SavedFilterPages(routes: self).register(on: router)
        SettingsPage(routes: self).register(on: router)
        MonitoringPage(routes: self).register(on: router)
        if let events { LiveEvents(routes: self, hub: events).register(on: router) }
    }

    /// The directory as the gateway reads it (public data), cached.
    func directory(_ context: GatewayContext) async throws -> WorkspaceDirectory {
        let clients = try backends.portal(context)
        let options = self.options
        return try await directoryCache.get {
            async let topics = clients.agencies.listTopics(.init(), options: options)
            async let agencies = clients.agencies.listAgencies(.init(), options: options)
            async let munis = clients.agencies.listMunicipalities(.init(), options: options)
            return WorkspaceDirectory(topics: try await topics.topics, agencies: try await agencies.agencies,
                                      municipalities: try await munis.municipalities)
        }
    }

    /// The signed-in viewer, or a redirect to the sign-in that comes back to this page.
    func viewer(_ request: Request, _ context: GatewayContext) async throws -> Viewer? {
        try await Viewer.load(context, backends: backends, options: options)
    }

    func signIn(_ request: Request) -> Response {
        let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        return SignInRoutes.redirect(SignInRoutes.loginPath(returnTo: back))
    }

    /// Renders a template into a workspace page.
    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) throws -> WorkspaceHTML {
        WorkspaceHTML(html: try templates.get().render(template, model), status: status)
    }

    /// A page that explains a refusal in words, with the service's own message.
    func errorPage(_ error: RPCError, chrome: Chrome, back: String) throws -> WorkspaceHTML {
        struct Model { var chrome: Chrome; var heading: String; var message: String; var back: String }
        return try page("error", Model(chrome: chrome, heading: Labels.failure(error.code.rawValue), message: error.message, back: back),
                        status: error.code.httpStatus)
    }
}

extension RPCError {
    /// Any failure of a workspace action as an `RPCError` (access refusals keep their 401/403).
    static func from(_ error: any Error) -> RPCError? {
        if let e = error as? RPCError { return e }
        if let e = error as? AuthError { return RPCError(e) }
        return nil
    }
}
