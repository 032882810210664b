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

    @Test("Concurrent requests for the same key share one computation; a later request computes again; a failed computation fails every caller that waited for it")
    func concurrentRequestsShareOneRead() async throws {
        let shared = SharedRead<String, [Int]>()
        let entered = ReadCounter()
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await shared.value("2026-11 by agency") {
                        entered.count.add(1, ordering: .relaxed)
                        try await Task.sleep(for: .milliseconds(300))   // long enough for every caller to arrive
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
                            try await Task.sleep(for: .milliseconds(300))
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
