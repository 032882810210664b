import Contracts
import Crypto
import Foundation
import GatewayRequests
import Hummingbird
import HTTPTypes
import VecheAuth

/// Headers on every response: no MIME sniffing, no framing, no referrer leaks; HTML additionally gets a
/// Content-Security-Policy that allows only its own inline `<style>` blocks (by hash) and images from itself.
/// Header names HTTPTypes does not predefine.
enum SecurityHeaderNames {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[SecurityHeaderNames.frameOptions] = "DENY"
        response.headers[SecurityHeaderNames.referrerPolicy] = "same-origin"
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        }
        return response
    }

    /// The CSP of an HTML page: its inline styles by SHA-256, images from itself and `data:` (SVG charts);
    /// `live`: also scripts from itself and connections to itself (no inline script either way).
    static func htmlPolicy(_ html: String, live: Bool = false) -> String {
        var hashes: [String] = []
        var rest = html[...]
        while let open = rest.range(of: "<style>"), let close = rest.range(of: "</style>", range: open.upperBound..<rest.endIndex) {
            let css = rest[open.upperBound..<close.lowerBound]
            hashes.append("'sha256-" + Data(SHA256.hash(data: Data(css.utf8))).base64EncodedString() + "'")
            rest = rest[close.upperBound...]
        }
        let styles = hashes.isEmpty ? "'none'" : hashes.joined(separator: " ")
        let scripts = live ? "script-src 'self'; connect-src 'self'; " : ""
        return "default-src 'none'; \(scripts)style-src \(styles); img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }
}

/// Refuses requests whose path or query carry a NUL character or bytes that are not UTF-8 (400): such text
/// would be cut short further down (C strings), never stored as sent. The rule is `RequestText.problem(inURL:)`.
struct InputHygieneMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let problem = RequestText.problem(inURL: request.uri.path) ?? request.uri.query.flatMap({ RequestText.problem(inURL: $0) }) {
            throw RPCError.invalidArgument("the request URL \(problem)")
        }
        return try await next(request, context)
    }
}

/// Unsafe requests (POST, PUT, PATCH, DELETE) must come from this origin or carry a token, and send JSON:
/// a foreign `Origin` (or `Sec-Fetch-Site: cross-site`) is refused with 403, any body type but
/// `application/json` with 415, and a request authenticated by the session cookie alone needs the session's
/// `X-CSRF-Token` (403 otherwise). Open311 keeps its standard form-encoded POST, authenticated by `api_key`;
/// the workspace's HTML forms post form-encoded bodies with their CSRF token in a field (`formPaths`).
struct UnsafeRequestGuard: RouterMiddleware {
    typealias Context = GatewayContext
    let identity: GatewayIdentity

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    /// The workspace and the citizen pages post plain HTML forms (they work without JavaScript): a form-encoded
    /// body is accepted there, and the session's CSRF token travels in the form's `_csrf` field, which
    /// `WorkspaceForm.read(_:viewer:)` checks for every workspace form (citizen forms act by the citizen's
    /// token, not the session).
    static let formPaths = ["/ws/", "/status"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method) else { return try await next(request, context) }
        let open311 = request.uri.path.hasPrefix("/open311/")
        let form = Self.formPaths.contains { request.uri.path.hasPrefix($0) }
        if let origin = request.headers[.origin], !sameOrigin(origin, request), !open311 {
            throw AuthError.permissionDenied("cross-origin request from \(origin) refused")
        }
        if request.headers[Self.fetchSite] == "cross-site", !open311 {
            throw AuthError.permissionDenied("cross-site request refused")
        }
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
        if !open311, type != "application/json", !(form && type == "application/x-www-form-urlencoded"), hasBody || !type.isEmpty {
            throw RPCError(RPCStatusCode(rawValue: 415), "unsafe requests need Content-Type: application/json")
        }
        if case .session(_, let csrf) = context.identity, !form {
            guard let sent = request.headers[Self.csrfHeader], Self.constantTimeEqual(sent, csrf) else {
                throw AuthError.permissionDenied("missing or wrong X-CSRF-Token for this session (GET /auth/session gives it)")
            }
        }
        return try await next(request, context)
    }

    func sameOrigin(_ origin: String, _ request: Request) -> Bool {
        if origin == identity.origin { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
