import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VecheAuth

/// Where a principal's roles come from.
public protocol GrantSource: Sendable {
    func grants(for principalKey: String) async throws -> [Grant]
}

extension Grant {
    /// From the directory's wire form; nil for a role this build does not know (ignored, never widened).
    public init?(_ g: AgencyV1.Grant) {
        guard let role = Role(rawValue: g.role) else { return nil }
        self.init(role: role, agencyIDs: Set(g.agencyIds), topicCodes: Set(g.topicCodes), surveyID: g.surveyId,
                  teamID: g.teamId, channel: g.channel)
    }

    public var wire: AgencyV1.Grant {
        AgencyV1.Grant(role: role.rawValue, agencyIds: agencyIDs.sorted(), topicCodes: topicCodes.sorted(), surveyId: surveyID,
                       teamId: teamID, channel: channel)
    }
}

/// Asks AgencyService (`ResolveGrants`) with the service's own client credentials.
/// A lookup that times out is asked once more with a longer deadline: under load the directory answers late, not never.
public struct DirectoryGrantSource: GrantSource {
    let client: AgencyV1.AgencyService.Client

    public init(transport: any RPCTransport) { client = .init(transport: transport) }

    public func grants(for principalKey: String) async throws -> [Grant] {
        var lastError: RPCError?
        for timeout in [Duration.seconds(5), .seconds(10)] {
            do {
                let r = try await client.resolveGrants(.init(principal: principalKey), options: CallOptions(timeout: timeout))
                return r.grants.compactMap(Grant.init)
            } catch let e as RPCError where e.code == .unavailable || e.code == .deadlineExceeded {
                lastError = e
                try Task.checkCancellation()
            }
        }
        throw RPCError.unavailable("the directory (AgencyService) cannot confirm the caller's roles: \(lastError?.message ?? "")")
    }
}

/// Caches grants per principal for `ttl` and drops them when the directory announces a change
/// (`veche.events.v1.grants.changed`), so a revoked role stops working within moments, not at the TTL.
/// While the directory is unavailable, an entry that expired less than `staleGrace` ago is still used:
/// it was never invalidated by an announced change, so it is what the directory last said.
/// A cache without a source of its own (the gateway's) is asked only through `grants(for:via:)`.
public final class GrantCache: GrantSource, Service, @unchecked Sendable {
    let source: (any GrantSource)?
    let ttl: Duration
    let staleGrace: Duration
    let nats: NatsConnection?
    let logger: Logger
    private let entries = Mutex<[String: (grants: [Grant], until: ContinuousClock.Instant)]>([:])
    private let generation = Atomic<UInt64>(0)

    /// `source`: where a miss is asked (nil: only `grants(for:via:)` may be used).
    /// `nats`: subscribe to change announcements while running (nil: TTL only).
    public init(source: (any GrantSource)?, ttl: Duration = .seconds(60), staleGrace: Duration = .seconds(300),
                nats: NatsConnection?, logger: Logger) {
        self.source = source
        self.ttl = ttl
        self.staleGrace = staleGrace
        self.nats = nats
        self.logger = logger
    }

    public func grants(for principalKey: String) async throws -> [Grant] {
        guard let source else { throw RPCError.internalError("this roles cache has no source of its own; ask with grants(for:via:)") }
        return try await grants(for: principalKey, via: source)
    }

    /// As `grants(for:)`, asking `source` on a miss: the gateway may look up only the caller's own roles, so it asks
    /// with the caller's token, one source per request.
    public func grants(for principalKey: String, via source: any GrantSource) async throws -> [Grant] {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[principalKey] }), now < hit.until { return hit.grants }
        let started = generation.load(ordering: .acquiring)
        let fresh: [Grant]
        do {
            fresh = try await source.grants(for: principalKey)
        } catch let e as RPCError where e.code == .unavailable {
            // Only what the directory said and never retracted; a change announcement removes the entry.
            guard let stale = entries.withLock({ $0[principalKey] }), ContinuousClock.now < stale.until + staleGrace else { throw e }
            logger.warning("the directory is unavailable; using the caller's last confirmed roles", metadata: ["principal": "\(principalKey)"])
            return stale.grants
        }
        // A change announced while we were asking may not be in the answer: use it once, do not cache it.
        if generation.load(ordering: .acquiring) == started {
            entries.withLock { $0[principalKey] = (fresh, now + ttl) }
        }
        return fresh
    }

    /// Forgets one principal (or everyone for "").
    public func invalidate(_ principalKey: String) {
        generation.add(1, ordering: .releasing)
        entries.withLock { e in
            if principalKey.isEmpty { e.removeAll() } else { e.removeValue(forKey: principalKey) }
        }
    }

    public func run() async throws {
        guard let nats else { try? await gracefulShutdown(); return }
        let sub = try nats.subscribe(subject: Subjects.Grants.changed, queue: nil) { [weak self] msg in
            self?.invalidate(String(decoding: msg.payload, as: UTF8.self))
        }
        try? await gracefulShutdown()
        sub.unsubscribe()
    }
}
