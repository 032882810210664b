import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// Saved queue filters in the workspace (issue #11), kept by AgencyService per person, so every device shows
/// them: the queue lists them as plain links and offers a form that saves the current filter under a name
/// (optionally shared with the person's sector block); `GET /ws/filters` lists them with rename, re-share and
/// delete forms. Every form carries the session's CSRF token and its own idempotency key.
struct SavedFilterPages: Sendable {
    let routes: WorkspaceRoutes

    /// Query parameters that are not part of a filter (paging, one-off messages).
    static let transient: Set<String> = ["page_token", "assigned", "filter_saved"]

    /// The current queue filter as a saved query: the non-empty parameters of the request, in order.
    static func query(of request: Request) -> String {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            .filter { !transient.contains($0.0) && !$0.1.isEmpty }
            .map { "\(QueuePage.encode($0.0))=\(QueuePage.encode($0.1))" }.joined(separator: "&")
    }

    /// One saved filter as the pages show it.
    struct Item {
        var id: String
        var name: String
        var href: String
        var query: String
        var mine: Bool
        var owner: String
        var sharedWith: String?
        var shares: [Choice]
        var csrf: String
        var renameKey: String
        var deleteKey: String
    }

    /// The form that saves the current filter, under the queue's filters.
    struct SaveForm {
        var csrf: String
        var idempotencyKey: String
        var query: String
        var shares: [Choice]
        var canShare: Bool
    }

    /// The sector blocks a person may share with ("" = only me first).
    static func shareChoices(_ viewer: Viewer, directory: WorkspaceDirectory, selected: String) -> [Choice] {
        let blocks = viewer.principal.has(.centerHead) ? directory.topics.map(\.code)
            : Array(Set(viewer.principal.grants.flatMap(\.topicCodes))).sorted()
        return [Choice(value: "", label: "только мне", selected: selected.isEmpty)]
            + blocks.map { Choice(value: $0, label: "блоку «\(directory.topicName($0))»", selected: $0 == selected) }
    }

    /// The person's saved filters and those shared with their block (empty when AgencyService cannot say:
    /// the queue still works).
    static func items(_ routes: WorkspaceRoutes, _ context: GatewayContext, viewer: Viewer, directory: WorkspaceDirectory) async -> [Item] {
        guard let list = try? await routes.backends.caller(context).agencies.listSavedFilters(.init(), options: routes.options) else { return [] }
        return list.filters.map { f in
            Item(id: f.id, name: f.name, href: "/ws?" + f.query, query: f.query, mine: f.mine, owner: f.owner.split(separator: ":", maxSplits: 1).last.map(String.init) ?? f.owner,
                 sharedWith: f.sharedTopicCode.isEmpty ? nil : directory.topicName(f.sharedTopicCode),
                 shares: shareChoices(viewer, directory: directory, selected: f.sharedTopicCode), csrf: viewer.csrf,
                 renameKey: freshKey(), deleteKey: freshKey())
        }
    }

    struct Model {
        var chrome: Chrome
        var mine: [Item]
        var shared: [Item]
        var hasMine: Bool
        var hasShared: Bool
    }

    func register(on router: Router<GatewayContext>) {
        router.get("ws/filters") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            let done = request.queryString("done")
            return try await render(context, viewer: viewer, flash: done == "deleted" ? "Фильтр удалён." : done == "updated" ? "Фильтр изменён." : nil)
                .response(from: request, context: context)
        }
        router.post("ws/filters") { request, context in
            try await act(request, context) { form, clients in
                let query = form.value("query")
                _ = try await clients.agencies.createSavedFilter(
                    .init(filter: .init(name: form.value("name"), query: query, sharedTopicCode: form.value("shared_topic_code"))),
                    options: form.callOptions(routes.settings))
                return "/ws?" + query + (query.isEmpty ? "" : "&") + "filter_saved=1"
            }
        }
        router.post("ws/filters/:id/rename") { request, context in
            let id = try context.parameters.require("id")
            return try await act(request, context) { form, clients in
                _ = try await clients.agencies.updateSavedFilter(
                    .init(filter: .init(id: id, name: form.value("name"), query: form.value("query"),
                                        sharedTopicCode: form.value("shared_topic_code"))),
                    options: form.callOptions(routes.settings))
                return "/ws/filters?done=updated"
            }
        }
        router.post("ws/filters/:id/delete") { request, context in
            let id = try context.parameters.require("id")
            return try await act(request, context) { form, clients in
                _ = try await clients.agencies.deleteSavedFilter(.init(id: id), options: form.callOptions(routes.settings))
                return "/ws/filters?done=deleted"
            }
        }
    }

    func render(_ context: GatewayContext, viewer: Viewer, flash: String? = nil, error: String? = nil) async throws -> WorkspaceHTML {
        let directory = try await routes.directory(context)
        let items = await Self.items(routes, context, viewer: viewer, directory: directory)
        var chrome = viewer.chrome("Сохранённые фильтры", settings: routes.settings, active: "/ws")
        chrome.flash = flash
        chrome.error = error
        let mine = items.filter(\.mine), shared = items.filter { !$0.mine }
        return try routes.page("filters", Model(chrome: chrome, mine: mine, shared: shared, hasMine: !mine.isEmpty, hasShared: !shared.isEmpty))
    }

    /// Runs one filter form for the signed-in person: redirect on success, the filters page with the refusal
    /// explained otherwise.
    func act(_ request: Request, _ context: GatewayContext,
             _ body: @Sendable (WorkspaceForm, ServiceClients) async throws -> String) async throws -> Response {
        guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
        let form = try await WorkspaceForm.read(request, viewer: viewer)
        do {
            return SignInRoutes.redirect(try await body(form, try routes.backends.caller(context)))
        } catch {
            guard let e = RPCError.from(error) else { throw error }
            var html = try await render(context, viewer: viewer, error: "\(Labels.failure(e.code.rawValue)): \(e.message)")
            html.status = e.code.httpStatus
            return try html.response(from: request, context: context)
        }
    }
}
