import AgencyDirectory
import Contracts
import Foundation
import Synchronization

/// Refuses agency ids and OKTMO codes the directory (AgencyService) does not know, before anything is stored.
/// Both are checked against the local copy of the directory first; an agency id it lacks is asked of AgencyService
/// (and remembered for a while). When the directory cannot be asked the call fails as unavailable (intake retries
/// later) rather than store an unchecked reference.
final class DirectoryChecks: Sendable {
    let agencies: AgencyV1.AgencyService.Client
    let directory: LocalDirectory
    private let known = Mutex<[String: ContinuousClock.Instant]>([:])
    let ttl: Duration = .seconds(600)

    init(agencies: AgencyV1.AgencyService.Client, directory: LocalDirectory) {
        self.agencies = agencies
        self.directory = directory
    }

    /// An agency of the local copy of the directory is known without a call; any other id (added since the copy,
    /// or one the copy leaves out) is asked of AgencyService.
    func requireAgency(_ id: String, field: String = "agency_id") async throws {
        if let until = known.withLock({ $0[id] }), ContinuousClock.now < until { return }
        if await directory.latest().agencies.contains(where: { $0.id == id }) { return }
        do {
            _ = try await agencies.getAgency(.init(id: id), options: CallOptions(timeout: .seconds(5)))
        } catch let e as RPCError where e.code == .notFound || e.code == .invalidArgument {
            throw RPCError.invalidArgument("\(field) '\(id)' is not an agency in the directory")
        } catch let e as RPCError {
            throw RPCError.unavailable("the directory cannot confirm \(field) '\(id)': \(e.message)")
        }
        known.withLock { $0[id] = .now + ttl }
    }

    /// An OKTMO of a municipality in the directory, or an 11-digit locality code inside one (its settlement
    /// `RRMMMSSS` or formation `RRMMM000` is known, as routing resolves it).
    func requireMunicipality(_ oktmo: String) async throws {
        guard oktmo.count == 8 || oktmo.count == 11, oktmo.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RPCError.invalidArgument("municipality_oktmo '\(oktmo)' is not an OKTMO code (8 or 11 digits)")
        }
        let list = await directory.latest().municipalities
        guard !list.isEmpty else { throw RPCError.unavailable("the directory cannot confirm municipality_oktmo '\(oktmo)' now") }
        let candidates = [oktmo, String(oktmo.prefix(8)), String(oktmo.prefix(5)) + "000"]
        guard list.contains(where: { candidates.contains($0.oktmo) }) else {
            throw RPCError.invalidArgument("municipality_oktmo '\(oktmo)' is not a municipality of the region (see /api/v1/municipalities)")
        }
    }
}
