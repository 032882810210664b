import Foundation
import Synchronization
import Testing
@testable import RatingService

/// RatingService's single flight: concurrent requests for the same figures share one aggregate query.
@Suite("RatingService: concurrent requests for the same figures share one computation")
struct SharedReadTests {
    /// How many times a read closure ran.
    final class ReadCounter: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Returns once `n` callers wait for the computation of `key` (at most 30 s: on a loaded machine the callers'
    /// tasks may start late, so a fixed sleep would let one of them arrive after the computation ended).
    static func untilWaiting(_ n: Int, _ shared: SharedRead<String, [Int]>, _ key: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while shared.waiting(for: key) < n && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("Concurrent requests for the same key share one computation; a later request computes again; a failed computation fails every caller that waited for it")
    func concurrentRequestsShareOneRead() async throws {
        let shared = SharedRead<String, [Int]>()
        let entered = ReadCounter()
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await shared.value("2026-11 by agency") {
                        entered.count.add(1, ordering: .relaxed)
                        try await Self.untilWaiting(5, shared, "2026-11 by agency")
                        return [42]
                    }
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.count == 6 && results.allSatisfy { $0 == [42] })
        #expect(entered.count.load(ordering: .relaxed) == 1 && shared.reads == 1)
        _ = try await shared.value("2026-11 by agency") { [42] }
        #expect(shared.reads == 2)
        _ = try await shared.value("2026-10 by agency") { [7] }
        #expect(shared.reads == 3, "another key is another computation")

        struct Broken: Error {}
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await shared.value("2026-11 by agency") {
                            try await Self.untilWaiting(2, shared, "2026-11 by agency")
                            throw Broken()
                        }
                        return false
                    } catch { return error is Broken }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 3 && shared.reads == 4)
    }
}
