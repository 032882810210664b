import Contracts
import Foundation
import Logging
import VecheRuntime

/// The directory's revision and its change announcements. Every change of what other services copy
/// (routing rules, SLA policies, calendar overrides, the seed) bumps `directory_revision` in its own
/// transaction; after commit `veche.agency.v1.DirectoryChanged` goes out on `Subjects.Directory.changed`
/// so `LocalDirectory` copies refresh (they also poll, so a lost announcement only delays).
struct DirectoryChanges: Sendable {
    let nats: NatsConnection
    let logger: Logger

    /// In the changing transaction: the next revision (the row lock orders concurrent changes).
    static func bump(_ conn: PGConnection) throws -> Int64 {
        guard let row = try conn.query("UPDATE directory_revision SET revision = revision + 1, changed_at = now() WHERE id = 1 RETURNING revision").first else {
            throw RPCError.internalError("directory_revision is missing; run migrations")
        }
        return row.int("revision")
    }

    static func current(_ conn: PGConnection) throws -> Int64 {
        try conn.query("SELECT revision FROM directory_revision WHERE id = 1").first?.int("revision") ?? 0
    }

    /// Announces `revision` once the surrounding transaction committed.
    func announce(_ revision: Int64, what: String, pool: PGPool) {
        pool.afterCommit { [nats, logger] in
            do {
                try nats.publish(subject: Subjects.Directory.changed, payload: AgencyV1.DirectoryChanged(revision: revision, what: what).serializedBytes())
            } catch {
                logger.warning("directory change not announced; copies catch up by polling", metadata: ["revision": "\(revision)", "error": "\(error)"])
            }
        }
    }
}
