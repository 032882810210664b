import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Telegram Bot API's `sendMessage` over HTTP(S): `POST <base>/bot<token>/sendMessage` with a JSON body
/// `{"chat_id": …, "text": …}` (https://core.telegram.org/bots/api#sendmessage). The base URL is configurable,
/// so a self-hosted Bot API server or another messenger speaking the same wire format works too.
struct TelegramClient: Sendable {
    /// What became of one message.
    enum Outcome: Sendable, Equatable {
        /// The API accepted it (2xx).
        case delivered
        /// Worth trying again: the server failed (5xx), asked to slow down (429, with its `retry_after`), could
        /// not be reached, or refused the bot's token (a configuration error that an operator fixes).
        case retry(after: Duration?, reason: String)
        /// The API refused this message for good (e.g. 400 "chat not found", 403 "bot was blocked by the user").
        case rejected(reason: String)
    }

    let baseURL: URL
    let token: String
    var timeout: TimeInterval = 15
    /// Telegram's limit on the text of one message (UTF-16 code units).
    static let maxText = 4096

    init(baseURL: URL, token: String) {
        self.baseURL = baseURL
        self.token = token
    }

    /// The text of a notification: subject, blank line, body; cut to the API's limit with an ellipsis.
    static func text(subject: String, body: String) -> String {
        let full = subject.isEmpty ? body : subject + "\n\n" + body
        guard full.utf16.count > maxText else { return full }
        var cut = ""
        for c in full {
            if cut.utf16.count + c.utf16.count > maxText - 1 { break }
            cut.append(c)
        }
        return cut + "…"
    }

    /// The JSON body of `sendMessage`: a numeric chat id as a number, a `@channel` name as a string.
    static func body(chatID: String, text: String) throws -> Data {
        let id: Any = Int64(chatID).map { $0 as Any } ?? chatID
        return try JSONSerialization.data(withJSONObject: ["chat_id": id, "text": text, "disable_web_page_preview": true], options: [.sortedKeys])
    }

    func sendMessage(chatID: String, text: String) async -> Outcome {
        var request = URLRequest(url: baseURL.appendingPathComponent("bot" + token).appendingPathComponent("sendMessage"))
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        do {
            request.httpBody = try Self.body(chatID: chatID, text: text)
        } catch {
            return .rejected(reason: "cannot encode the message: \(error)")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            return .retry(after: nil, reason: "HTTP request failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { return .retry(after: nil, reason: "no HTTP response") }
        return Self.classify(status: http.statusCode, body: data)
    }

    /// The outcome of an HTTP answer (the API's `description` and `parameters.retry_after` when it sent them).
    static func classify(status: Int, body: Data) -> Outcome {
        let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let description = (json?["description"] as? String) ?? String(decoding: body.prefix(200), as: UTF8.self)
        switch status {
        case 200..<300: return .delivered
        case 429:
            let after = ((json?["parameters"] as? [String: Any])?["retry_after"] as? NSNumber)?.intValue
            return .retry(after: after.map { .seconds(max(1, $0)) }, reason: "429 too many requests: \(description)")
        case 401, 404: return .retry(after: nil, reason: "\(status): the bot token or API URL is not accepted (\(description)); check the configuration")
        case 400..<500: return .rejected(reason: "\(status): \(description)")
        default: return .retry(after: nil, reason: "\(status): \(description)")
        }
    }
}
