import Foundation
import Synchronization

/// Requests that need the same figures while they are being computed share that one computation (single flight):
/// the dashboard asks for the rankings of a period, the previous period, KPIs and indicators at once, and several
/// viewers ask for the same ranking together — each is one aggregate query over a month's facts (a second of
/// PostgreSQL at 300,000 facts). Nothing is kept after the computation ends, so no answer is older than its request.
/// The first caller computes in its own task; if it fails (or is cancelled) the waiting callers get the same error.
final class SharedRead<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What a caller is resumed with: the value another caller computed, or the turn to compute it itself.
    private enum Turn { case lead, done(Value) }
    private typealias Waiter = CheckedContinuation<Turn, any Error>
    private let inFlight = Mutex<[Key: [Waiter]]>([:])
    private let readsStarted = Atomic<Int>(0)

    /// Computations started so far (each shared by every caller that came while it ran).
    var reads: Int { readsStarted.load(ordering: .relaxed) }

    /// Callers waiting for the computation of `key` in progress (tests use it to know every caller has arrived).
    func waiting(for key: Key) -> Int { inFlight.withLock { $0[key]?.count ?? 0 } }

    func value(_ key: Key, read: () async throws -> Value) async throws -> Value {
        let turn = try await withCheckedThrowingContinuation { (c: Waiter) in
            let leads = inFlight.withLock { flights -> Bool in
                if flights[key] != nil {
                    flights[key]?.append(c)
                    return false
                }
                flights[key] = []
                return true
            }
            if leads { c.resume(returning: .lead) }
        }
        if case .done(let value) = turn { return value }
        readsStarted.add(1, ordering: .relaxed)
        let result: Result<Value, any Error>
        do { result = .success(try await read()) } catch { result = .failure(error) }
        let waiters = inFlight.withLock { $0.removeValue(forKey: key) ?? [] }
        for w in waiters { w.resume(with: result.map { .done($0) }) }
        return try result.get()
    }
}
