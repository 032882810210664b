import Contracts
import Foundation
import Hummingbird
import HTTPTypes
import VecheAuth
import VecheRuntime
import WorkspaceUI

/// A workspace page: HTML whose Content-Security-Policy admits only the workspace's own script, style sheet
/// and server-sent events (no inline script or style, no other origin).
struct WorkspaceHTML: ResponseGenerator {
    var html: String
    var status: HTTPResponse.Status = .ok

    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = Self.policy
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What every page shows around its content: region, navigation, the signed-in person, messages.
struct Chrome {
    struct Link {
        var href: String
        var label: String
        var active: Bool
    }
    var title: String
    var region: String
    var home = "/ws"
    var nav: [Link] = []
    var user: String?
    var roles = ""
    var csrf = ""
    var live = false
    var flash: String?
    var error: String?

    /// The pages anyone may open (open data, a citizen's status page, sign-in): their navigation, `active` marked.
    static func publicSite(_ title: String, region: String, active: String) -> Chrome {
        Chrome(title: title, region: region, home: "/public",
               nav: [Link(href: "/public", label: "Открытые данные", active: active == "/public"),
                     Link(href: "/status", label: "Статус обращения", active: active == "/status"),
                     Link(href: "/ws", label: "Вход для сотрудников", active: active == "/ws")])
    }
}

/// One `<option>` of a select.
struct Choice {
    var value: String
    var label: String
    var selected: Bool
}

/// The signed-in person as the workspace needs it: the principal with the directory's grants (to offer only
/// what the services will allow; they decide again), the session's CSRF token.
struct Viewer: Sendable {
    var principal: Principal
    var csrf: String

    var name: String { principal.name }
    var roleTitles: String {
        Array(Set(principal.grants.map(\.role.title))).sorted().joined(separator: ", ")
    }
    var isTriage: Bool { principal.hasAny([.operator, .centerHead]) }

    /// The viewer of a signed-in browser session (nil when nobody is signed in).
    static func load(_ context: GatewayContext, backends: Backends, options: CallOptions) async throws -> Viewer? {
        guard let caller = context.identity, case .session(let token, let csrf) = caller else { return nil }
        let grants = try await backends.grants(context, options: options)
        return Viewer(principal: Principal(kind: token.kind, name: token.name, clientID: token.clientID, grants: grants), csrf: csrf)
    }

    func chrome(_ title: String, settings: GatewaySettings, active: String, live: Bool = false) -> Chrome {
        // The monitoring page only for those MediaService lets read mentions.
        let monitoring = principal.hasAny(MethodRules.rule(service: MediaV1.MediaService.name, method: "ListMentions")?.roles ?? [])
        let links = [("/ws", "Очереди")] + (monitoring ? [("/ws/monitoring", "Мониторинг")] : [])
            + [("/ws/problems", "Системные проблемы"), ("/", "Дашборд"), ("/public", "Открытые данные"), ("/status", "Статус для граждан"), ("/ws/settings", "Уведомления")]
        return Chrome(title: title, region: settings.regionName,
                      nav: links.map { Chrome.Link(href: $0.0, label: $0.1, active: $0.0 == active) },
                      user: name, roles: roleTitles, csrf: csrf, live: live)
    }
}

/// A posted HTML form (`application/x-www-form-urlencoded`). Workspace forms carry the session's CSRF token in
/// `_csrf` (checked here: `UnsafeRequestGuard` leaves form posts of these paths to this check), a fresh
/// `idempotency_key` per rendered form and the `expected_version` the person saw.
struct WorkspaceForm: Sendable {
    var fields: [(String, String)]

    static let maxBytes = 256 * 1024

    static func read(_ request: Request) async throws -> WorkspaceForm {
        let body = try await request.body.collect(upTo: maxBytes)
        var fields: [(String, String)] = []
        for pair in String(buffer: body).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let key = kv.first?.removingPercentEncoding else { throw RPCError.invalidArgument("the form is not valid URL-encoded text") }
            guard let value = (kv.count > 1 ? kv[1] : "").removingPercentEncoding else {
                throw RPCError.invalidArgument("the form field \(key) is not valid URL-encoded UTF-8")
            }
            if value.utf8.contains(0) { throw RPCError.invalidArgument("the form field \(key) contains a NUL character") }
            fields.append((key, value))
        }
        return WorkspaceForm(fields: fields)
    }

    /// A form of the signed-in session: its `_csrf` must match the session's token (403 otherwise).
    static func read(_ request: Request, viewer: Viewer) async throws -> WorkspaceForm {
        let form = try await read(request)
        guard UnsafeRequestGuard.constantTimeEqual(form.value("_csrf"), viewer.csrf) else {
            throw AuthError.permissionDenied("the form's CSRF token does not match this session; reload the page and try again")
        }
        return form
    }

    func value(_ key: String) -> String { fields.last { $0.0 == key }?.1.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
    func values(_ key: String) -> [String] { fields.filter { $0.0 == key }.map(\.1) }

    /// The version the person saw (0: not checked).
    func expectedVersion() throws -> Int64 {
        let raw = value("expected_version")
        if raw.isEmpty { return 0 }
        guard let v = Int64(raw), v >= 0 else { throw RPCError.invalidArgument("expected_version must be a non-negative integer") }
        return v
    }

    /// Call options carrying the form's idempotency key as the `Idempotency-Key` header of the RPC (the key
    /// of one rendered form: a repeated submission is recognised as the same request).
    func callOptions(_ settings: GatewaySettings, suffix: String = "") -> CallOptions {
        let key = value("idempotency_key")
        return .forwarding(settings, idempotencyKey: key.isEmpty ? nil : suffix.isEmpty ? key : key + "/" + suffix)
    }
}

/// Dates and times in the region's time zone, as the workspace prints them.
struct WorkspaceClock: Sendable {
    let timeZone: TimeZone

    func dateTime(_ ms: Int64) -> String {
        guard ms > 0 else { return "" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "ru_RU")
        f.timeZone = timeZone
        f.dateFormat = "dd.MM.yyyy HH:mm"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

/// Only web links are shown as links (a `javascript:` or `data:` URL from a channel stays text-free).
func webLink(_ raw: String) -> String? {
    guard let u = URL(string: raw), let scheme = u.scheme?.lowercased(), scheme == "https" || scheme == "http", u.host != nil else { return nil }
    return raw
}

/// Templates treat an empty string as present: optional text is nil when empty.
func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

/// A fresh idempotency key for one rendered form.
func freshKey() -> String { UUID().uuidString.lowercased() }

/// A short gist of a text for lists.
func gist(_ text: String, limit: Int = 140) -> String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
}
