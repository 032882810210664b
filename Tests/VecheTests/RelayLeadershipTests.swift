import Foundation
import Logging
import Synchronization
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AppealService

/// Log lines a logger was given (level and message), for tests of what a component logs.
private final class LogRecords: Sendable {
    let lines = Mutex<[(Logger.Level, String)]>([])
    func count(_ level: Logger.Level, containing text: String) -> Int {
        lines.withLock { $0.filter { $0.0 == level && $0.1.contains(text) }.count }
    }
}

private struct CapturingHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        records.lines.withLock { $0.append((level, message.description)) }
    }
}

/// The event relay's leader lease during a database outage (real PostgreSQL; the outage is a login role that may
/// no longer log in, with its sessions terminated).
@Suite("Event relay leadership through a database outage")
struct RelayLeadershipTests {
    @Test("The relay asks for its lease on every poll; an outage is logged once however often it asks, and the recovery once, and the lease is taken again")
    func anOutageIsLoggedOnce() async throws {
        try await withCluster { cluster in
            let admin = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { admin.close() }
            let role = "relay_probe_" + UUID().uuidString.prefix(8).lowercased()
            let password = UUID().uuidString
            try await admin.withConnection { conn in
                try conn.unsafeExecute("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
                try conn.unsafeExecute("GRANT CONNECT ON DATABASE \"\(cluster.database)\" TO \(role)")
            }
            let info = cluster.databaseAdminConninfo.split(separator: " ")
                .filter { !$0.hasPrefix("user=") && !$0.hasPrefix("passfile=") && !$0.hasPrefix("password=") }
                .joined(separator: " ") + " user=\(role) password=\(password)"
            let records = LogRecords()
            let logger = Logger(label: "relay-test") { _ in CapturingHandler(records: records) }
            let pool = try await PGPool(conninfo: info, size: 1, logger: logger, acquireTimeout: .seconds(2))
            let leadership = Leadership(pool: pool, logger: logger)
            #expect(await leadership.holds())

            try await admin.withConnection { conn in
                try conn.unsafeExecute("ALTER ROLE \(role) NOLOGIN")
                try conn.unsafeExecute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
            }
            #expect(try await eventually {
                try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = \(role)").first?.int("n") == 0
            })
            for _ in 0..<6 { #expect(await leadership.holds() == false) }
            #expect(records.count(.warning, containing: "cannot take the leader lock") == 1)

            try await admin.withConnection { try $0.unsafeExecute("ALTER ROLE \(role) LOGIN") }
            #expect(await leadership.holds())
            #expect(records.count(.notice, containing: "the database answers again") == 1)
            #expect(records.count(.info, containing: "this instance publishes events") == 2)

            leadership.close()
            pool.close()
            try await admin.withConnection { conn in
                try conn.unsafeExecute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
            }
            _ = try? await eventually {
                try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = \(role)").first?.int("n") == 0
            }
            try await admin.withConnection { conn in
                try conn.unsafeExecute("REVOKE CONNECT ON DATABASE \"\(cluster.database)\" FROM \(role)")
                try conn.unsafeExecute("DROP ROLE \(role)")
            }
        }
    }
}
