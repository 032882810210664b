import Foundation
import Synchronization
import VecheRuntime

/// Group commit of concurrent SubmitAppeal calls: the first caller becomes the leader and stores its appeal
/// together with every submission queued meanwhile in one transaction (`IntakeWriter`); callers that arrive while
/// a transaction runs queue up for the next one. After its transaction the leader hands the lead to the first
/// queued caller (so no caller waits for more than its own and the previous transaction). If a shared
/// transaction fails, each of its appeals is retried in a transaction of its own, so one bad submission
/// fails only its caller.
final class IntakeGroupCommit: Sendable {
    /// What a queued caller is woken with: its result, or the lead.
    private enum Turn: Sendable {
        case done(Result<StoredIntake, any Error>)
        case lead
    }

    private struct Waiter {
        let item: PreparedAppeal
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var queue: [Waiter] = []
        var leading = false
        /// Callers that saw a leader and are about to queue (the leader does not retire while any are on the way).
        var arriving = 0
    }

    private let state = Mutex(State())
    let pool: PGPool
    let maxBatch: Int

    init(pool: PGPool, maxBatch: Int = 256) {
        self.pool = pool
        self.maxBatch = maxBatch
    }

    /// Stores one appeal, sharing the transaction with concurrent callers — except inside a caller's shared
    /// transaction (an idempotency key records the outcome with the change): that one joins its own.
    func store(_ item: PreparedAppeal, writer: IntakeWriter) async throws -> StoredIntake {
        if pool.inSharedTransaction { return try await pool.transaction { conn in try writer.store(conn, [item])[0] } }
        let lead = state.withLock { s -> Bool in
            if s.leading { s.arriving += 1; return false }
            s.leading = true
            return true
        }
        if !lead {
            let turn = await withCheckedContinuation { (c: CheckedContinuation<Turn, Never>) in
                state.withLock { s in
                    s.queue.append(Waiter(item: item, continuation: c))
                    s.arriving -= 1
                }
            }
            if case .done(let result) = turn { return try result.get() }
        }
        return try await leadOnce(item, writer: writer)
    }

    /// Stores `own` with what is queued, wakes their callers, then passes the lead on (or retires).
    private func leadOnce(_ own: PreparedAppeal, writer: IntakeWriter) async throws -> StoredIntake {
        let followers = state.withLock { s -> [Waiter] in
            let n = min(s.queue.count, maxBatch - 1)
            defer { s.queue.removeFirst(n) }
            return Array(s.queue.prefix(n))
        }
        // Not cancelled with the leader's call: the followers' appeals are in the same transaction. Awaited here.
        let batch = [own] + followers.map(\.item)
        let results = await Task.detached { await self.write(batch, writer: writer) }.value
        for (w, r) in zip(followers, results.dropFirst()) { w.continuation.resume(returning: .done(r)) }
        while true {
            let next = state.withLock { s -> (Waiter?, Bool) in
                if !s.queue.isEmpty { return (s.queue.removeFirst(), true) }
                if s.arriving > 0 { return (nil, false) }
                s.leading = false
                return (nil, true)
            }
            if next.1 {
                next.0?.continuation.resume(returning: .lead)
                break
            }
            await Task.yield()   // a caller is between seeing the leader and queueing: wait for it
        }
        return try results[0].get()
    }

    private func write(_ items: [PreparedAppeal], writer: IntakeWriter) async -> [Result<StoredIntake, any Error>] {
        do {
            let stored = try await pool.transaction { conn in try writer.store(conn, items) }
            return stored.map { .success($0) }
        } catch {
            guard items.count > 1 else { return [.failure(error)] }
            var out: [Result<StoredIntake, any Error>] = []
            for item in items {
                do {
                    out.append(.success(try await pool.transaction { conn in try writer.store(conn, [item])[0] }))
                } catch {
                    out.append(.failure(error))
                }
            }
            return out
        }
    }
}
