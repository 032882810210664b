import Foundation
import Logging
import Synchronization

/// Transaction isolation levels (PostgreSQL's names).
public enum PGIsolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// A fixed set of libpq connections, each confined to its own thread, lent one caller at a time
/// (postgres-nio style):
/// * a caller leases an *idle* connection — FIFO among waiters, bounded by `acquireTimeout`, and a waiting
///   caller whose task is cancelled leaves the queue at once;
/// * a broken connection is re-established before it is lent (only establishment is retried);
/// * a caller's closure runs at most once: a failure is reported, never retried here. A connection lost
///   after COMMIT was sent surfaces as `PGError.outcomeUnknown`; everything else that fails is "not applied";
/// * `conninfo` may list several hosts (`host=a,b … target_session_attrs=read-write`): reconnects follow
///   the primary after a fail-over.
public final class PGPool: Sendable {
    struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<PGSlot, any Error>
    }

    struct State {
        var idle: [PGSlot] = []
        var waiters: [Waiter] = []
        /// Ids allocated by `lend` that have not parked yet, and those failed (cancelled, timed out) before parking.
        var announced: Set<UInt64> = []
        var failedEarly: [UInt64: any Error] = [:]
        var nextID: UInt64 = 0
        var closed = false
    }

    private let slots: [PGSlot]
    private let state = Mutex(State())
    public let logger: Logger
    public let acquireTimeout: Duration
    let conninfo: String
    let schema: String?

    /// Connects `size` connections, retrying while the server starts (up to `connectTimeout`).
    /// `schema`: the owning service's schema, put first on every connection's search_path.
    /// A `connect_timeout` of 10 s is added to key/value conninfo strings that set none, so a dead host in a
    /// multi-host list is skipped instead of hanging the connection thread (10 s, not less: a scram-sha-256
    /// login on a busy 2-core machine can take several seconds).
    public init(conninfo: String, size: Int, schema: String? = nil, logger: Logger,
                connectTimeout: Duration = .seconds(30), acquireTimeout: Duration = .seconds(10)) async throws {
        let info = Self.withConnectTimeout(conninfo)
        self.logger = logger
        self.acquireTimeout = acquireTimeout
        self.conninfo = info
        self.schema = schema
        var opened: [PGSlot] = []
        do {
            for i in 0..<max(1, size) {
                opened.append(try await PGSlot.open(index: i, conninfo: info, schema: schema, logger: logger, connectTimeout: connectTimeout))
            }
        } catch {
            opened.forEach { $0.stop() }
            throw error
        }
        slots = opened
        state.withLock { $0.idle = opened }
    }

    static func withConnectTimeout(_ conninfo: String) -> String {
        if conninfo.contains("://") || conninfo.contains("connect_timeout") { return conninfo }
        return conninfo + " connect_timeout=10"
    }

    // MARK: public API

    /// Runs `body` once with a leased connection on its thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        if let shared = PGSharedTransaction.joining(self) { return try await shared.run(body) }
        return try await withLease { slot in try await slot.run(body) }
    }

    /// BEGIN … COMMIT around `body` (run once); ROLLBACK when it throws. Inside `withSharedTransaction`
    /// it becomes a savepoint of the shared transaction.
    public func transaction<T: Sendable>(isolation: PGIsolation = .readCommitted,
                                         _ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        if let shared = PGSharedTransaction.joining(self) { return try await shared.nested(body) }
        return try await withLease { slot in
            try await slot.run { conn in try Self.inTransaction(conn, isolation: isolation, body) }
        }
    }

    @discardableResult
    public func query(_ sql: SQL) async throws -> PGResult {
        try await withConnection { try $0.query(sql) }
    }

    /// True inside `withSharedTransaction` of this pool (work here joins that caller's transaction).
    public var inSharedTransaction: Bool { PGSharedTransaction.joining(self) != nil }

    /// Runs `work` after the surrounding shared transaction commits (dropped if it rolls back), or now
    /// when there is none. For side effects that must not be seen before the data (wake-ups, notifications).
    public func afterCommit(_ work: @escaping @Sendable () -> Void) {
        if let shared = PGSharedTransaction.joining(self) { shared.deferUntilCommit(work) } else { work() }
    }

    /// A connection outside the pool, for session state that must outlive one lease.
    public func makeSession() async throws -> PGSession {
        PGSession(slot: try await PGSlot.open(index: -1, conninfo: conninfo, schema: schema, logger: logger, connectTimeout: acquireTimeout))
    }

    /// Fails every waiting caller and closes idle connections; leased ones close when returned.
    public func close() {
        let (waiters, idle) = state.withLock { s -> ([Waiter], [PGSlot]) in
            s.closed = true
            defer { s.waiters.removeAll(); s.idle.removeAll() }
            return (s.waiters, s.idle)
        }
        for w in waiters { w.continuation.resume(throwing: PGPoolError.closed) }
        idle.forEach { $0.stop() }
    }

    /// Callers waiting for a connection now.
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    // MARK: transactions

    static func inTransaction<T>(_ conn: PGConnection, isolation: PGIsolation, _ body: (PGConnection) throws -> T) throws -> T {
        try conn.unsafeExecute(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body(conn)
            try failIfAborted(conn)
        } catch {
            rollback(conn)
            throw error
        }
        try conn.unsafeExecute("COMMIT")
        return value
    }

    /// A statement failed inside the transaction but the error was swallowed: COMMIT would silently roll back.
    static func failIfAborted(_ conn: PGConnection) throws {
        if conn.transactionAborted {
            throw PGError(sqlState: "25P02", message: "a statement failed inside the transaction; it was rolled back")
        }
    }

    static func rollback(_ conn: PGConnection) {
        if conn.isHealthy { _ = try? conn.unsafeExecute("ROLLBACK") }
    }

    // MARK: leasing

    /// Leases a healthy connection for `body` and returns it afterwards.
    func withLease<T: Sendable>(_ body: (PGSlot) async throws -> T) async throws -> T {
        let slot = try await acquire()
        defer { release(slot) }
        return try await body(slot)
    }

    /// An idle connection, re-established first if it broke. Establishment is retried with back-off until
    /// the acquire deadline; nothing of the caller's runs before this succeeds.
    func acquire() async throws -> PGSlot {
        let started = ContinuousClock.now
        let slot = try await acquireHealthy()
        RuntimeMetrics.poolWait(schema: schema, ContinuousClock.now - started)
        RuntimeMetrics.poolInUse(schema: schema, slots.count - state.withLock { $0.idle.count })
        return slot
    }

    private func acquireHealthy() async throws -> PGSlot {
        let deadline = ContinuousClock.now + acquireTimeout
        var backoff = Duration.milliseconds(100)
        while true {
            let slot = try await lend(until: deadline)
            do {
                try await slot.executor.run { _ = try slot.healthyConnection() }
                return slot
            } catch {
                release(slot)
                if error is CancellationError || ContinuousClock.now + backoff >= deadline { throw error }
                logger.warning("PostgreSQL connection could not be re-established, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    private enum Lend {
        case slot(PGSlot)
        case wait(UInt64)
    }

    private func lend(until deadline: ContinuousClock.Instant) async throws -> PGSlot {
        let decision = try state.withLock { s throws -> Lend in
            if s.closed { throw PGPoolError.closed }
            if s.waiters.isEmpty, let slot = s.idle.popLast() { return .slot(slot) }
            s.nextID &+= 1
            s.announced.insert(s.nextID)
            return .wait(s.nextID)
        }
        switch decision {
        case .slot(let slot):
            return slot
        case .wait(let id):
            return try await withThrowingTaskGroup(of: Void.self) { timer in
                timer.addTask {
                    try? await Task.sleep(until: deadline)
                    self.fail(id, PGPoolError.acquireTimeout(self.acquireTimeout))
                }
                let slot = try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (c: CheckedContinuation<PGSlot, any Error>) in park(id, c) }
                } onCancel: {
                    fail(id, CancellationError())
                }
                timer.cancelAll()
                return slot
            }
        }
    }

    private func park(_ id: UInt64, _ continuation: CheckedContinuation<PGSlot, any Error>) {
        enum Now { case fail(any Error), slot(PGSlot), parked }
        let now = state.withLock { s -> Now in
            s.announced.remove(id)
            if let error = s.failedEarly.removeValue(forKey: id) { return .fail(error) }
            if s.closed { return .fail(PGPoolError.closed) }
            // Released meanwhile and nobody ahead: take it.
            if s.waiters.isEmpty, let slot = s.idle.popLast() { return .slot(slot) }
            s.waiters.append(Waiter(id: id, continuation: continuation))
            return .parked
        }
        switch now {
        case .fail(let e): continuation.resume(throwing: e)
        case .slot(let slot): continuation.resume(returning: slot)
        case .parked: break
        }
    }

    /// Ends a wait (timeout or cancellation); a no-op when the waiter was already served.
    private func fail(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { s -> Waiter? in
            if s.announced.contains(id) {
                s.failedEarly[id] = error
                return nil
            }
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Hands the connection to the longest waiter, else back to the idle set.
    func release(_ slot: PGSlot) {
        enum Next { case waiter(Waiter), stop, idle }
        let next = state.withLock { s -> Next in
            if s.closed { return .stop }
            if !s.waiters.isEmpty { return .waiter(s.waiters.removeFirst()) }
            s.idle.append(slot)
            return .idle
        }
        switch next {
        case .waiter(let w): w.continuation.resume(returning: slot)
        case .stop: slot.stop()
        case .idle: RuntimeMetrics.poolInUse(schema: schema, slots.count - state.withLock { $0.idle.count })
        }
    }
}

/// A connection outside the pool on its own thread, for session-bound state (advisory locks held by a
/// leader). It is never re-established behind the caller's back: `reconnect()` says so explicitly.
public final class PGSession: Sendable {
    let slot: PGSlot

    init(slot: PGSlot) { self.slot = slot }

    /// Runs `body` on the session's connection as it is.
    public func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await slot.run(body)
    }

    /// True while the server session is alive.
    public func isHealthy() async -> Bool { await slot.checkHealthy() }

    /// Opens a new server session (locks held by the old one are gone).
    public func reconnect() async throws { try await slot.reconnect() }

    public func close() { slot.stop() }
}
