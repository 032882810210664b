import Contracts
import Foundation
import Hummingbird
import VecheAuth
import WorkspaceUI

/// `GET /ws/settings`: the signed-in person's notification preferences (AgencyService, issue #12 item 4) as a
/// plain form — the e-mail address, the channel (e-mail or a messenger the platform has a bridge for, with the
/// person's address there) and which kinds of notification they receive. `POST /ws/settings` saves them
/// (CSRF token and idempotency key in the form) and comes back with a confirmation or the refusal in words.
struct SettingsPage: Sendable {
    let routes: WorkspaceRoutes

    struct Kind {
        var code: String
        var label: String
        var hint: String
        var on: Bool
    }

    struct Channel {
        var value: String
        var label: String
        var checked: Bool
    }

    struct Model {
        var chrome: Chrome
        var csrf: String
        var idempotencyKey: String
        var email: String
        var channels: [Channel]
        var messengerAddress: String
        var kinds: [Kind]
        var updated: String?
    }

    func register(on router: Router<GatewayContext>) {
        router.get("ws/settings") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { return routes.signIn(request) }
            let got = try await routes.backends.caller(context).agencies.getNotificationPreferences(.init(), options: routes.options)
            return try render(viewer, prefs: got.preferences ?? .init(), messengers: got.messengers,
                              flash: request.queryString("saved") == "1" ? "Настройки уведомлений сохранены." : nil)
                .response(from: request, context: context)
        }
        router.post("ws/settings") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let form = try await WorkspaceForm.read(request, viewer: viewer)
            let on = Set(form.values("kind"))
            var prefs = AgencyV1.NotificationPreferences()
            prefs.email = form.value("email")
            prefs.messenger = form.value("channel") == "email" ? "" : form.value("channel")
            prefs.messengerAddress = form.value("messenger_address")
            prefs.mutedKinds = NotificationLabels.kinds.map(\.code).filter { !on.contains($0) }
            let clients = try routes.backends.caller(context)
            do {
                _ = try await clients.agencies.setNotificationPreferences(.init(preferences: prefs), options: form.callOptions(routes.settings))
                return SignInRoutes.redirect("/ws/settings?saved=1")
            } catch {
                guard let e = RPCError.from(error) else { throw error }
                let messengers = (try? await clients.agencies.getNotificationPreferences(.init(), options: routes.options).messengers) ?? []
                var html = try render(viewer, prefs: prefs, messengers: messengers, error: "\(Labels.failure(e.code.rawValue)): \(e.message)")
                html.status = e.code.httpStatus
                return try html.response(from: request, context: context)
            }
        }
    }

    func render(_ viewer: Viewer, prefs: AgencyV1.NotificationPreferences, messengers: [String],
                flash: String? = nil, error: String? = nil) throws -> WorkspaceHTML {
        var chrome = viewer.chrome("Настройки уведомлений", settings: routes.settings, active: "/ws/settings")
        chrome.flash = flash
        chrome.error = error
        let muted = Set(prefs.mutedKinds)
        let channels = [Channel(value: "email", label: "Электронная почта", checked: prefs.messenger.isEmpty)]
            + messengers.map { Channel(value: $0, label: NotificationLabels.messenger($0), checked: prefs.messenger == $0) }
        return try routes.page("settings", Model(
            chrome: chrome, csrf: viewer.csrf, idempotencyKey: freshKey(), email: prefs.email, channels: channels,
            messengerAddress: prefs.messengerAddress,
            kinds: NotificationLabels.kinds.map { Kind(code: $0.code, label: $0.label, hint: $0.hint, on: !muted.contains($0.code)) },
            updated: prefs.updatedAtMs > 0 ? routes.clock.dateTime(prefs.updatedAtMs) : nil))
    }
}
