import Contracts
import VecheAuth
import VecheRuntime

/// The signed-in caller's roles as the directory answers them to the caller itself (`ResolveGrants` with the
/// caller's token: the gateway is no service and may not look up anyone else's). `Backends.grants` caches the answer
/// per principal in a `GrantCache`, as every service does: 60 s, dropped at once when AgencyService announces a
/// change of that person's roles (`veche.events.v1.grants.changed`). Before, every dashboard request and every
/// workspace page asked the directory — one RPC and one PostgreSQL query each (216 µs of AgencyService and 368 µs of
/// PostgreSQL per dashboard request at 2,054 requests a second, `bench --reads`, 2026-12-05).
struct CallerGrantSource: GrantSource {
    let client: AgencyV1.AgencyService.Client
    let options: CallOptions

    func grants(for principalKey: String) async throws -> [Grant] {
        let r = try await client.resolveGrants(.init(), options: options)
        guard r.principal == principalKey else {
            throw RPCError.internalError("the directory answered for \(r.principal), not for the caller \(principalKey)")
        }
        return r.grants.compactMap(Grant.init)
    }
}
