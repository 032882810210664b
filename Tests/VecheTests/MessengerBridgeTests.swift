import Contracts
import Foundation
import Hummingbird
import Logging
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import VecheTool

/// A stand-in messenger API: a real HTTP server on a loopback port that records every `sendMessage` it gets
/// and answers as the test planned (a 5xx once for some chats, a 400 "chat not found" for others).
actor RecordingBotAPI {
    struct Sent: Sendable, Equatable {
        var chatID: String
        var text: String
        var status: Int
    }
    private(set) var sent: [Sent] = []
    private(set) var port: Int?
    private var failOnce: Set<String>
    private let unknownChats: Set<String>

    init(failOnce: Set<String>, unknownChats: Set<String>) {
        self.failOnce = failOnce
        self.unknownChats = unknownChats
    }

    func started(_ port: Int?) { self.port = port }

    /// Records one request; returns the status to answer with.
    func receive(chatID: String, text: String) -> Int {
        let status = unknownChats.contains(chatID) ? 400 : failOnce.remove(chatID) != nil ? 502 : 200
        sent.append(Sent(chatID: chatID, text: text, status: status))
        return status
    }

    func count(_ chatID: String, status: Int? = nil) -> Int { sent.filter { $0.chatID == chatID && (status == nil || $0.status == status) }.count }

    func application(token: String) -> some ApplicationProtocol {
        let router = Router()
        router.post("bot\(token)/sendMessage") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            let chat = (json["chat_id"] as? String) ?? (json["chat_id"] as? NSNumber).map { "\($0.int64Value)" } ?? ""
            let status = await self.receive(chatID: chat, text: json["text"] as? String ?? "")
            let answer = status == 200 ? #"{"ok":true,"result":{"message_id":1}}"#
                : status == 400 ? #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"# : #"{"ok":false,"description":"Bad Gateway"}"#
            return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                           onServerRunning: { channel in await self.started(channel.localAddress?.port) })
    }
}

@Suite("Messenger bridge: notifications to a Bot API over HTTP", .serialized)
struct MessengerBridgeTests {
    static func notice(_ id: Int64, chat: String) -> MessengerNotification {
        MessengerNotification(id: id, recipient: "user:executor-zhkh", kind: "escalation", channel: "telegram", address: chat,
                              subject: "Эскалация \(id)", body: "Нарушен срок ответа по обращению № \(id)")
    }

    @Test("Each notification reaches the API once: a 5xx is retried until 2xx, a duplicate publish and a restart send nothing again, a 400 is not retried")
    func deliversOnceRetriesAndSurvivesRestart() async throws {
        try await withCluster { cluster in
            let api = RecordingBotAPI(failOnce: ["1001"], unknownChats: ["404404"])
            // AgencyService's side: the stream and its acknowledged, de-duplicated publishing.
            let (agencyBus, agencyJS) = try await cluster.jetStream(as: BusPermissions.agencyService)
            defer { agencyBus.close() }
            try await agencyJS.ensureStream(Streams.notifications)
            func publish(_ n: MessengerNotification) async throws -> Bool {
                try await agencyJS.publish(subject: Subjects.Notifications.subject(channel: "telegram"), payload: Array(try JSONEncoder().encode(n)),
                                           messageID: n.messageID).duplicate
            }
            #expect(try await publish(Self.notice(1, chat: "1001")) == false)
            // AgencyService's own channel, as its NotificationSender uses it.
            let channel = MessengerChannel(name: "telegram", jetStream: agencyJS)
            try await channel.deliver(Self.notice(2, chat: "@veche_test"))
            #expect(try await publish(Self.notice(1, chat: "1001")) == true)   // the outbox resent it: dropped by the stream

            let (bridgeBus, bridgeJS) = try await cluster.jetStream(as: BusPermissions.messengerBridge)
            defer { bridgeBus.close() }
            try await withServices([api.application(token: "test-token")], logger: cluster.logger) {
                #expect(try await eventually { await api.port != nil })
                let port = try #require(await api.port)
                var bridge = MessengerBridge(channel: "telegram", client: TelegramClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, token: "test-token"),
                                             logger: cluster.logger)
                bridge.retryBase = .milliseconds(100)

                try await withServices([bridge.consumer(jetStream: bridgeJS)], logger: cluster.logger) {
                    let both = try await eventually(timeout: .seconds(30)) {
                        let first = await api.count("1001", status: 200), second = await api.count("@veche_test")
                        return first == 1 && second == 1
                    }
                    #expect(both)
                }
                #expect(await api.count("1001", status: 502) == 1)
                let text = try #require(await api.sent.first { $0.chatID == "@veche_test" }?.text)
                #expect(text == "Эскалация 2\n\nНарушен срок ответа по обращению № 2")

                // While the bridge is down: a notice for an unknown chat, then one more.
                #expect(try await publish(Self.notice(3, chat: "404404")) == false)
                try await channel.deliver(Self.notice(4, chat: "2002"))
                try await withServices([bridge.consumer(jetStream: bridgeJS)], logger: cluster.logger) {
                    let fourth = try await eventually(timeout: .seconds(30)) { await api.count("2002") == 1 }
                    #expect(fourth)
                }
                // In stream order: anything unacknowledged would have come again before notice 4.
                #expect(await api.count("1001") == 2)
                #expect(await api.count("@veche_test") == 1)
                #expect(await api.count("404404") == 1)
                #expect(await api.sent.count == 5)
            }
        }
    }

    @Test("The API's answers map to deliver, retry (5xx, 429 with its delay, a refused token) or drop (other 4xx); long texts are cut to the limit")
    func classifiesAnswersAndCutsText() {
        #expect(TelegramClient.classify(status: 200, body: Data(#"{"ok":true}"#.utf8)) == .delivered)
        #expect(TelegramClient.classify(status: 429, body: Data(#"{"ok":false,"description":"Too Many Requests","parameters":{"retry_after":7}}"#.utf8))
                == .retry(after: .seconds(7), reason: "429 too many requests: Too Many Requests"))
        if case .retry(nil, _) = TelegramClient.classify(status: 503, body: Data()) {} else { Issue.record("503 must be retried") }
        if case .retry(nil, _) = TelegramClient.classify(status: 401, body: Data()) {} else { Issue.record("a refused token must be retried") }
        #expect(TelegramClient.classify(status: 403, body: Data(#"{"ok":false,"description":"Forbidden: bot was blocked by the user"}"#.utf8))
                == .rejected(reason: "403: Forbidden: bot was blocked by the user"))
        let long = TelegramClient.text(subject: "Тема", body: String(repeating: "я", count: 5000))
        #expect(long.utf16.count == TelegramClient.maxText && long.hasSuffix("…"))
        let body = String(decoding: try! TelegramClient.body(chatID: "-100123", text: "x"), as: UTF8.self)
        #expect(body == #"{"chat_id":-100123,"disable_web_page_preview":true,"text":"x"}"#)
    }
}
