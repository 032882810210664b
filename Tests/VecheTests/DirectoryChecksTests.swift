import Contracts
import Foundation
import Synchronization
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AppealService

/// Intake's reference checks against the directory (`DirectoryChecks`), on the seeded demo region.
@Suite("AppealService: agency ids are checked against the local directory copy first")
struct DirectoryChecksTests {
    /// A transport on which every call fails as an unreachable AgencyService would, counting the calls.
    final class Unreachable: RPCTransport, Sendable {
        let calls = Atomic<Int>(0)
        func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8] {
            calls.add(1, ordering: .relaxed)
            throw RPCError.unavailable("injected: AgencyService unreachable")
        }
    }

    @Test("An agency in the local copy is accepted without a call (AgencyService unreachable); an id the copy lacks is asked of AgencyService and, unanswered, is 503, never accepted")
    func agenciesOfTheLocalCopyNeedNoCall() async throws {
        try await withPlatform { platform in
            let directory = try #require(platform.appeal?.directory)
            let known = try #require(directory.snapshot.agencies.first?.id, "the demo region has agencies")
            let transport = Unreachable()
            let checks = DirectoryChecks(agencies: AgencyV1.AgencyService.Client(transport: transport), directory: directory)
            try await checks.requireAgency(known)
            let callsForKnown = transport.calls.load(ordering: .relaxed)
            #expect(callsForKnown == 0)
            await #expect(throws: RPCError.self) { try await checks.requireAgency("no-such-agency") }
            let callsForUnknown = transport.calls.load(ordering: .relaxed)
            #expect(callsForUnknown == 1)
        }
    }
}
