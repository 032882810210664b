import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// The appeal card's forms and the queue's bulk assignment. Each form carries the session's CSRF token, the
/// version of the appeal it was rendered from (`expected_version`: a stale tab is refused instead of
/// overwriting a newer change) and its own idempotency key (forwarded as `Idempotency-Key`: a double click
/// is the same request). Success redirects back (303, so a reload does not post again); a refusal re-renders
/// the card with the reason in words and the service's message.
struct WorkspaceActions: Sendable {
    let routes: WorkspaceRoutes

    /// Actions that need a reason written down (the extension's reason, why it is reopened or forwarded).
    static let needsReason: Set<AppealV1.Action> = [.extend, .reopen, .forward]

    func register(on router: Router<GatewayContext>) {
        router.post("ws/appeals/:id/transition") { request, context in
            try await act(request, context) { form, id, clients in
                guard let action = AppealV1.Action(name: form.value("action")), action != .unspecified else {
                    throw RPCError.invalidArgument("unknown action '\(form.value("action"))'")
                }
                if Self.needsReason.contains(action), form.value("comment").isEmpty {
                    throw RPCError.invalidArgument("укажите причину: действие «\(Labels.action(action))» требует обоснования")
                }
                _ = try await clients.appeals.transition(.init(id: id, action: action, comment: form.value("comment"), agencyId: form.value("agency_id"),
                                                               expectedVersion: try form.expectedVersion()),
                                                         options: form.callOptions(routes.settings))
            }
        }
        router.post("ws/appeals/:id/answer") { request, context in
            try await act(request, context) { form, id, clients in
                let checked = Set(form.values("check"))
                let complete = AppealCardPage.checklist.allSatisfy { checked.contains($0.value) }
                _ = try await clients.appeals.answerAppeal(.init(id: id, answerText: form.value("answer_text"), complete: complete,
                                                                 expectedVersion: try form.expectedVersion()),
                                                           options: form.callOptions(routes.settings))
            }
        }
        router.post("ws/appeals/:id/classification") { request, context in
            try await act(request, context) { form, id, clients in
                let parts = form.value("category").split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else { throw RPCError.invalidArgument("choose a topic and category") }
                _ = try await clients.appeals.reclassifyAppeal(.init(id: id, topicCode: parts[0], categoryCode: parts[1], comment: form.value("comment"),
                                                                     expectedVersion: try form.expectedVersion()),
                                                               options: form.callOptions(routes.settings))
            }
        }
        router.post("ws/bulk-assign") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let form = try await WorkspaceForm.read(request, viewer: viewer)
            let back = SignInRoutes.safeReturn(form.value("return_to"))
            let agency = form.value("agency_id")
            let picked = form.values("appeal").compactMap { raw -> (String, Int64)? in
                let p = raw.split(separator: ":").map(String.init)
                return p.count == 2 ? (p[0], Int64(p[1]) ?? 0) : nil
            }
            guard !agency.isEmpty, !picked.isEmpty else {
                return try await QueuePage(routes: routes).render(request, context, viewer: viewer, error: "Выберите обращения и орган, которому их назначить.")
                    .response(from: request, context: context)
            }
            let clients = try routes.backends.caller(context)
            var done = 0
            var failures: [String] = []
            for (id, version) in picked {
                do {
                    // One key per appeal of this submission: a repeated submission repeats none of them.
                    _ = try await clients.appeals.transition(.init(id: id, action: .assign, comment: form.value("comment"), agencyId: agency,
                                                                   expectedVersion: version),
                                                             options: form.callOptions(routes.settings, suffix: id))
                    done += 1
                } catch {
                    guard let e = RPCError.from(error) else { throw error }
                    failures.append("\(id.prefix(8)): \(Labels.failure(e.code.rawValue)) — \(e.message)")
                }
            }
            if failures.isEmpty { return SignInRoutes.redirect(back + (back.contains("?") ? "&" : "?") + "assigned=\(done)") }
            return try await QueuePage(routes: routes).render(request, context, viewer: viewer,
                                                              error: "Назначено: \(done), не назначено: \(failures.count). " + failures.joined(separator: "; "))
                .response(from: request, context: context)
        }
    }

    /// Runs one card action for the signed-in person: redirect to the card on success, the card with the
    /// refusal explained otherwise.
    func act(_ request: Request, _ context: GatewayContext,
             _ body: @Sendable (WorkspaceForm, String, ServiceClients) async throws -> Void) async throws -> Response {
        guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
        let form = try await WorkspaceForm.read(request, viewer: viewer)
        let id = try context.parameters.require("id")
        do {
            try await body(form, id, try routes.backends.caller(context))
        } catch {
            guard let e = RPCError.from(error) else { throw error }
            let card = AppealCardPage(routes: routes)
            var html = try await card.render(context, id: id, viewer: viewer, error: "\(Labels.failure(e.code.rawValue)): \(e.message)")
            html.status = e.code.httpStatus
            return try html.response(from: request, context: context)
        }
        return SignInRoutes.redirect("/ws/appeals/\(id)?done=1")
    }
}
