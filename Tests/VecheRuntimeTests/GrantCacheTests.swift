import Contracts
import Logging
import Synchronization
import Testing
import VecheAuth
import VecheRuntime

/// The per-service grant cache in front of the directory: stale-if-unavailable only for never-retracted roles,
/// and announced changes taking effect at once.
@Suite("Grant cache: last confirmed roles while the directory is down, never after a change")
struct GrantCacheTests {
    /// A directory that counts lookups, answers after a pause, and can be switched off.
    final class Directory: GrantSource, Sendable {
        let calls = Atomic<Int>(0)
        let down = Atomic<Bool>(false)
        let role = Mutex<Role>(.operator)
        func grants(for principalKey: String) async throws -> [Grant] {
            calls.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(50))
            if down.load(ordering: .relaxed) { throw RPCError.unavailable("directory down") }
            return [Grant(role: role.withLock { $0 })]
        }
    }

    let logger = Logger(label: "test")

    @Test func expiredRolesAreUsedWhileTheDirectoryIsDownButNotAfterAChangeOrTheGrace() async throws {
        let directory = Directory()
        // A grace far longer than a loaded CI runner can stall this test between two calls (a full run once took
        // 63 s here, and a 60 s grace ran out before the stale entry was asked for).
        let cache = GrantCache(source: directory, ttl: .milliseconds(1), staleGrace: .seconds(3_600), nats: nil, logger: logger)
        #expect(try await cache.grants(for: "user:operator") == [Grant(role: .operator)])
        try await Task.sleep(for: .milliseconds(5))
        directory.down.store(true, ordering: .relaxed)
        // Expired, directory down: the last confirmed answer (the directory was asked again first).
        #expect(try await cache.grants(for: "user:operator") == [Grant(role: .operator)])
        #expect(directory.calls.load(ordering: .relaxed) == 2)
        // An announced change retracts it: now the caller is refused, never served the old role.
        cache.invalidate("user:operator")
        await #expect(throws: RPCError.self) { _ = try await cache.grants(for: "user:operator") }
        // A principal never confirmed gets the refusal too.
        await #expect(throws: RPCError.self) { _ = try await cache.grants(for: "user:analyst") }

        // Past the grace the stale entry is not used either.
        let short = GrantCache(source: directory, ttl: .milliseconds(1), staleGrace: .milliseconds(1), nats: nil, logger: logger)
        directory.down.store(false, ordering: .relaxed)
        _ = try await short.grants(for: "user:operator")
        directory.down.store(true, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(10))
        await #expect(throws: RPCError.self) { _ = try await short.grants(for: "user:operator") }
    }
}
