import Foundation
import Logging

/// One connection confined to its own OS thread: every closure that touches it runs on that thread
/// (libpq blocks), never on Swift's cooperative pool.
final class PGSlot: @unchecked Sendable {
    let index: Int
    let executor: BlockingExecutor
    let conninfo: String
    let schema: String?
    let logger: Logger
    /// Touched only on `executor`'s thread.
    private var connection: PGConnection?

    private init(index: Int, conninfo: String, schema: String?, logger: Logger) {
        self.index = index
        self.conninfo = conninfo
        self.schema = schema
        self.logger = logger
        executor = BlockingExecutor(name: "pg-\(index)", threads: 1, capacity: 64)
    }

    /// Opens the connection, retrying establishment while the server starts (up to `connectTimeout`).
    static func open(index: Int, conninfo: String, schema: String?, logger: Logger, connectTimeout: Duration) async throws -> PGSlot {
        let slot = PGSlot(index: index, conninfo: conninfo, schema: schema, logger: logger)
        let started = ContinuousClock.now
        while true {
            do {
                try await slot.executor.run { try slot.connect() }
                return slot
            } catch {
                if ContinuousClock.now - started > connectTimeout { slot.stop(); throw error }
                logger.warning("PostgreSQL not reachable yet, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// On the slot's thread: a fresh server session.
    private func connect() throws {
        connection = nil
        connection = try PGConnection(conninfo: conninfo, schema: schema, logger: logger)
    }

    /// On the slot's thread: the connection, re-established first when it is broken.
    func healthyConnection() throws -> PGConnection {
        if let connection {
            try connection.ensureHealthy()
            return connection
        }
        try connect()
        guard let connection else { throw PGError(sqlState: "08003", message: "no connection", connectionLost: true) }
        return connection
    }

    /// On the slot's thread: the connection as it is (no reconnect), for session-bound work.
    func currentConnection() throws -> PGConnection {
        guard let connection else { throw PGError(sqlState: "08003", message: "no connection", connectionLost: true) }
        return connection
    }

    /// Runs `body` with the connection on the slot's thread. `cancellable: false` for work that must run
    /// even when the caller was cancelled (finishing a transaction).
    func run<T: Sendable>(cancellable: Bool = true, _ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let work: @Sendable () throws -> T = { try body(try self.currentConnection()) }
        return cancellable ? try await executor.run(work) : try await executor.runToCompletion(work)
    }

    /// Closes the connection (on its thread) and stops the thread.
    func stop() {
        try? executor.submit { self.connection = nil }
        executor.shutdown()
    }

    /// Connection health as seen from its thread (reads pending input without blocking).
    func checkHealthy() async -> Bool {
        (try? await executor.run { self.connection?.isHealthy ?? false }) ?? false
    }

    /// Re-establishes the server session (session state such as advisory locks is gone).
    func reconnect() async throws {
        try await executor.run { try self.connect() }
    }
}
