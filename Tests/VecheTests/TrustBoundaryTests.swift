import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import Gateway
@testable import RatingService

@Suite("Trust boundaries: bus, database, audit, input hygiene, sessions, tokens", .serialized)
struct TrustBoundaryTests {
    // MARK: the bus

    @Test func busRefusesStrangersForgedEventsForeignChannelsAndOthersInboxes() async throws {
        try await withCluster { cluster in
            // No user, a wrong password: no connection at all.
            await #expect(throws: (any Error).self) {
                _ = try await NatsConnection.connect(url: cluster.natsURL, name: "stranger", logger: cluster.logger, connectTimeout: .seconds(2))
            }
            await #expect(throws: (any Error).self) {
                _ = try await NatsConnection.connect(url: cluster.natsURL, name: "guess", logger: cluster.logger,
                                                     credentials: .init(user: BusPermissions.gateway, password: "guess"), connectTimeout: .seconds(2))
            }
            let appeal = try await cluster.environment("appeal", schema: nil)
            defer { appeal.close() }
            try await appeal.jetStream.ensureStream(Streams.appealEvents)
            try await appeal.jetStream.ensureStream(Streams.intake)
            let event = AppealV1.AppealEvent(eventId: "forged", type: .answered, appeal: AppealV1.Appeal(id: UUID().uuidString), sequence: 1_000_000)

            // Only AppealService may publish appeal events: the server refuses everyone else (the publish gets no ack).
            for user in [BusPermissions.gateway, BusPermissions.integration("pos"), BusPermissions.ratingService, BusPermissions.importer] {
                let (bus, js) = try await cluster.jetStream(as: user)
                defer { bus.close() }
                await #expect(throws: (any Error).self, "\(user) must not publish appeal events") {
                    try await js.publish(subject: Subjects.AppealEvents.subject(for: .answered), payload: event.serializedBytes())
                }
            }
            // An integrating system publishes intake on its own channel only.
            let (pos, posJS) = try await cluster.jetStream(as: BusPermissions.integration("pos"))
            defer { pos.close() }
            let inc = AppealV1.IncomingAppeal(channel: .email, externalId: "x", text: "Текст обращения")
            await #expect(throws: (any Error).self) {
                try await posJS.publish(subject: Subjects.Intake.subject(for: .email), payload: inc.serializedBytes())
            }
            try await posJS.publish(subject: Subjects.Intake.subject(for: .pos), payload: inc.serializedBytes())
            // ...and may not read the intake stream (personal data) by making itself a consumer.
            let spy = JetStreamConsumer(jetStream: posJS, stream: Subjects.Intake.stream, durable: "spy", filterSubject: Subjects.Intake.wildcard,
                                        logger: cluster.logger) { _ in .ack }
            await #expect(throws: (any Error).self) { try await spy.run() }

            // Replies are private: nobody may listen on another user's inbox or on a service's subjects.
            let gateway = try await cluster.connectBus(as: BusPermissions.gateway)
            defer { gateway.close() }
            let eavesdropper = try await cluster.connectBus(as: BusPermissions.integration("portal"))
            defer { eavesdropper.close() }
            let overheard = Overheard()
            let tap = try eavesdropper.subscribe(subject: BusPermissions.inboxRoot(user: BusPermissions.gateway) + ".>", queue: nil) { _ in overheard.add() }
            let tap2 = try eavesdropper.subscribe(subject: AppealV1.AppealService.Method.GetAppeal.subject, queue: nil) { _ in overheard.add() }
            defer { tap.unsubscribe(); tap2.unsubscribe() }
            try await eavesdropper.flush()
            _ = try? await gateway.requestMessage(subject: AppealV1.AppealService.Method.GetAppeal.subject, payload: [], headers: [:], timeout: .milliseconds(300))
            try await Task.sleep(for: .milliseconds(200))
            #expect(overheard.count == 0)
        }
    }

    @Test func consumersRejectMessagesNotFromTheirStream() async throws {
        // A message that did not come from the consumer's stream (e.g. a mirror another user set up) is kept, not applied.
        let item = JetStreamMessage(message: NatsMessage(subject: Subjects.AppealEvents.subject(for: .answered), payload: []),
                                    streamSequence: 7, deliveries: 1, stream: "ELSEWHERE", storedAt: Date())
        try await withPlatform(appeal: false, rating: true) { platform in
            let env = platform.envs["rating"]!
            let projection = RatingProjection(pool: try env.requirePool(), logger: env.logger)
            guard case .ack = await projection.process(item) else { Issue.record("a foreign message must be acked after it is kept"); return }
            let reason = try await env.requirePool().query("SELECT reason FROM rating.rejected_events").first?.string("reason")
            #expect(reason == "message from stream ELSEWHERE, not VECHE_APPEAL_EVENTS")
        }
    }

    // MARK: the database

    @Test func eachServiceRoleSeesOnlyItsSchemaAndTheAuditLogIsAppendOnly() async throws {
        try await withPlatform(rating: true, survey: true) { platform in
            let appealPool = try platform.envs["appeal"]!.requirePool()
            let ratingPool = try platform.envs["rating"]!.requirePool()
            // AppealService's role cannot read RatingService's (or any other) schema, nor create schemas.
            for (pool, foreign) in [(appealPool, "rating.appeal_facts"), (appealPool, "agency.role_assignments"),
                                    (ratingPool, "appeal.appeals"), (ratingPool, "survey.responses")] {
                do {
                    _ = try await pool.query(SQL(stringLiteral: "SELECT count(*) FROM \(foreign)"))
                    Issue.record("reading \(foreign) must be refused")
                } catch let e as PGError {
                    #expect(e.sqlState == "42501", "\(e)")   // insufficient_privilege
                }
            }
            await #expect(throws: PGError.self) { _ = try await appealPool.query("CREATE SCHEMA intruder") }
            let role = try await appealPool.query("SELECT current_user AS u, rolsuper FROM pg_roles WHERE rolname = current_user").first
            #expect(role?.string("u") == "veche_appeal")
            #expect(role?.bool("rolsuper") == false)
            // Services may add audit entries, never change or remove them.
            _ = try await platform.cluster.appeals(as: .user("kurator")).listAppeals(.init())
            for statement: SQL in ["UPDATE audit.entries SET actor = 'nobody'", "DELETE FROM audit.entries", "TRUNCATE audit.entries"] {
                do {
                    _ = try await appealPool.query(statement)
                    Issue.record("\(statement) must be refused")
                } catch let e as PGError {
                    #expect(e.sqlState == "42501", "\(e)")
                }
            }
            await #expect(throws: PGError.self) { _ = try await appealPool.query("SELECT count(*) FROM audit.entries") }
        }
    }

    // MARK: audit

    @Test func personalDataReadsAndWritesAreAuditedAndQueryableByTheCurator() async throws {
        try await withPlatform { platform in
            let cluster = platform.cluster
            let inc = AppealV1.IncomingAppeal(channel: .pos, externalId: "audit-1", author: CommonV1.Person(fullName: "Сидорова А.В.", email: "s@example.ru"),
                                              text: "Во дворе не убирают снег, дети не могут пройти к школе", municipalityOktmo: "38701000")
            let appeal = try #require(try await cluster.appeals(as: .client("veche-integration-pos")).submitAppeal(.init(appeal: inc)).appeal)
            // The operator reads it with personal data (audited); the analyst gets it redacted (nothing to audit).
            let full = try await cluster.appeals(as: .user("operator")).getAppeal(.init(id: appeal.id))
            #expect(full.appeal?.author?.fullName == "Сидорова А.В.")
            let redacted = try await cluster.appeals(as: .user("analyst")).getAppeal(.init(id: appeal.id))
            #expect(redacted.appeal?.author == nil)
            #expect(redacted.appeal?.externalId.isEmpty == true)
            #expect(redacted.history.allSatisfy { !$0.actor.hasPrefix("user:") })
            let list = try await cluster.appeals(as: .user("analyst")).listAppeals(.init())
            #expect(list.appeals.allSatisfy { $0.author == nil })

            let curator = try await cluster.agencies(as: .user("kurator"))
            let log = try await curator.queryAudit(.init(appealId: appeal.id))
            let actions = Set(log.entries.map { "\($0.actor) \($0.action)" })
            #expect(actions.contains("client:veche-integration-pos appeal.submit"))
            #expect(actions.contains("user:operator appeal.read"))
            #expect(!actions.contains { $0.hasPrefix("user:analyst") })
            let read = try #require(log.entries.first { $0.actor == "user:operator" })
            #expect(read.service == "AppealService")
            #expect(read.clientId == "veche-cli")
            #expect(!read.source.isEmpty)
            #expect(read.atMs > 0)
            // Only the curator may query it.
            await #expect(throws: RPCError.self) { _ = try await cluster.agencies(as: .user("cur-head")).queryAudit(.init()) }
        }
    }

    // MARK: input hygiene

    @Test func textWithNULIsRefusedNeverTruncated() async throws {
        try await withPlatform { platform in
            let cluster = platform.cluster
            let system = try await cluster.appeals(as: .client("veche-integration-pos"))
            // Over NATS: a NUL in a string field of the wire form is a 400 naming the field.
            let bus = try await cluster.callerBus()
            let token = try await Tokens.shared.token(.client("veche-integration-pos"))
            let twin = AppealV1.SubmitAppealRequest(appeal: .init(channel: .pos, externalId: "ext-1%00b", text: "Яма на дороге у дома 5"))
            let reply = try await bus.requestMessage(subject: AppealV1.AppealService.Method.SubmitAppeal.subject, payload: twin.serializedBytesWithRawBytes(),
                                                     headers: [RPCHeader.authorization: "Bearer " + token], timeout: .seconds(30))
            #expect(reply.headers[RPCHeader.serviceErrorCode] == "400")
            #expect(reply.headers[RPCHeader.serviceError]?.contains("appeal.external_id contains a NUL character") == true,
                    Comment(rawValue: reply.headers[RPCHeader.serviceError] ?? ""))
            // Invalid UTF-8 too.
            let bytes = AppealV1.SubmitAppealRequest(appeal: .init(channel: .pos, externalId: "ext-2", text: "Яма%FF")).serializedBytesWithRawBytes()
            let bad = try await bus.requestMessage(subject: AppealV1.AppealService.Method.SubmitAppeal.subject, payload: bytes,
                                                   headers: [RPCHeader.authorization: "Bearer " + token], timeout: .seconds(30))
            #expect(bad.headers[RPCHeader.serviceError]?.contains("appeal.text is not valid UTF-8") == true,
                    Comment(rawValue: bad.headers[RPCHeader.serviceError] ?? ""))
            // The two ids that would collide after truncation stay two appeals.
            _ = try await system.submitAppeal(.init(appeal: .init(channel: .pos, externalId: "ext-1", text: "Яма на дороге у дома 5")))
            #expect(try await cluster.appeals(as: .user("operator")).listAppeals(.init()).totalCount == 1)

            // Over HTTP: \u0000 in JSON or %00 in the URL is a 400.
            try await platform.gateway().test(.router) { client in
                let headers = try await bearer(.client("veche-integration-pos"))
                let body = #"{"channel":"pos","externalId":"web-1\u0000x","text":"Яма на дороге"}"#
                let r = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("NUL"))
                let q = try await client.execute(uri: "/api/v1/appeals?q=%00drop", method: .get, headers: try await bearer(.user("operator")))
                #expect(q.status == .badRequest)
                let utf = try await client.execute(uri: "/api/v1/appeals/%FF%FE", method: .get, headers: try await bearer(.user("operator")))
                #expect(utf.status == .badRequest)
            }
        }
    }

    @Test func unknownAgenciesAndMunicipalitiesAreRefused() async throws {
        try await withPlatform { platform in
            let cluster = platform.cluster
            var inc = AppealV1.IncomingAppeal(channel: .pos, externalId: "oktmo-1", text: "Нет освещения на улице", municipalityOktmo: "99999999")
            await #expect(throws: RPCError.self) { _ = try await cluster.appeals(as: .client("veche-integration-pos")).submitAppeal(.init(appeal: inc)) }
            inc.municipalityOktmo = "38701000001"   // a locality inside Курск: accepted
            let a = try #require(try await cluster.appeals(as: .client("veche-integration-pos")).submitAppeal(.init(appeal: inc)).appeal)
            do {
                _ = try await cluster.appeals(as: .user("operator")).transition(.init(id: a.id, action: .forward, agencyId: "no-such-agency"))
                Issue.record("an unknown agency must be refused")
            } catch let e as RPCError {
                #expect(e.code == .invalidArgument)
                #expect(e.message.contains("not an agency in the directory"))
            }
            #expect(try await cluster.appeals(as: .user("operator")).getAppeal(.init(id: a.id)).appeal?.agencyId != "no-such-agency")
        }
    }

    // MARK: the web: origin, content type, CSRF, sessions

    @Test func crossOriginAndNonJSONWritesAreRefused() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                var headers = try await bearer(.client("veche-integration-portal"), json: false)
                let form = ByteBuffer(string: "channel=portal&text=spam")
                // A form post from a foreign page: 403 (even with a valid token in hand), nothing created.
                headers[.origin] = "https://evil.example"
                headers[.contentType] = "application/x-www-form-urlencoded"
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: headers, body: form).status == .forbidden)
                headers[.origin] = nil
                headers[UnsafeRequestGuard.fetchSite] = "cross-site"
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: headers, body: form).status == .forbidden)
                headers[UnsafeRequestGuard.fetchSite] = nil
                // Same site but not JSON (text/plain is what a form can send without a preflight): 415.
                headers[.contentType] = "text/plain"
                let plain = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: headers,
                                                     body: ByteBuffer(string: #"{"channel":"portal","externalId":"tp-1","text":"Спам с чужой страницы"}"#))
                #expect(plain.status == .unsupportedMediaType)
                #expect(try await platform.cluster.appeals(as: .user("operator")).listAppeals(.init()).totalCount == 0)
                // Every response carries the hardening headers.
                let h = try await client.execute(uri: "/health", method: .get)
                #expect(h.headers[.xContentTypeOptions] == "nosniff")
                #expect(h.headers[SecurityHeaderNames.frameOptions] == "DENY")
                #expect(h.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            }
        }
    }

    /// A person who unticks the platform's scope on the provider's consent page is told so on a page (403) with a way to
    /// sign in again, and is not signed in with a token every service would refuse. (executor-kursk signs in through
    /// the browser in no other test: its grant is changed here and given back.)
    @Test func signInWithoutThePlatformsScopeIsRefusedOnAPage() async throws {
        try await withPlatform { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let user = "executor-kursk"
                let login = try await client.execute(uri: "/auth/login?return_to=/ws", method: .get)
                let authorize = try #require(login.headers[.location])
                let pending = try #require(BrowserSession.sessionCookie(login.headers))
                let idp = ProviderBrowser()
                try await idp.send("POST", "/api/auth/", json: ["username": user, "password": try Tokens.password(of: user)])
                try await idp.send("PUT", "/api/auth/grant/veche-web/", json: ["scope": "openid"])
                let attempt: @Sendable () async throws -> (HTTPResponse.Status, String) = {
                    let redirect = try await idp.location(of: authorize + "&g_continue")
                    let u = try #require(URLComponents(string: redirect))
                    #expect(u.path == "/auth/callback", "the provider sends the code for the scopes granted")
                    let callback = try await client.execute(uri: "/auth/callback?" + (u.percentEncodedQuery ?? ""), method: .get,
                                                            headers: [.cookie: pending])
                    let session = try await client.execute(uri: "/auth/session", method: .get,
                                                           headers: [.cookie: BrowserSession.sessionCookie(callback.headers) ?? pending])
                    #expect(session.status == .unauthorized, "nobody is signed in")
                    return (callback.status, String(buffer: callback.body))
                }
                let outcome: Result<(HTTPResponse.Status, String), any Error>
                do { outcome = .success(try await attempt()) } catch { outcome = .failure(error) }
                try await idp.send("PUT", "/api/auth/grant/veche-web/", json: ["scope": "openid veche"])
                let (status, page) = try outcome.get()
                #expect(status == .forbidden)
                #expect(page.contains("Вход не выполнен") && page.contains("не отмечен доступ к платформе"))
                #expect(page.contains(#"href="/auth/login?return_to=%2Fws""#) && page.contains("Войти снова"))
            }
        }
    }

    @Test func browserSignInThroughTheProviderWithPKCEAndCSRF() async throws {
        try await withPlatform { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                // The sign-in starts with PKCE S256 and a state, and a cookie that is HttpOnly, Secure and SameSite=Lax.
                let start = try await client.execute(uri: "/auth/login?return_to=https://evil.example/", method: .get)
                let location = try #require(start.headers[.location])
                let q = try #require(URLComponents(string: location)?.queryItems)
                #expect(q.first { $0.name == "code_challenge_method" }?.value == "S256")
                #expect(q.first { $0.name == "client_id" }?.value == "veche-web")
                #expect((q.first { $0.name == "state" }?.value?.count ?? 0) >= 40)
                let cookie = try #require(start.headers[values: .setCookie].first { $0.hasPrefix("veche_session=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"))
                // A callback without the sign-in's state is refused.
                let forged = try await client.execute(uri: "/auth/callback?code=abc&state=wrong", method: .get,
                                                      headers: [.cookie: try #require(BrowserSession.sessionCookie(start.headers))])
                #expect(forged.status == .badRequest)
                // The browser is told so on a page, in words, with a way to sign in again to where it was going.
                #expect(forged.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: forged.body)
                #expect(page.contains("Вход не выполнен") && page.contains("Начните вход заново"))
                #expect(page.contains(#"href="/auth/login?return_to=%2F""#) && page.contains("Войти снова"))

                let session = try await BrowserSession.signIn(client, user: "operator")
                let info = try decode(SignInRoutes.SessionInfo.self, try await client.execute(uri: "/auth/session", method: .get, headers: session.headers()).body)
                #expect(info.principal == "user:operator")
                #expect(info.roles.map(\.role) == ["operator"])
                // The session reads; its writes need the CSRF token.
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .get, headers: session.headers()).status == .ok)
                let body = ByteBuffer(string: #"{"channel":"phone","externalId":"call-7","text":"Звонок: нет воды в доме 3 по улице Мира"}"#)
                var noToken = session.headers()
                noToken[.contentType] = "application/json"
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: noToken, body: body).status == .forbidden)
                var wrong = session.headers(unsafe: true)
                // One character changed; never the same token (a fixed "x" prefix matched a token starting with "x").
                wrong[UnsafeRequestGuard.csrfHeader] = (session.csrf.first == "x" ? "y" : "x") + session.csrf.dropFirst()
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: wrong, body: body).status == .forbidden)
                let ok = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: session.headers(unsafe: true), body: body)
                #expect(ok.status == .created)
                #expect(try decode(AppealV1.SubmitAppealResponse.self, ok.body).appeal?.channel == .phone)
                // Signing out ends the session.
                #expect(try await client.execute(uri: "/auth/logout", method: .post, headers: session.headers(unsafe: true)).status == .ok)
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .get, headers: session.headers()).status == .unauthorized)
            }
        }
    }

    // MARK: tokens

    @Test func forgedExpiredForeignAndRotatedTokens() async throws {
        let settings = OIDCSettings()
        let verifier = TokenVerifier(settings: settings, logger: Logger(label: "test"))
        let real = try await Tokens.shared.token(.user("analyst"))
        let ok = try await verifier.verify(real)
        #expect(ok.kind == .user && ok.name == "analyst" && ok.clientID == "veche-cli")
        // A changed claim breaks the signature; an unknown key is refused; both are 401s.
        await #expect(throws: AuthError.self) { _ = try await verifier.verify(ForgedToken.tampered(real, claim: "username", value: "kurator")) }
        await #expect(throws: AuthError.self) { _ = try await verifier.verify(ForgedToken.unknownKey(real)) }
        await #expect(throws: AuthError.self) { _ = try await verifier.verify("not-a-token") }
        // Expired (exp in the past beyond the leeway), not yet valid, and a wrong audience or issuer.
        await #expect(throws: AuthError.self) { _ = try await verifier.verify(real, now: ok.expiresAt.addingTimeInterval(120)) }
        await #expect(throws: AuthError.self) { _ = try await verifier.verify(real, now: Date().addingTimeInterval(-3600)) }
        var other = settings
        other.audience = "another-api"
        await #expect(throws: AuthError.self) { _ = try await TokenVerifier(settings: other, logger: Logger(label: "test")).verify(real) }
        other = settings
        other.issuer = "https://esia.example/"
        other.jwksURL = URL(string: settings.issuer + "/jwks")   // the same keys: only the issuer differs
        await #expect(throws: AuthError.self) { _ = try await TokenVerifier(settings: other, logger: Logger(label: "test")).verify(real) }
        // Unknown kids do not make the verifier hammer the provider: one fetch per refresh interval.
        let fetched = await verifier.fetches
        for _ in 0..<5 { _ = try? await verifier.verify(ForgedToken.unknownKey(real)) }
        #expect(await verifier.fetches <= fetched + 1)

    }

    /// A provider that cannot be reached makes a valid token a transient 503 (the gateway answers 503, intake
    /// redelivers, a browser session stays signed in), never a 401 "bad token"; and the failed fetch does not
    /// start the refresh throttle, so the verifier fetches again once the short failure backoff has passed.
    @Test func unreachableProviderIsTransientNotAnInvalidToken() async throws {
        let real = try await Tokens.shared.token(.user("analyst"))
        var dead = OIDCSettings()
        dead.jwksURL = URL(string: "http://127.0.0.1:1/jwks")   // nothing listens on port 1
        // Within the backoff (60 s, longer than any machine takes for the two calls): 503 again without another fetch.
        dead.jwksFailureBackoff = .seconds(60)
        let verifier = TokenVerifier(settings: dead, logger: Logger(label: "test"))
        do {
            _ = try await verifier.verify(real)
            Issue.record("a token was accepted without the provider's keys")
        } catch let e as AuthError {
            #expect(e.isTransient && e.statusCode == 503, "\(e)")
        }
        let fetched = await verifier.fetches
        await #expect(throws: AuthError.providerUnavailable("the identity provider's signing keys cannot be fetched now; retry shortly")) {
            _ = try await verifier.verify(real)
        }
        #expect(await verifier.fetches == fetched)
        // After it (1 ms, surely over after a 20 ms sleep): a new fetch is attempted, not refused as an unknown key
        // for the refresh interval (60 s here, so a failed fetch that started the throttle cannot go unnoticed).
        var brief = dead
        brief.jwksFailureBackoff = .milliseconds(1)
        brief.jwksMinRefreshInterval = .seconds(60)
        let retrying = TokenVerifier(settings: brief, logger: Logger(label: "test"))
        await #expect(throws: AuthError.self) { _ = try await retrying.verify(real) }
        let first = await retrying.fetches
        try await Task.sleep(for: .milliseconds(20))
        do {
            _ = try await retrying.verify(real)
            Issue.record("a token was accepted without the provider's keys")
        } catch let e as AuthError {
            #expect(e.isTransient && e.statusCode == 503, "\(e)")
        }
        #expect(await retrying.fetches == first + 1)
    }

    /// Key rotation at the provider (a private glewlwyd with its own database, so the shared one is not disturbed):
    /// new tokens carry a new kid; a verifier that knew only the old keys fetches the JWKS again and accepts them, and tokens
    /// signed with the old key stay valid until they expire.
    @Test func keyRotationAtTheProvider() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("veche-idp-\(NUID.next(length: 8))")
        let port = try freeLoopbackPort()
        let database = "idp_test_\(NUID.next(length: 8).lowercased())"
        func setup(_ extra: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", root.appendingPathComponent("scripts/idp_setup.py").path, "--state", state.path, "--port", String(port),
                           "--pg-admin", TestCluster.adminConninfo, "--pg-database", database, "--integrations", "", "--teams", ""] + extra
            let log = state.appendingPathComponent("setup.log")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            defer { try? handle.close() }
            p.standardError = handle
            p.standardOutput = handle
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, Comment(rawValue: (try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        }
        defer {
            for process in ["haproxy", "glewlwyd"] {
                if let pid = VecheConfig.readSecret(state.appendingPathComponent("idp/\(process).pid").path).flatMap(Int32.init) { kill(pid, SIGTERM) }
            }
            try? FileManager.default.removeItem(at: state)
            dropProviderDatabase(database)
        }
        try setup([])
        var settings = OIDCSettings(environment: ["VECHE_IDP_PORT": String(port)])
        settings.jwksMinRefreshInterval = .milliseconds(1)
        let secrets = SecretStore(directory: state.appendingPathComponent("secrets").path)
        let endpoint = TokenEndpoint(settings: settings, clientID: "veche-import", clientSecret: secrets.read("clients/veche-import") ?? "")
        let old = try await endpoint.clientCredentials().accessToken
        let verifier = TokenVerifier(settings: settings, logger: Logger(label: "test"))
        #expect(try await verifier.verify(old).name == "veche-import")
        let before = await verifier.fetches
        try setup(["--rotate-key"])
        let fresh = try await endpoint.clientCredentials().accessToken
        #expect(try TokenVerifier.keyID(of: fresh) != TokenVerifier.keyID(of: old))
        #expect(try await verifier.verify(fresh).name == "veche-import")
        #expect(await verifier.fetches == before + 1)
        #expect(try await verifier.verify(old).name == "veche-import")
    }
}

/// Removes a private provider's database and its role (`scripts/idp_database.py` names both alike).
func dropProviderDatabase(_ name: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["psql", TestCluster.adminConninfo, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "-c", "DROP ROLE IF EXISTS \(name)"]
    try? p.run()
    p.waitUntilExit()
}

/// Counts messages a subscription received.
final class Overheard: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var count: Int { lock.withLock { n } }
}
