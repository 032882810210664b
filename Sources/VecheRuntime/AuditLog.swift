import Foundation
import VecheAuth

/// Writes the append-only audit log (`audit.entries`, see `DatabaseRoles`): every write and every read of
/// personal data — who, what, which appeal, when, from where. Writes are recorded in the same transaction
/// as the change they describe, so there is no change without its entry.
public struct AuditLog: Sendable {
    /// The service recording (e.g. `AppealService`).
    public let service: String

    public init(service: String) { self.service = service }

    /// What one audit entry records besides the principal: the action, the appeal concerned, a target and detail.
    public struct Entry: Sendable {
        public var action: String
        public var appealID: String?
        public var target: String
        public var detail: String
        public init(action: String, appealID: String? = nil, target: String = "", detail: String = "") {
            self.action = action
            self.appealID = appealID
            self.target = target
            self.detail = detail
        }
    }

    public func record(_ conn: PGConnection, _ principal: Principal, _ e: Entry) throws {
        try conn.query("""
            INSERT INTO audit.entries (service, actor, client_id, source, action, appeal_id, target, detail)
            VALUES (\(service), \(principal.actor), \(principal.clientID), \(principal.source), \(e.action),
                    \(e.appealID)::uuid, \(e.target), \(e.detail))
            """)
    }

    /// Many entries in one statement (a batch of writes, each by its own principal).
    public func recordAll(_ conn: PGConnection, _ entries: [(Principal, Entry)]) throws {
        guard !entries.isEmpty else { return }
        let p = entries.map(\.0), e = entries.map(\.1)
        try conn.query("""
            INSERT INTO audit.entries (service, actor, client_id, source, action, appeal_id, target, detail)
            SELECT \(service), actor, client_id, source, action, appeal_id, target, detail
            FROM unnest(\(p.map(\.actor))::text[], \(p.map(\.clientID))::text[], \(p.map(\.source))::text[], \(e.map(\.action))::text[],
                        \(e.map(\.appealID))::uuid[], \(e.map(\.target))::text[], \(e.map(\.detail))::text[])
                AS r(actor, client_id, source, action, appeal_id, target, detail)
            """)
    }

    /// One entry per appeal whose personal data was returned (one statement for a whole page).
    public func recordReads(_ conn: PGConnection, _ principal: Principal, action: String, appealIDs: [String]) throws {
        guard !appealIDs.isEmpty else { return }
        try conn.query("""
            INSERT INTO audit.entries (service, actor, client_id, source, action, appeal_id)
            SELECT \(service), \(principal.actor), \(principal.clientID), \(principal.source), \(action), id
            FROM unnest(\(appealIDs)::uuid[]) AS id
            """)
    }
}

/// Secrets kept as files (mode 0600) under one directory (`$VECHE_STATE_DIR/secrets`): NATS and database
/// passwords, client secrets. Missing ones are generated.
public struct SecretStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func path(_ name: String) -> String { directory + "/" + name }

    public func read(_ name: String) -> String? { VecheConfig.readSecret(path(name)) }

    /// The secret, generated (32 characters from the system's cryptographic generator, ~190 bits) and stored when missing.
    public func value(_ name: String) throws -> String {
        if let v = read(name), !v.isEmpty { return v }
        let v = NUID.next(length: 32)
        try write(name, v)
        return v
    }

    public func write(_ name: String, _ contents: String) throws {
        let p = path(name)
        let dir = (p as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: p, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: p)
    }
}
