import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AppealService
import MediaMonitoring
@testable import Gateway

/// Media monitoring in the running platform (issue #12 item 2): posts over JetStream, mentions, tone, surges that
/// open incidents, promotion, access, the workspace page — against real NATS, PostgreSQL and the IdP.
@Suite("Media monitoring over the platform", .serialized)
struct MediaMonitoringPlatformTests {
    static let social = TestPrincipal.client("veche-integration-social")
    static let media = TestPrincipal.user("media")

    static func client(_ platform: TestPlatform, as p: TestPrincipal) async throws -> MediaV1.MediaService.Client {
        .init(transport: try await platform.cluster.transport(as: p))
    }

    static func post(_ id: String, _ text: String, minutesAgo: Double = 5, territory: String = "", source: String = "vk") -> MediaV1.IncomingPost {
        MediaV1.IncomingPost(source: source, externalId: id, url: "https://vk.example.ru/wall/\(id)", authorHandle: "resident_\(id)",
                             publishedAtMs: Int64((Date().timeIntervalSince1970 - minutesAgo * 60) * 1000), text: text, territoryHint: territory)
    }

    static let wasteTexts = [
        "Во дворе дома на улице Ленина переполнены мусорные контейнеры, мусор не вывозят уже неделю, регоператор не отвечает",
        "Опять не вывезли мусор с контейнерной площадки на Карла Маркса, баки переполнены, мусор лежит на земле",
        "Стихийная свалка бытовых отходов у гаражей растёт, мусор не вывозят, запах на весь двор",
        "Контейнерная площадка завалена мусором, вывоз ТКО не производится вторую неделю",
        "Мусор не вывозят, контейнеры переполнены, крысы бегают по двору, куда смотрит регоператор",
        "Свалка мусора возле детской площадки, вывоз отходов сорван, жители возмущены",
        "Региональный оператор не вывозит мусор из частного сектора, мешки с отходами лежат вдоль дороги",
        "Переполненные мусорные баки во дворе, вывоз ТКО не производится, просим навести порядок",
    ]

    @Test func postsOverJetStreamAreStoredOnceWithEntitiesAndTone() async throws {
        try await withPlatform { platform in
            let (nats, js) = try await platform.cluster.jetStream(as: BusPermissions.integration("social"))
            defer { nats.close() }
            let token = try await Tokens.shared.token(Self.social)
            func publish(_ p: MediaV1.IncomingPost, msgID: String) async throws {
                _ = try await js.publish(subject: Subjects.Mentions.subject(source: p.source), payload: p.serializedBytes(), messageID: msgID,
                                         headers: [RPCHeader.authorization: "Bearer " + token])
            }
            let text = "Губернатор Курской области, в Железногорске третий день нет горячей воды, это безобразие и издевательство!"
            let first = Self.post("js-1", text)
            // The same post delivered twice (two stream messages: a monitoring system's retry), then an invalid one, then a marker.
            try await publish(first, msgID: "a")
            try await publish(first, msgID: "b")
            try await publish(Self.post("js-empty", "   "), msgID: "c")
            try await publish(Self.post("js-2", "Спасибо администрации города Курска, двор отремонтировали быстро и красиво!"), msgID: "d")
            let reader = try await Self.client(platform, as: Self.media)
            #expect(try await eventually(timeout: .seconds(60)) {
                try await reader.listMentions(.init()).mentions.contains { $0.externalId == "js-2" }
            })
            let all = try await reader.listMentions(.init(page: .init(pageSize: 200))).mentions
            #expect(all.filter { $0.externalId == "js-1" }.count == 1, "a redelivered post is stored once")
            let m = try #require(all.first { $0.externalId == "js-1" })
            #expect(m.entities.contains { $0.entityId == "governor" && $0.text == "Губернатор Курской области" })
            #expect(m.municipalityOktmo == "38705000", "the municipality named in the text (город Железногорск)")
            #expect(m.tone == .negative)
            #expect(all.first { $0.externalId == "js-2" }?.tone == .positive)
            // The invalid post is kept with its reason, not stored as a mention.
            let pool = try #require(platform.envs["appeal"]?.pool)
            let rejected = try await pool.query("SELECT reason FROM rejected_intake WHERE subject = \(Subjects.Mentions.subject(source: "vk"))").rows
            #expect(rejected.map { $0.string("reason") } == ["text is empty"])
            #expect(!all.contains { $0.externalId == "js-empty" })
            // Filters: by entity and tone.
            let governor = try await reader.listMentions(.init(entityId: "governor")).mentions
            #expect(governor.map(\.externalId) == ["js-1"])
            #expect(try await reader.listMentions(.init(tone: .positive)).mentions.map(\.externalId) == ["js-2"])
            // Only the social-network and messenger systems (and the import) may publish posts: the bus refuses the pos system.
            let (posNats, posJS) = try await platform.cluster.jetStream(as: BusPermissions.integration("pos"))
            defer { posNats.close() }
            await #expect(throws: (any Error).self, "the pos system must not publish on the mention stream") {
                try await posJS.publish(subject: Subjects.Mentions.subject(source: "vk"), payload: Self.post("pos-js", "текст").serializedBytes(),
                                        timeout: .seconds(2))
            }
            // A post is not an appeal.
            let appeals = try await platform.cluster.appeals(as: operatorUser).listAppeals(.init(channels: [.social]))
            #expect(appeals.appeals.isEmpty)
        }
    }

    @Test func aSurgeOpensExactlyOneIncidentAppealWithTheFirstReactionDeadline() async throws {
        try await withPlatform { platform in
            let built = try #require(platform.appeal)
            let deliver = try await Self.client(platform, as: Self.social)
            // A quiet week: a post every ~12 hours on other things, two about waste in Kursk.
            for i in 0..<14 {
                let text = i % 7 == 0 ? Self.wasteTexts[i % Self.wasteTexts.count]
                    : "На улице Дзержинского яма на дороге, машины бьют колёса, просим отремонтировать асфальт \(i)"
                _ = try await deliver.submitPost(.init(post: Self.post("base-\(i)", text, minutesAgo: Double(180 + i * 720), territory: "38701000")))
            }
            #expect(try await built.media.surges.tick().isEmpty, "a quiet week is no surge")
            // Eight posts about waste in Kursk within minutes.
            var topics: [String] = []
            for (i, t) in Self.wasteTexts.enumerated() {
                let r = try await deliver.submitPost(.init(post: Self.post("surge-\(i)", t, minutesAgo: Double(i) * 0.2, territory: "38701000")))
                topics.append(try #require(r.mention).topicCode)
            }
            let topic = try #require(Dictionary(grouping: topics, by: { $0 }).max { $0.value.count < $1.value.count }?.key)
            let opened = try await built.media.surges.tick()
            #expect(opened.count == 1, "one incident for the surge, not one per post")
            #expect(try await built.media.surges.tick().isEmpty, "the next pass opens nothing new")
            // More posts of the same surge join the open incident.
            _ = try await deliver.submitPost(.init(post: Self.post("surge-late", Self.wasteTexts[0] + " Уже вечер!", minutesAgo: 0, territory: "38701000")))
            #expect(try await built.media.surges.tick().isEmpty)

            let incidents = try await Self.client(platform, as: Self.media).listIncidents(.init(openOnly: true)).incidents
            #expect(incidents.count == 1)
            let incident = try #require(incidents.first)
            #expect(incident.topicCode == topic && incident.municipalityOktmo == "38701000")
            #expect(incident.observed >= 3 && Double(incident.observed) > incident.expected * 1.5)
            #expect(incident.posts >= 3)
            let appeal = try #require(try await platform.cluster.appeals(as: operatorUser).getAppeal(.init(id: incident.appealId)).appeal)
            #expect(appeal.channel == .social && appeal.externalId == "incident:" + incident.id)
            #expect(appeal.topicCode == topic, "the appeal goes to the sector block of the surge's topic")
            // The first-reaction deadline is the directory's working-hours rule for the social channel.
            let engine = await built.directory.latest().deadlines
            let expected = engine.firstReactionDue(channel: "social", received: Date(timeIntervalSince1970: Double(appeal.receivedAtMs) / 1000))
            #expect(appeal.deadlines?.firstReactionDueMs == AppealHandlers.ms(expected))
            #expect((appeal.deadlines?.firstReactionDueMs ?? 0) > appeal.receivedAtMs)
            #expect(incident.firstReactionDueMs == appeal.deadlines?.firstReactionDueMs)
            // Exactly one appeal was filed for the whole surge.
            #expect(try await platform.cluster.appeals(as: operatorUser).listAppeals(.init(channels: [.social])).appeals.count == 1)
        }
    }

    @Test func promotionCreatesOneAppealAndOnlyOperatorsAndTheMediaOfficerMayPromote() async throws {
        try await withPlatform { platform in
            let stored = try await Self.client(platform, as: Self.social).submitPost(.init(post: Self.post(
                "promo-1", "Минздрав Курской области, в поликлинике Курчатова очередь к терапевту на месяц вперёд, записаться невозможно")))
            let mention = try #require(stored.mention)
            #expect(mention.entities.contains { $0.kind == "agency" })
            let again = try await Self.client(platform, as: Self.social).submitPost(.init(post: Self.post("promo-1", "изменённый текст")))
            #expect(again.alreadyExisted && again.mention?.id == mention.id && again.mention?.text == mention.text)

            let first = try await Self.client(platform, as: operatorUser).promoteMention(.init(mentionId: mention.id, comment: "проверить запись"))
            #expect(!first.alreadyPromoted && !first.appealId.isEmpty)
            let second = try await Self.client(platform, as: Self.media).promoteMention(.init(mentionId: mention.id))
            #expect(second.alreadyPromoted && second.appealId == first.appealId)
            let appeals = try await platform.cluster.appeals(as: operatorUser).listAppeals(.init(channels: [.social])).appeals
            #expect(appeals.count == 1)
            let appeal = try #require(appeals.first)
            #expect(appeal.author?.socialHandle == "resident_promo-1" && appeal.sourceUrl == mention.url)
            #expect((appeal.deadlines?.firstReactionDueMs ?? 0) > 0, "a social appeal runs the first-reaction clock")
            #expect(second.mention?.appealNumber == appeal.number)

            // An analyst reads posts as the same post reads once it is an appeal: no handle, link or post id, personal
            // data replaced in the text (before, the raw post with "@resident_…" and its link).
            let phoned = try #require(try await Self.client(platform, as: Self.social).submitPost(.init(post: Self.post(
                "promo-2", "Губернатор, помогите! Звоните мне 8-910-123-45-67, во дворе неделю не вывозят мусор"))).mention)
            let asAnalyst = try await Self.client(platform, as: .user("analyst")).listMentions(.init(page: .init(pageSize: 200))).mentions
            let seen = try #require(asAnalyst.first { $0.id == phoned.id })
            #expect(seen.authorHandle.isEmpty && seen.url.isEmpty && seen.externalId.isEmpty)
            #expect(!seen.text.contains("123-45-67") && seen.text.contains("не вывозят мусор"))
            #expect(seen.entities.contains { $0.entityId == "governor" } && seen.entities.allSatisfy { $0.length == 0 })
            let asOfficer = try await Self.client(platform, as: Self.media).listMentions(.init(page: .init(pageSize: 200))).mentions
            #expect(asOfficer.first { $0.id == phoned.id }?.text.contains("123-45-67") == true)
            #expect(asOfficer.first { $0.id == phoned.id }?.authorHandle == "resident_promo-2")

            // Access: readers and promoters only; the delivering systems of other channels cannot deliver posts.
            for who in [TestPrincipal.user("executor-zhkh"), .user("sociologist"), Self.social] {
                await #expect(throws: RPCError.self) { _ = try await Self.client(platform, as: who).listMentions(.init()) }
            }
            do {
                _ = try await Self.client(platform, as: .user("analyst")).promoteMention(.init(mentionId: mention.id))
                Issue.record("an analyst promoted a mention")
            } catch let e as RPCError {
                #expect(e.code == .permissionDenied)
            }
            do {
                _ = try await Self.client(platform, as: .client("veche-integration-pos")).submitPost(.init(post: Self.post("pos-1", "текст")))
                Issue.record("the pos system delivered a public post")
            } catch let e as RPCError {
                #expect(e.code == .permissionDenied)
            }
            #expect(try await Self.client(platform, as: .user("analyst")).listMentions(.init()).mentions.count == 2)   // promo-1 and promo-2
            // Bad input is refused with a reason (400), never half-applied.
            let analyst = try await Self.client(platform, as: .user("analyst"))
            for bad in [MediaV1.ListMentionsRequest(page: .init(pageToken: "not-a-token")), .init(fromMs: 10, toMs: 5),
                        .init(toMs: 999_999_999_999_999_999), .init(page: .init(pageSize: 500))] {
                do {
                    _ = try await analyst.listMentions(bad)
                    Issue.record("accepted \(bad)")
                } catch let e as RPCError {
                    #expect(e.code == .invalidArgument)
                }
            }
            await #expect(throws: RPCError.self) { _ = try await analyst.getToneSeries(.init(bucket: "week")) }
        }
    }

    @Test func theMonitoringPageShowsMentionsToneAndIncidentsAndPromotes() async throws {
        try await withPlatform { platform in
            let built = try #require(platform.appeal)
            let deliver = try await Self.client(platform, as: Self.social)
            _ = try await deliver.submitPost(.init(post: Self.post("page-0", "Губернатор Курской области, <b>спасибо</b> за новую школу в Курчатове!",
                                                                   minutesAgo: 3000)))
            for (i, t) in Self.wasteTexts.enumerated() {
                _ = try await deliver.submitPost(.init(post: Self.post("page-\(i + 1)", t, minutesAgo: Double(i) * 0.2, territory: "38701000")))
            }
            #expect(try await built.media.surges.tick().count == 1)
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let session = try await BrowserSession.signIn(client, user: "operator", returnTo: "/ws/monitoring")
                let page = try await client.execute(uri: "/ws/monitoring", method: .get, headers: session.headers())
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                #expect(html.contains("Мониторинг публикаций"))
                #expect(html.contains("<a href=\"/ws/monitoring\" class=\"active\""), "the operator's navigation offers the page")
                #expect(html.contains("<mark title=\"Губернатор Курской области\">Губернатор Курской области</mark>"), "entity highlighted")
                #expect(html.contains("&lt;b&gt;спасибо&lt;/b&gt;") && !html.contains("<b>спасибо</b>"), "post text is escaped")
                #expect(html.contains("tone-positive") && html.contains("tone-negative"))
                #expect(html.contains("<svg class=\"tone-chart\"") && html.contains("<rect class=\"neg\""))
                let incidents = try await Self.client(platform, as: Self.media).listIncidents(.init()).incidents
                let incident = try #require(incidents.first)
                #expect(html.contains("href=\"/ws/appeals/\(incident.appealId)\""), "the open incident links to its appeal")
                // Filter by tone: only the positive post.
                let positive = String(buffer: try await client.execute(uri: "/ws/monitoring?tone=positive", method: .get, headers: session.headers()).body)
                #expect(positive.contains("новую школу") && !positive.contains("регоператор не отвечает"))

                // The operator promotes the positive post with the page's form: 303 to the new appeal's card.
                let mention = try #require(try await Self.client(platform, as: Self.media).listMentions(.init(tone: .positive)).mentions.first)
                var form = session.headers()
                form[.contentType] = "application/x-www-form-urlencoded"
                let promoted = try await client.execute(uri: "/ws/monitoring/mentions/\(mention.id)/promote", method: .post, headers: form,
                                                        body: ByteBuffer(string: "_csrf=\(session.csrf)&idempotency_key=p1"))
                #expect(promoted.status == .seeOther)
                let after = try #require(try await Self.client(platform, as: Self.media).listMentions(.init(tone: .positive)).mentions.first)
                #expect(promoted.headers[.location] == "/ws/appeals/" + after.appealId && !after.appealId.isEmpty)

                // An executor is not offered the page, and is refused it in words.
                let executor = try await BrowserSession.signIn(client, user: "executor-zhkh", returnTo: "/ws")
                let queue = String(buffer: try await client.execute(uri: "/ws", method: .get, headers: executor.headers()).body)
                #expect(!queue.contains("/ws/monitoring"))
                let refused = try await client.execute(uri: "/ws/monitoring", method: .get, headers: executor.headers())
                #expect(refused.status == .forbidden)
            }
        }
    }
}

/// The pure parts of the platform's media monitoring.
@Suite("Media monitoring: surge series and region names")
struct MediaMonitoringRulesTests {
    @Test func hourlyCountsBecomeSeriesAndOnlyTheBurstIsASurge() {
        let now: Int64 = 500_000
        var counts: [(topic: String, territory: String, hour: Int64, count: Int)] = []
        // Steady: one post an hour for 8 days (no surge); quiet: a post a day, then 6 in the current hour.
        for h in (now - 8 * 24)...now { counts.append(("roads", "38701000", h, 1)) }
        for d in 1...7 { counts.append(("waste", "38701000", now - Int64(d * 24), 1)) }
        counts.append(("waste", "38701000", now, 6))
        // Too old to count (outside the window) and a burst in the previous hour elsewhere.
        counts.append(("waste", "38705000", now - 400, 50))
        counts.append(("housing", "", now - 1, 5))
        let surges = SurgeWatcher.surges(counts, currentHour: now)
        #expect(Set(surges.map { "\($0.topic)/\($0.territory)" }) == ["waste/38701000", "housing/"])
        let length = SurgeDetector.firstTestableBucket(SurgeWatcher.options) + 2
        #expect(surges.first { $0.topic == "waste" }?.bucket == length - 1)
        #expect(surges.first { $0.topic == "housing" }?.bucket == length - 2)
    }

    @Test func regionNamesAreDerivedFromTheGovernment() {
        #expect(MonitoredDirectory.nominative("Курской области") == "Курская область")
        #expect(MonitoredDirectory.nominative("Приморского края") == "Приморский край")
        #expect(MonitoredDirectory.colloquial("Курской области") == ["Курщина"])
    }
}
