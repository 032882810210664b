import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import Gateway

/// The RPC status of a call that must fail (nil when it succeeded).
private func failure(_ body: () async throws -> Void) async -> RPCStatusCode? {
    do { try await body(); return nil } catch let e as RPCError { return e.code } catch { return RPCStatusCode(rawValue: -1) }
}

@Suite("Saved queue filters (AgencyService, per person)", .serialized)
struct SavedFilterServiceTests {
    @Test("A filter belongs to its owner: others neither list, rename nor delete it; a block sees only what is shared with it; names are unique; a retried create is one filter")
    func ownershipSharingUniquenessIdempotency() async throws {
        try await withPlatform(appeal: false) { platform in
            let op = try await platform.cluster.agencies(as: .user("operator"))
            let executor = try await platform.cluster.agencies(as: .user("executor-zhkh"))
            let head = try await platform.cluster.agencies(as: .user("cur-head"))
            let roads = try await platform.cluster.agencies(as: .user("sector-head-roads"))
            let housing = try await platform.cluster.agencies(as: .user("sector-housing"))

            let key = CallOptions(metadata: [RPCHeader.idempotencyKey: "save-1"])
            let first = try #require(try await op.createSavedFilter(.init(filter: .init(name: " Разбор ", query: "/ws?queue=triage&status=received")),
                                                                     options: key).filter)
            #expect(first.name == "Разбор" && first.query == "queue=triage&status=received" && first.owner == "user:operator" && first.mine)
            let retried = try #require(try await op.createSavedFilter(.init(filter: .init(name: " Разбор ", query: "/ws?queue=triage&status=received")),
                                                                       options: key).filter)
            #expect(retried.id == first.id)
            // The same key on a different request is refused, not applied.
            #expect(await failure { _ = try await op.createSavedFilter(.init(filter: .init(name: "Разбор", query: "queue=triage")), options: key) }
                    == RPCStatusCode(rawValue: 422))
            // (The demo seed gave the operator filters of their own too.)
            #expect(try await op.listSavedFilters(.init()).filters.filter { $0.name == "Разбор" }.map(\.id) == [first.id])
            #expect(await failure { _ = try await op.createSavedFilter(.init(filter: .init(name: "Разбор", query: "queue=all"))) } == .alreadyExists)

            // Someone else: nothing listed, and the filter is "not found" for every change.
            #expect(try await executor.listSavedFilters(.init()).filters.isEmpty)
            #expect(await failure { _ = try await executor.updateSavedFilter(.init(filter: .init(id: first.id, name: "Чужой", query: "queue=all"))) } == .notFound)
            #expect(await failure { _ = try await executor.deleteSavedFilter(.init(id: first.id)) } == .notFound)
            #expect(try await op.listSavedFilters(.init()).filters.contains { $0.id == first.id && $0.name == "Разбор" })

            // Sharing: only with one's own block (the head of the ЦУР: any); the block lists it read-only.
            #expect(await failure { _ = try await housing.createSavedFilter(.init(filter: .init(name: "Дороги", query: "topic=roads", sharedTopicCode: "roads"))) }
                    == .permissionDenied)
            let shared = try #require(try await head.createSavedFilter(.init(filter: .init(name: "Дороги: просрочка", query: "topic=roads&overdue=1",
                                                                                             sharedTopicCode: "roads"))).filter)
            let seen = try await roads.listSavedFilters(.init()).filters
            #expect(seen.map(\.id) == [shared.id] && seen.first?.mine == false)
            #expect(try await housing.listSavedFilters(.init()).filters.allSatisfy { $0.id != shared.id && $0.mine })
            #expect(await failure { _ = try await roads.deleteSavedFilter(.init(id: shared.id)) } == .notFound)

            // Bad input is refused in words, nothing stored.
            #expect(await failure { _ = try await op.createSavedFilter(.init(filter: .init(name: "", query: "queue=all"))) } == .invalidArgument)
            #expect(await failure { _ = try await op.createSavedFilter(.init(filter: .init(name: "x", query: "queue=all#frag ment"))) } == .invalidArgument)
            #expect(await failure { _ = try await op.deleteSavedFilter(.init(id: "not-a-uuid")) } == .invalidArgument)

            // Rename, un-share, delete by the owner.
            let renamed = try #require(try await head.updateSavedFilter(.init(filter: .init(id: shared.id, name: "Дороги", query: shared.query))).filter)
            #expect(renamed.name == "Дороги" && renamed.sharedTopicCode.isEmpty)
            #expect(try await roads.listSavedFilters(.init()).filters.isEmpty)
            _ = try await op.deleteSavedFilter(.init(id: first.id))
            #expect(try await op.listSavedFilters(.init()).filters.allSatisfy { $0.id != first.id })
        }
    }
}

@Suite("Saved filters and notification settings in the workspace (real IdP sign-in)", .serialized)
struct WorkspaceSettingsTests {
    static func form(_ session: BrowserSession) -> HTTPFields {
        var h = session.headers()
        h[.contentType] = "application/x-www-form-urlencoded"
        return h
    }

    static func enc(_ s: String) -> String { QueuePage.encode(s) }

    @Test("The queue saves its filter on the server with a CSRF-protected form; the filter is listed as a link on every later page, once per submission, and only its owner changes it")
    func savedFiltersThroughTheWorkspace() async throws {
        try await withPlatform { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let op = try await BrowserSession.signIn(client, user: "operator", returnTo: "/ws")
                let page = String(buffer: try await client.execute(uri: "/ws?queue=triage&status=received", method: .get, headers: op.headers()).body)
                #expect(page.contains(#"action="/ws/filters""#))
                #expect(page.contains(#"name="query" value="queue=triage&amp;status=received""#))

                let body = "name=" + Self.enc("Новые без исполнителя") + "&query=" + Self.enc("queue=triage&status=received") + "&idempotency_key=wsf-1"
                let forged = try await client.execute(uri: "/ws/filters", method: .post, headers: Self.form(op), body: ByteBuffer(string: body + "&_csrf=wrong"))
                #expect(forged.status == .forbidden)
                let saved = try await client.execute(uri: "/ws/filters", method: .post, headers: Self.form(op), body: ByteBuffer(string: body + "&_csrf=" + op.csrf))
                #expect(saved.status == .seeOther)
                #expect(saved.headers[.location] == "/ws?queue=triage&status=received&filter_saved=1")
                // A double submission of the same rendered form is the same request.
                let again = try await client.execute(uri: "/ws/filters", method: .post, headers: Self.form(op), body: ByteBuffer(string: body + "&_csrf=" + op.csrf))
                #expect(again.status == .seeOther)
                let listed = try decode(AgencyV1.ListSavedFiltersResponse.self, try await client.execute(uri: "/api/v1/me/filters", method: .get, headers: op.headers()).body)
                let mine = listed.filters.filter { $0.name == "Новые без исполнителя" }
                #expect(mine.count == 1)
                let id = try #require(mine.first?.id)

                let queue = String(buffer: try await client.execute(uri: "/ws", method: .get, headers: op.headers()).body)
                #expect(queue.contains(#"<a href="/ws?queue=triage&amp;status=received" class="saved-item saved-link">Новые без исполнителя</a>"#))

                // Another person: not listed for them, and their own session cannot delete it.
                let other = try await BrowserSession.signIn(client, user: "executor-zhkh", returnTo: "/ws")
                let theirs = String(buffer: try await client.execute(uri: "/ws/filters", method: .get, headers: other.headers()).body)
                #expect(!theirs.contains("Новые без исполнителя"))
                let stolen = try await client.execute(uri: "/ws/filters/\(id)/delete", method: .post, headers: Self.form(other),
                                                      body: ByteBuffer(string: "idempotency_key=wsf-x&_csrf=" + other.csrf))
                #expect(stolen.status == .notFound)

                // The owner renames and deletes it on /ws/filters.
                let renamed = try await client.execute(uri: "/ws/filters/\(id)/rename", method: .post, headers: Self.form(op),
                                                       body: ByteBuffer(string: "name=" + Self.enc("Разбор") + "&query=" + Self.enc("queue=triage")
                                                                        + "&shared_topic_code=&idempotency_key=wsf-2&_csrf=" + op.csrf))
                #expect(renamed.headers[.location] == "/ws/filters?done=updated")
                let manage = String(buffer: try await client.execute(uri: "/ws/filters", method: .get, headers: op.headers()).body)
                #expect(manage.contains(#"<a href="/ws?queue=triage" class="saved-link">Разбор</a>"#))
                let deleted = try await client.execute(uri: "/ws/filters/\(id)/delete", method: .post, headers: Self.form(op),
                                                       body: ByteBuffer(string: "idempotency_key=wsf-3&_csrf=" + op.csrf))
                #expect(deleted.headers[.location] == "/ws/filters?done=deleted")
                let after = try decode(AgencyV1.ListSavedFiltersResponse.self, try await client.execute(uri: "/api/v1/me/filters", method: .get, headers: op.headers()).body)
                #expect(after.filters.allSatisfy { $0.id != id })

                // The JSON API with the session needs the CSRF header (the guard's rule for every JSON write).
                let json = #"{"name":"API","query":"queue=all"}"#
                var noToken = op.headers()
                noToken[.contentType] = "application/json"
                #expect(try await client.execute(uri: "/api/v1/me/filters", method: .post, headers: noToken, body: ByteBuffer(string: json)).status == .forbidden)
                #expect(try await client.execute(uri: "/api/v1/me/filters", method: .post, headers: op.headers(unsafe: true), body: ByteBuffer(string: json)).status == .created)
            }
        }
    }

    @Test("The settings page shows the person's notification preferences and saves them from a plain form; a bad address is refused in words and keeps what was typed")
    func notificationSettingsPage() async throws {
        try await withPlatform(appeal: false) { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                #expect(try await client.execute(uri: "/ws/settings", method: .get).status == .seeOther)
                let me = try await BrowserSession.signIn(client, user: "executor-zhkh", returnTo: "/ws")
                let page = String(buffer: try await client.execute(uri: "/ws/settings", method: .get, headers: me.headers()).body)
                #expect(page.contains(#"value="executor-zhkh@demo.veche.local""#))
                #expect(page.contains(#"<input type="checkbox" name="kind" value="escalation" checked>"#))
                #expect(page.contains(#"<input type="radio" name="channel" value="email" checked>"#))
                #expect(page.contains(#"value="telegram""#))

                let body = "email=" + Self.enc("ivanov@example.org") + "&channel=telegram&messenger_address=123456789&kind=escalation&idempotency_key=set-1"
                #expect(try await client.execute(uri: "/ws/settings", method: .post, headers: Self.form(me), body: ByteBuffer(string: body)).status == .forbidden)
                let saved = try await client.execute(uri: "/ws/settings", method: .post, headers: Self.form(me), body: ByteBuffer(string: body + "&_csrf=" + me.csrf))
                #expect(saved.headers[.location] == "/ws/settings?saved=1")
                let prefs = try #require(try await platform.cluster.agencies(as: .user("executor-zhkh")).getNotificationPreferences(.init()).preferences)
                #expect(prefs.email == "ivanov@example.org" && prefs.messenger == "telegram" && prefs.messengerAddress == "123456789")
                #expect(prefs.mutedKinds.sorted() == ["answer_ready", "rating_request", "status_changed"])
                let shown = String(buffer: try await client.execute(uri: "/ws/settings?saved=1", method: .get, headers: me.headers()).body)
                #expect(shown.contains("Настройки уведомлений сохранены."))
                #expect(shown.contains(#"<input type="radio" name="channel" value="telegram" checked>"#))
                #expect(shown.contains(#"<input type="checkbox" name="kind" value="status_changed">"#))

                let bad = try await client.execute(uri: "/ws/settings", method: .post, headers: Self.form(me),
                                                   body: ByteBuffer(string: "email=not-an-address&channel=email&idempotency_key=set-2&_csrf=" + me.csrf))
                #expect(bad.status == .badRequest)
                let text = String(buffer: bad.body)
                #expect(text.contains("email is not an e-mail address") && text.contains(#"value="not-an-address""#))
                #expect(try await platform.cluster.agencies(as: .user("executor-zhkh")).getNotificationPreferences(.init()).preferences?.email == "ivanov@example.org")
            }
        }
    }
}
