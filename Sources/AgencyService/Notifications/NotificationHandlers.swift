import Contracts
import Foundation
import VecheAuth
import VecheRuntime
import Workload

/// Notification preferences (each person their own; the head of the ЦУР anyone's) and escalation chains
/// (read by staff, set by the head of the ЦУР). Changes are audited.
extension AgencyHandlers {
    /// The principal a preferences call is about: the caller, or another one for the head of the ЦУР.
    static func preferencesSubject(_ caller: Principal, requested: String) throws -> String {
        let key = requested.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key != caller.key else { return caller.key }
        guard caller.has(.centerHead) else { throw RPCError.permissionDenied("only the head of the ЦУР sets another person's notifications") }
        return key
    }

    func getNotificationPreferences(request: AgencyV1.GetNotificationPreferencesRequest, context: RPCContext) async throws -> AgencyV1.GetNotificationPreferencesResponse {
        let key = try Self.preferencesSubject(try context.requirePrincipal(), requested: request.principal)
        let row = try await pool.query("SELECT * FROM notification_preferences WHERE principal = \(key)").first
        return .init(preferences: row.map(Self.preferences) ?? .init(principal: key), messengers: messengers)
    }

    func setNotificationPreferences(request: AgencyV1.SetNotificationPreferencesRequest, context: RPCContext) async throws -> AgencyV1.SetNotificationPreferencesResponse {
        let caller = try context.requirePrincipal()
        guard let p = request.preferences else { throw RPCError.invalidArgument("preferences are required") }
        let key = try Self.preferencesSubject(caller, requested: p.principal)
        guard key.hasPrefix("user:") || key.hasPrefix("client:") else { throw RPCError.invalidArgument("principal must be user:<name> or client:<id>") }
        let email = p.email.trimmingCharacters(in: .whitespaces)
        guard email.isEmpty || NotificationStore.isEmail(email) else { throw RPCError.invalidArgument("email is not an e-mail address: \(email.debugDescription)") }
        let messenger = p.messenger.trimmingCharacters(in: .whitespaces).lowercased()
        guard messenger.isEmpty || messengers.contains(messenger) else {
            throw RPCError.invalidArgument("unknown messenger '\(messenger)'; available: \(messengers.joined(separator: ", "))")
        }
        let kinds = Set(NoticeKind.allCases.map(\.rawValue))
        if let bad = p.mutedKinds.first(where: { !kinds.contains($0) }) {
            throw RPCError.invalidArgument("unknown notification kind '\(bad)'; kinds: \(kinds.sorted().joined(separator: ", "))")
        }
        let address = p.messengerAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        let muted = Array(Set(p.mutedKinds)).sorted(), audit = self.audit
        let stored = try await pool.transaction { conn in
            let row = try conn.query("""
                INSERT INTO notification_preferences (principal, email, messenger, messenger_address, muted_kinds, updated_at)
                VALUES (\(key), \(email), \(messenger), \(address), \(muted)::text[], now())
                ON CONFLICT (principal) DO UPDATE SET email = excluded.email, messenger = excluded.messenger,
                    messenger_address = excluded.messenger_address, muted_kinds = excluded.muted_kinds, updated_at = now()
                RETURNING *
                """).first
            try audit.record(conn, caller, .init(action: "notifications.preferences.set", target: key))
            return row.map(Self.preferences) ?? .init(principal: key)
        }
        return .init(preferences: stored)
    }

    static func preferences(_ r: PGRow) -> AgencyV1.NotificationPreferences {
        .init(principal: r.string("principal"), email: r.string("email"), messenger: r.string("messenger"),
              messengerAddress: r.string("messenger_address"), mutedKinds: r.stringArray("muted_kinds"), updatedAtMs: r.epochMs("updated_at"))
    }

    func listEscalationChains(request: AgencyV1.ListEscalationChainsRequest, context: RPCContext) async throws -> AgencyV1.ListEscalationChainsResponse {
        let rows = try await pool.query("SELECT topic_code, role, delay_seconds FROM escalation_chains ORDER BY topic_code, position").rows
        var chains: [AgencyV1.EscalationChain] = []
        for r in rows {
            let level = AgencyV1.EscalationLevel(role: r.string("role"), delaySeconds: r.int("delay_seconds"))
            if chains.last?.topicCode == r.string("topic_code") { chains[chains.count - 1].levels.append(level) } else {
                chains.append(.init(topicCode: r.string("topic_code"), levels: [level]))
            }
        }
        return .init(chains: chains)
    }

    /// Replaces a block's chain ('' = the default); a block given no levels falls back to the default.
    func setEscalationChain(request: AgencyV1.SetEscalationChainRequest, context: RPCContext) async throws -> AgencyV1.SetEscalationChainResponse {
        let caller = try context.requirePrincipal()
        guard let wire = request.chain else { throw RPCError.invalidArgument("chain is required") }
        if !wire.topicCode.isEmpty { try Self.validateTopic(wire.topicCode) }
        var levels: [EscalationLevel] = []
        for l in wire.levels {
            guard let role = EscalationRole(rawValue: l.role) else {
                throw RPCError.invalidArgument("unknown role '\(l.role)'; roles: \(EscalationRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            levels.append(EscalationLevel(role: role, delay: TimeInterval(l.delaySeconds)))
        }
        let chain: EscalationChain?
        if levels.isEmpty, !wire.topicCode.isEmpty {
            chain = nil
        } else {
            do { chain = try EscalationChain(block: wire.topicCode, levels: levels) } catch { throw RPCError.invalidArgument("\(error)") }
        }
        let audit = self.audit, block = wire.topicCode
        let detail = levels.map { "\($0.role.rawValue)+\(Int64($0.delay))s" }.joined(separator: " ")
        try await pool.transaction { conn in
            if let chain { try NotificationStore.saveChain(conn, chain) } else {
                try conn.query("DELETE FROM escalation_chains WHERE topic_code = \(block)")
            }
            try audit.record(conn, caller, .init(action: "notifications.escalation_chain.set", target: block.isEmpty ? "default" : block,
                                                 detail: detail))
        }
        return .init(chain: wire)
    }
}
