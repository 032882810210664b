/// One notification for a messenger bridge, as AgencyService publishes it (JSON) on
/// `veche.notify.v1.<channel>` with `Nats-Msg-Id: notification-<id>`: the outbox row, addressed.
public struct MessengerNotification: Sendable, Hashable, Codable {
    /// The outbox id (unique per notification; the bridge logs it and the stream de-duplicates on it).
    public var id: Int64
    /// Who it is for: `user:<name>`, `citizen:<appeal id>`, ...
    public var recipient: String
    /// escalation, status_changed, answer_ready, rating_request.
    public var kind: String
    /// The messenger (`telegram`).
    public var channel: String
    /// The person's address in that messenger (Telegram: the chat id).
    public var address: String
    public var subject: String
    public var body: String

    public init(id: Int64, recipient: String, kind: String, channel: String, address: String, subject: String, body: String) {
        self.id = id
        self.recipient = recipient
        self.kind = kind
        self.channel = channel
        self.address = address
        self.subject = subject
        self.body = body
    }

    /// The `Nats-Msg-Id` of the notification (de-duplication in the stream).
    public var messageID: String { "notification-\(id)" }
}
