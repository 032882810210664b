import Foundation
import RatingEngine
import Synchronization

/// Requests that need the same facts (period bounds and topic) while they are being read share that one read
/// (single flight): the dashboard asks for ratings, the previous period, top problems and KPIs of one period at once,
/// and every indicator of a year needs that year's facts. Nothing is kept after the read ends, so no answer is older
/// than its request — projections may change in another instance at any time. The first caller reads in its own
/// task; if it fails (or is cancelled) the waiting callers get the same error.
final class SharedFactsLoad: Sendable {
    /// Which facts: registered in [start, end), of one topic ("" = all).
    struct Key: Hashable, Sendable {
        var start: Date
        var end: Date
        var topic: String
    }

    /// What a caller is resumed with: the facts another caller read, or the turn to read them itself.
    private enum Turn { case lead, done([AppealFact]) }
    private typealias Waiter = CheckedContinuation<Turn, any Error>
    private let inFlight = Mutex<[Key: [Waiter]]>([:])
    private let readsStarted = Atomic<Int>(0)

    /// Reads started so far (each shared by every caller that came while it ran).
    var reads: Int { readsStarted.load(ordering: .relaxed) }

    func facts(_ key: Key, read: () async throws -> [AppealFact]) async throws -> [AppealFact] {
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
        if case .done(let facts) = turn { return facts }
        readsStarted.add(1, ordering: .relaxed)
        let result: Result<[AppealFact], any Error>
        do { result = .success(try await read()) } catch { result = .failure(error) }
        let waiters = inFlight.withLock { $0.removeValue(forKey: key) ?? [] }
        for w in waiters { w.resume(with: result.map { .done($0) }) }
        return try result.get()
    }
}
