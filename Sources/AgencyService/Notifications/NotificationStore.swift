import Foundation
import VecheRuntime
import Workload

/// A person (or mailbox) and how they want to be reached.
struct Recipient: Sendable, Hashable {
    /// `user:<name>`, `agency:<id>`, `agency-head:<id>`, `citizen:<appeal id>`.
    var key: String
    var email: String
    var messenger: String = ""
    var messengerAddress: String = ""
    var muted: Set<String> = []

    /// The channel and address a notice of `kind` goes to (nil: muted or unreachable). A messenger is used
    /// when the person chose one the platform has a bridge for, e-mail otherwise.
    func route(kind: NoticeKind, messengers: Set<String>) -> (channel: String, address: String)? {
        if muted.contains(kind.rawValue) { return nil }
        if !messenger.isEmpty, !messengerAddress.isEmpty, messengers.contains(messenger) { return (messenger, messengerAddress) }
        return NotificationStore.isEmail(email) ? ("email", email) : nil
    }
}

/// One open escalation item as stored.
struct EscalationItemRow: Sendable, Hashable {
    var appealID: String
    var deadlineKind: String
    var deadline: Date
    var number: String
    var title: String
    var agencyID: String
    var topicCode: String

    init(_ r: PGRow) {
        appealID = r.string("appeal_id")
        deadlineKind = r.string("deadline_kind")
        deadline = r.date("deadline") ?? .distantPast
        number = r.string("appeal_number")
        title = r.string("title")
        agencyID = r.string("agency_id")
        topicCode = r.string("topic_code")
    }

    var overdue: OverdueItem { OverdueItem(appealID: appealID, deadlineKind: deadlineKind, deadline: deadline) }
}

/// SQL of schema `agency`'s notification tables (NotificationSchema).
enum NotificationStore {
    /// A plain address (no display name, no line breaks): what the outbox accepts.
    /// The pattern `^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+\z` read scalar by scalar: one `@` with something before it, a
    /// dot inside the domain, no white space or angle brackets. (As a regular expression it was compiled at every
    /// call — a tenth of AgencyService's CPU while it applied an intake's events — and, anchored with `$`, let
    /// an address with a final line break through.)
    static func isEmail(_ s: String) -> Bool {
        // Counts of the part before and after the `@`, and the first dot of the domain after its first scalar.
        var local = 0, domain = 0, seenAt = false
        var innerDot: Int?
        for c in s.unicodeScalars {
            if c.properties.isWhitespace || c == "<" || c == ">" { return false }
            if c == "@" {
                if seenAt { return false }
                seenAt = true
            } else if seenAt {
                if c == ".", domain > 0, innerDot == nil { innerDot = domain }
                domain += 1
            } else {
                local += 1
            }
        }
        // Something before the `@`, and a dot with something on both sides of it in the domain.
        guard seenAt, local > 0, let dot = innerDot else { return false }
        return dot < domain - 1
    }

    /// Writes a notice to the outbox once per (recipient, event, kind); false when it was there already or the
    /// recipient muted or cannot be reached.
    @discardableResult
    static func enqueue(_ conn: PGConnection, _ notice: Notice, to r: Recipient, messengers: Set<String>) throws -> Bool {
        guard let (channel, address) = r.route(kind: notice.kind, messengers: messengers) else { return false }
        return try conn.query("""
            INSERT INTO notification_outbox (recipient, event_key, kind, channel, address, subject, body, summary)
            VALUES (\(r.key), \(notice.eventKey), \(notice.kind.rawValue), \(channel), \(address), \(notice.subject), \(notice.body),
                    \(notice.summary))
            ON CONFLICT (recipient, event_key, kind) DO NOTHING RETURNING id
            """).first != nil
    }

    /// The escalation chain of a sector block: its own rows, else the default ('') rows, else the standard chain.
    static func chain(_ conn: PGConnection, block: String) throws -> EscalationChain {
        let rows = try conn.query("""
            SELECT topic_code, role, delay_seconds FROM escalation_chains WHERE topic_code IN (\(block), '')
            ORDER BY topic_code = '' , position
            """).rows
        let own = rows.filter { $0.string("topic_code") == rows.first?.string("topic_code") }
        let levels = own.compactMap { r in EscalationRole(rawValue: r.string("role")).map { EscalationLevel(role: $0, delay: Double(r.int("delay_seconds"))) } }
        return (try? EscalationChain(block: block, levels: levels)) ?? .standard(block: block)
    }

    /// Replaces the chain of `block` ('' = the default); validated by `EscalationChain` first.
    static func saveChain(_ conn: PGConnection, _ chain: EscalationChain) throws {
        try conn.query("DELETE FROM escalation_chains WHERE topic_code = \(chain.block)")
        for (i, level) in chain.levels.enumerated() {
            try conn.query("""
                INSERT INTO escalation_chains (topic_code, position, role, delay_seconds)
                VALUES (\(chain.block), \(i), \(level.role.rawValue), \(Int64(level.delay)))
                """)
        }
    }

    /// Who is alerted at `role` for an item: role holders (with their preferences), and for the executor and
    /// the head of the agency the addresses the directory records for the agency.
    static func recipients(_ conn: PGConnection, role: EscalationRole, item: EscalationItemRow) throws -> [Recipient] {
        var out: [Recipient] = []
        let holders: SQL
        switch role {
        case .executor: holders = "r.role = 'executor' AND r.agency_id = \(item.agencyID) AND \(item.agencyID) <> ''"
        case .agencyHead: holders = "false"
        case .blockLead: holders = "r.role IN ('sector_head', 'sector_responsible') AND r.topic_code = \(item.topicCode)"
        case .curHead: holders = "r.role = 'center_head'"
        case .curator: holders = "r.role = 'curator'"
        }
        for r in try conn.query("""
            SELECT DISTINCT r.principal, coalesce(p.email, '') AS email, coalesce(p.messenger, '') AS messenger,
                   coalesce(p.messenger_address, '') AS messenger_address, coalesce(p.muted_kinds, '{}') AS muted
            FROM role_assignments r LEFT JOIN notification_preferences p ON p.principal = r.principal
            WHERE \(holders) ORDER BY r.principal
            """).rows {
            out.append(Recipient(key: r.string("principal"), email: r.string("email"), messenger: r.string("messenger"),
                                 messengerAddress: r.string("messenger_address"), muted: Set(r.stringArray("muted"))))
        }
        if role == .agencyHead {
            for r in try conn.query("SELECT person, email FROM agency_staff WHERE agency_id = \(item.agencyID) AND role = 'head' AND email <> ''").rows {
                out.append(Recipient(key: "agency-head:\(item.agencyID):\(r.string("person"))", email: r.string("email")))
            }
        }
        // Nobody personally reachable: the agency's own mailbox (registry of appeals) is told.
        if (role == .executor || role == .agencyHead), !out.contains(where: { NotificationStore.isEmail($0.email) || !$0.messengerAddress.isEmpty }),
           let email = try conn.query("SELECT email FROM agencies WHERE id = \(item.agencyID)").first?.string("email"), isEmail(email) {
            out.append(Recipient(key: "agency:\(item.agencyID)", email: email))
        }
        return out
    }
}
