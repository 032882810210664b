import Foundation
import Synchronization

extension PGPool {
    /// Runs `body` so that every `withConnection`, `transaction` and `query` on this pool made inside it (the
    /// same task tree) joins **one** transaction, committed only after `body` returned. This lets a wrapper
    /// store something in the same transaction as whatever `body` changed (idempotency keys record the outcome
    /// of an RPC this way) without the code inside knowing.
    ///
    /// * The transaction begins lazily, on the first database use (or after `body` when it used none):
    ///   a connection is leased, `BEGIN`, then `prepare` runs in it (it may throw to stop everything, e.g. to
    ///   replay a stored outcome); nested `transaction` calls become savepoints.
    /// * After `body`: on success `finish(conn, .success)` runs and the transaction commits when it returns
    ///   true. When `body` threw after the transaction began, its work is rolled back to the point after
    ///   `prepare` and `finish(conn, .failure)` decides whether to commit what it wrote (true) or roll back.
    /// * COMMIT lost with the connection surfaces as `PGError.outcomeUnknown`.
    public func withSharedTransaction<T: Sendable>(
        prepare: @escaping @Sendable (PGConnection) throws -> Void,
        finish: @escaping @Sendable (PGConnection, Result<T, any Error>) throws -> Bool,
        _ body: () async throws -> T
    ) async throws -> T {
        let shared = PGSharedTransaction(pool: self, prepare: prepare)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await PGSharedTransaction.$current.withValue(shared) { try await body() })
        } catch {
            outcome = .failure(error)
        }
        return try await shared.complete(outcome, finish: finish)
    }
}

/// The transaction shared by a task tree inside `PGPool.withSharedTransaction`.
final class PGSharedTransaction: Sendable {
    @TaskLocal static var current: PGSharedTransaction?

    /// The shared transaction of the current task when it belongs to `pool`.
    static func joining(_ pool: PGPool) -> PGSharedTransaction? {
        guard let c = current, c.pool === pool else { return nil }
        return c
    }

    private enum Phase {
        case idle
        case beginning([CheckedContinuation<PGSlot, any Error>])
        case begun(PGSlot)
        case failed(any Error)
        case finished
    }

    private struct State {
        var phase: Phase = .idle
        var deferred: [@Sendable () -> Void] = []
        var savepoints = 0
    }

    static let bodySavepoint = "veche_body"
    let pool: PGPool
    let prepare: @Sendable (PGConnection) throws -> Void
    private let state = Mutex(State())

    init(pool: PGPool, prepare: @escaping @Sendable (PGConnection) throws -> Void) {
        self.pool = pool
        self.prepare = prepare
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await slot().run(body)
    }

    /// A nested transaction: a savepoint rolled back when `body` throws.
    func nested<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let name = state.withLock { s -> String in s.savepoints += 1; return "veche_sp\(s.savepoints)" }
        return try await slot().run { conn in
            try conn.unsafeExecute("SAVEPOINT \(name)")
            do {
                let value = try body(conn)
                try PGPool.failIfAborted(conn)
                try conn.unsafeExecute("RELEASE SAVEPOINT \(name)")
                return value
            } catch {
                if conn.isHealthy { _ = try? conn.unsafeExecute("ROLLBACK TO SAVEPOINT \(name)") }
                throw error
            }
        }
    }

    func deferUntilCommit(_ work: @escaping @Sendable () -> Void) {
        state.withLock { $0.deferred.append(work) }
    }

    /// The transaction's connection; the first caller begins the transaction, concurrent ones wait for it.
    private func slot() async throws -> PGSlot {
        enum Step { case use(PGSlot), fail(any Error), begin, wait }
        let step = state.withLock { s -> Step in
            switch s.phase {
            case .idle: s.phase = .beginning([]); return .begin
            case .beginning: return .wait
            case .begun(let slot): return .use(slot)
            case .failed(let e): return .fail(e)
            case .finished: return .fail(PGPoolError.closed)
            }
        }
        switch step {
        case .use(let slot): return slot
        case .fail(let e): throw e
        case .begin: return try await begin()
        case .wait:
            return try await withCheckedThrowingContinuation { (c: CheckedContinuation<PGSlot, any Error>) in
                let now = state.withLock { s -> Result<PGSlot, any Error>? in
                    switch s.phase {
                    case .beginning(var waiting): waiting.append(c); s.phase = .beginning(waiting); return nil
                    case .begun(let slot): return .success(slot)
                    case .failed(let e): return .failure(e)
                    case .idle, .finished: return .failure(PGPoolError.closed)
                    }
                }
                if let now { c.resume(with: now) }
            }
        }
    }

    private func begin() async throws -> PGSlot {
        let result: Result<PGSlot, any Error>
        do {
            let slot = try await pool.acquire()
            let prepare = self.prepare
            do {
                try await slot.run(cancellable: false) { conn in
                    try conn.unsafeExecute("BEGIN")
                    do {
                        try prepare(conn)
                        try conn.unsafeExecute("SAVEPOINT \(Self.bodySavepoint)")
                    } catch {
                        PGPool.rollback(conn)
                        throw error
                    }
                }
                result = .success(slot)
            } catch {
                pool.release(slot)
                result = .failure(error)
            }
        } catch {
            result = .failure(error)
        }
        let waiting = state.withLock { s -> [CheckedContinuation<PGSlot, any Error>] in
            guard case .beginning(let waiting) = s.phase else { return [] }
            switch result {
            case .success(let slot): s.phase = .begun(slot)
            case .failure(let e): s.phase = .failed(e)
            }
            return waiting
        }
        for c in waiting { c.resume(with: result) }
        return try result.get()
    }

    /// Ends the transaction after `body` (see `PGPool.withSharedTransaction`) and returns its value.
    func complete<T: Sendable>(_ outcome: Result<T, any Error>,
                               finish: @escaping @Sendable (PGConnection, Result<T, any Error>) throws -> Bool) async throws -> T {
        let phase = state.withLock { $0.phase }
        let slot: PGSlot
        switch phase {
        case .failed(let e):
            throw e
        case .idle:
            // Nothing touched the database: an error is passed on as it is; a success still records its outcome.
            if case .failure(let e) = outcome { throw e }
            slot = try await self.slot()
        case .beginning, .finished:
            slot = try await self.slot()
        case .begun(let s):
            slot = s
        }
        defer {
            state.withLock { $0.phase = .finished }
            pool.release(slot)
        }
        let committed = try await slot.run(cancellable: false) { conn -> Bool in
            do {
                let commit: Bool
                switch outcome {
                case .success:
                    try PGPool.failIfAborted(conn)
                    commit = try finish(conn, outcome)
                case .failure:
                    guard conn.isHealthy else { return false }
                    try conn.unsafeExecute("ROLLBACK TO SAVEPOINT \(Self.bodySavepoint)")
                    commit = try finish(conn, outcome)
                }
                guard commit else {
                    PGPool.rollback(conn)
                    return false
                }
            } catch {
                PGPool.rollback(conn)
                throw error
            }
            try conn.unsafeExecute("COMMIT")
            return true
        }
        if committed {
            for work in state.withLock({ $0.deferred }) { work() }
        }
        return try outcome.get()
    }
}
