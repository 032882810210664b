import Contracts
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import Gateway
@testable import RatingService
@testable import SurveyService

/// The services of one test on one cluster, each with its own bus user, database role and client: AgencyService
/// always (the directory every grant comes from, seeded with the demo region and roles), the others on request.
struct TestPlatform: Sendable {
    var cluster: TestCluster
    var envs: [String: ServiceEnvironment]
    var services: [any Service]
    var hosts: [NatsServiceHost]
    var appeal: AppealServiceApp.Built?

    static func start(_ cluster: TestCluster, appeal: Bool = true, rating: Bool = false, survey: Bool = false) async throws -> TestPlatform {
        var envs: [String: ServiceEnvironment] = [:]
        envs["agency"] = try await cluster.environment("agency", schema: AgencySchema.name)
        let agency = try await AgencyServiceApp.build(env: envs["agency"]!, seed: true)
        var services = agency.services
        var hosts = [agency.host]
        var appealBuilt: AppealServiceApp.Built?
        if appeal {
            envs["appeal"] = try await cluster.environment("appeal", schema: AppealSchema.name)
            let built = try await AppealServiceApp.build(env: envs["appeal"]!)
            services += built.services
            hosts += [built.host, built.media.host]
            appealBuilt = built
        }
        if rating {
            envs["rating"] = try await cluster.environment("rating", schema: RatingSchema.name)
            let built = try await RatingServiceApp.build(env: envs["rating"]!)
            services += built.services
            hosts.append(built.host)
        }
        if survey {
            envs["survey"] = try await cluster.environment("survey", schema: SurveySchema.name)
            let built = try await SurveyServiceApp.build(env: envs["survey"]!)
            services += built.services
            hosts.append(built.host)
        }
        envs["gateway"] = try await cluster.environment("gateway", schema: nil)
        return TestPlatform(cluster: cluster, envs: envs, services: services, hosts: hosts, appeal: appealBuilt)
    }

    /// Every RPC host ready and AppealService's copy of the directory received: built before AgencyService ran,
    /// its first fetch failed, and its run loop retries — on a loaded machine a first appeal could otherwise find
    /// no copy and AgencyService too slow to ask (503), which is right for a service but not what a test is about.
    func ready() async {
        for h in hosts { await h.waitUntilReady() }
        guard let directory = appeal?.directory else { return }
        let deadline = ContinuousClock.now + .seconds(120)
        while directory.snapshot.revision == 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
    func close() { for e in envs.values { e.close() } }

    /// The gateway as deployed: its own bus user and client, the test web client settings.
    func gateway(settings: GatewaySettings = .underTest, publicURL: String? = nil) -> some ApplicationProtocol {
        let env = envs["gateway"]!
        var vars = ProcessInfo.processInfo.environment
        vars["VECHE_WEB_CLIENT_SECRET"] = TestCluster.secrets.read("clients/veche-web") ?? ""
        if let publicURL { vars["VECHE_PUBLIC_URL"] = publicURL }
        let identity = GatewayIdentity(verifier: env.verifier, own: env.credentials, config: cluster.config, environment: vars)
        return buildApplication(transport: env.nats, identity: identity, config: cluster.config, logger: cluster.logger, settings: settings)
    }
}

extension GatewaySettings {
    /// The gateway of the tests: backend calls may take as long as a loaded 2-core CI machine needs (the tests
    /// prove behaviour, not speed; a dashboard panel must not come out "unavailable" because a runner was busy).
    static var underTest: GatewaySettings {
        var s = GatewaySettings()
        s.callTimeout = .seconds(20)
        return s
    }
}

/// Runs `body` with the platform's services up.
func withPlatform<T: Sendable>(_ label: String = #function, appeal: Bool = true, rating: Bool = false, survey: Bool = false,
                               _ body: (TestPlatform) async throws -> T) async throws -> T {
    try await withCluster(label) { cluster in
        let platform = try await TestPlatform.start(cluster, appeal: appeal, rating: rating, survey: survey)
        defer { platform.close() }
        return try await withServices(platform.services, logger: cluster.logger) {
            await platform.ready()
            return try await body(platform)
        }
    }
}

/// HTTP headers carrying a principal's access token (and a JSON body type).
func bearer(_ p: TestPrincipal, json: Bool = true) async throws -> HTTPFields {
    var h = HTTPFields()
    h[.authorization] = "Bearer " + (try await Tokens.shared.token(p))
    if json { h[.contentType] = "application/json" }
    return h
}

func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(buffer: body))
}

/// The redirect URI registered for the web client is the gateway's configured port (scripts/idp_setup.py).
let registeredPublicURL = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["VECHE_HTTP_PORT"] ?? "8080")"

/// A browser session established through the real sign-in: the gateway's `/auth/login` (authorization code +
/// PKCE), glewlwyd's login and consent API (what its login page calls), the provider's redirect with the code,
/// the gateway's `/auth/callback`.
struct BrowserSession: Sendable {
    var cookie: String
    var csrf: String

    static func signIn(_ client: some TestClientProtocol, user: String, returnTo: String = "/dashboard") async throws -> BrowserSession {
        let login = try await client.execute(uri: "/auth/login?return_to=\(returnTo)", method: .get)
        guard login.status == .seeOther, let authorize = login.headers[.location], let pending = sessionCookie(login.headers) else {
            throw RPCError.internalError("/auth/login answered \(login.status)")
        }
        let idp = ProviderBrowser()
        try await idp.send("POST", "/api/auth/", json: ["username": user, "password": try Tokens.password(of: user)])
        try await ProviderConsent.shared.grantOnce(user: user, through: idp)
        // The login page continues the authorization with `g_continue` once the person signed in and consented.
        let redirect = try await idp.location(of: authorize + "&g_continue")
        guard let u = URLComponents(string: redirect), u.path == "/auth/callback", let query = u.percentEncodedQuery else {
            throw RPCError.internalError("the provider did not redirect to the callback: \(redirect)")
        }
        let callback = try await client.execute(uri: "/auth/callback?" + query, method: .get, headers: [.cookie: pending])
        guard callback.status == .seeOther, callback.headers[.location] == returnTo, let cookie = sessionCookie(callback.headers) else {
            throw RPCError.internalError("/auth/callback answered \(callback.status): \(String(buffer: callback.body))")
        }
        let info = try await client.execute(uri: "/auth/session", method: .get, headers: [.cookie: cookie])
        let csrf = try decode(SignInRoutes.SessionInfo.self, info.body).csrfToken ?? ""
        return BrowserSession(cookie: cookie, csrf: csrf)
    }

    /// `veche_session=…` from a Set-Cookie header.
    static func sessionCookie(_ headers: HTTPFields) -> String? {
        headers[values: .setCookie].first { $0.hasPrefix("veche_session=") }.map { String($0.prefix { $0 != ";" }) }
    }

    /// Headers of a request in this session (cookie, and the CSRF token for unsafe methods).
    func headers(unsafe: Bool = false) -> HTTPFields {
        var h = HTTPFields()
        h[.cookie] = cookie
        if unsafe {
            h[.contentType] = "application/json"
            h[UnsafeRequestGuard.csrfHeader] = csrf
        }
        return h
    }
}

/// A person's consent to the web client is given once per test process. glewlwyd stores a grant by first disabling
/// all of the person's scopes for the client and then enabling the given ones (`set_granted_scopes_for_client`), so
/// a second PUT racing a parallel suite's authorization of the same person let the provider see no consent for
/// `veche` and issue a token whose audience was only `openid` (CI, 2026-12-03: "access token rejected: not
/// intended for veche").
actor ProviderConsent {
    static let shared = ProviderConsent()
    private var granted: [String: Task<Void, Error>] = [:]

    /// Grants `openid veche` for `user` through `browser` (signed in as `user`) unless it was granted already; a
    /// concurrent caller for the same person waits for the first grant.
    func grantOnce(user: String, through browser: ProviderBrowser) async throws {
        if let pending = granted[user], (try? await pending.value) != nil { return }
        let task = Task { _ = try await browser.send("PUT", "/api/auth/grant/veche-web/", json: ["scope": "openid veche"]) }
        granted[user] = task
        do { try await task.value } catch { granted[user] = nil; throw error }
    }
}

/// Talks to glewlwyd as a browser would (its session cookie kept, redirects not followed).
final class ProviderBrowser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    let base = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["VECHE_IDP_PORT"] ?? "4593")"
    private var cookies: [String: String] = [:]
    private let lock = NSLock()
    private lazy var session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    @discardableResult
    func send(_ method: String, _ path: String, json: [String: String]? = nil, url: String? = nil) async throws -> HTTPURLResponse {
        var request = URLRequest(url: URL(string: url ?? base + path)!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let jar = lock.withLock { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if !jar.isEmpty { request.setValue(jar, forHTTPHeaderField: "Cookie") }
        let (_, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw RPCError.internalError("no HTTP response") }
        if let set = http.value(forHTTPHeaderField: "Set-Cookie"), let pair = set.split(separator: ";").first {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { lock.withLock { cookies[kv[0]] = kv[1] } }
        }
        guard http.statusCode < 400 else { throw RPCError.internalError("\(method) \(path): HTTP \(http.statusCode)") }
        return http
    }

    func location(of url: String) async throws -> String {
        let r = try await send("GET", "", url: url)
        guard let location = r.value(forHTTPHeaderField: "Location") else { throw RPCError.internalError("no redirect from \(url)") }
        return location
    }
}
