import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VecheRuntime
import WorkCalendar

/// One revision of AgencyService's directory, as a service keeps it locally.
public struct DirectorySnapshot: Sendable {
    /// AgencyService's directory revision; 0 until a copy was received (statutory defaults apply).
    public var revision: Int64
    public var municipalities: [AgencyV1.Municipality]
    public var agencies: [AgencyV1.Agency]
    public var routingRules: [AgencyV1.RoutingRule]
    public var slaPolicies: [AgencyV1.SlaPolicy]
    public var calendarOverrides: [CalendarOverride]
    /// The deadline engine over these policies and overrides, in the region's time zone.
    public var deadlines: DeadlineEngine

    /// Nothing known yet: no directory, the statutory 59-ФЗ deadline policies.
    public static func statutory(timeZone: TimeZone) -> DirectorySnapshot {
        DirectorySnapshot(revision: 0, municipalities: [], agencies: [], routingRules: [], slaPolicies: DeadlineEngine.statutoryPolicies,
                          calendarOverrides: [], deadlines: .statutory(timeZone: timeZone))
    }
}

extension DirectorySnapshot {
    init(_ r: AgencyV1.GetDirectorySnapshotResponse, timeZone: TimeZone) {
        let overrides = r.calendarOverrides.compactMap(CalendarOverride.init(message:))
        self.init(revision: r.revision, municipalities: r.municipalities, agencies: r.agencies, routingRules: r.routingRules,
                  slaPolicies: r.slaPolicies, calendarOverrides: overrides,
                  deadlines: DeadlineEngine(policies: r.slaPolicies, overrides: overrides, timeZone: timeZone))
    }
}

/// A local copy of AgencyService's directory — municipalities, agencies, routing rules, SLA policies and
/// regional calendar overrides — so a service decides with it without an RPC per appeal:
/// * refreshed when AgencyService announces a change (`Subjects.Directory.changed`, core NATS) and polled
///   every `pollInterval` (a missed announcement is caught up; an unchanged directory costs one small reply);
/// * persisted in the owning service's schema (`migrationSQL`), so a restart while AgencyService is down
///   starts from the last copy; before any copy exists the statutory 59-ФЗ policies apply;
/// * `snapshot` is a value copy behind a lock, cheap and safe from any thread.
public final class LocalDirectory: Service, Sendable {
    /// The table a service keeping a copy adds to its schema (as one of its migrations).
    public static let migrationSQL = """
        -- Local copy of AgencyService's directory (see LocalDirectory).
        CREATE TABLE directory_copy (
            id int PRIMARY KEY CHECK (id = 1),
            revision bigint NOT NULL,
            snapshot bytea NOT NULL,              -- veche.agency.v1.GetDirectorySnapshotResponse
            fetched_at timestamptz NOT NULL DEFAULT now()
        );
        """

    let client: AgencyV1.AgencyService.Client
    let nats: NatsConnection
    let pool: PGPool?
    let timeZone: TimeZone
    let logger: Logger
    let pollInterval: Duration
    let retryInterval: Duration
    let callTimeout: Duration
    private let current: Mutex<DirectorySnapshot>
    /// When AgencyService was last asked while the copy is still empty (rate-limits on-demand fetches).
    private let lastEmptyFetch = Mutex<ContinuousClock.Instant?>(nil)

    /// `timeZone`: the process's configured region time zone (the one time zone of the platform).
    /// `pollInterval`: how often an unchanged directory is re-checked; `retryInterval`: how soon after a failed
    /// refresh the next one is tried.
    /// `nats` receives the change announcements; `transport` (default: `nats`) carries the calls to
    /// AgencyService — a service passes its credentialed transport (`ServiceEnvironment.rpc`).
    public init(nats: NatsConnection, transport: (any RPCTransport)? = nil, pool: PGPool?, timeZone: TimeZone, logger: Logger,
                pollInterval: Duration = .seconds(60), retryInterval: Duration = .seconds(2), callTimeout: Duration = .seconds(2)) {
        self.client = AgencyV1.AgencyService.Client(transport: transport ?? nats)
        self.nats = nats
        self.pool = pool
        self.timeZone = timeZone
        self.logger = logger
        self.pollInterval = pollInterval
        self.retryInterval = retryInterval
        self.callTimeout = callTimeout
        current = Mutex(.statutory(timeZone: timeZone))
    }

    /// The current copy.
    public var snapshot: DirectorySnapshot { current.withLock { $0 } }

    /// The current copy; while nothing was ever received (a caller served before `start()` finished, or a
    /// service started before AgencyService), first the persisted copy is read and, when there is none, one
    /// attempt is made to fetch it (at most one try per `retryInterval`), so early callers do not decide on
    /// defaults — nor fail because AgencyService is slow to answer while another instance already stored a copy.
    public func latest() async -> DirectorySnapshot {
        let copy = snapshot
        guard copy.revision == 0 else { return copy }
        let now = ContinuousClock.now
        let due = lastEmptyFetch.withLock { last -> Bool in
            if let l = last, now - l < retryInterval { return false }
            last = now
            return true
        }
        guard due else { return snapshot }
        await loadStored()
        if snapshot.revision == 0 { _ = try? await refresh() }
        return snapshot
    }

    /// Installs the copy persisted in the service's schema, if any and newer than the one in memory.
    func loadStored() async {
        guard let pool else { return }
        do {
            if let row = try await pool.query("SELECT snapshot FROM directory_copy WHERE id = 1").first,
               let bytes = row.bytes("snapshot") {
                install(try AgencyV1.GetDirectorySnapshotResponse(serializedBytes: bytes))
            }
        } catch {
            logger.warning("directory copy: stored copy unreadable", metadata: ["error": "\(error)"])
        }
    }

    /// Loads the persisted copy, then asks AgencyService once; failures are logged and the copy (or the
    /// statutory defaults) stays in use until a later refresh succeeds.
    public func start() async {
        await loadStored()
        do {
            try await refresh()
        } catch {
            logger.notice("directory copy: AgencyService unavailable, using revision \(snapshot.revision)", metadata: ["error": "\(error)"])
        }
    }

    /// Fetches the directory unless the copy is at AgencyService's revision; true when the copy changed.
    @discardableResult
    public func refresh() async throws -> Bool {
        let known = snapshot.revision
        let r = try await client.getDirectorySnapshot(.init(knownRevision: known), options: CallOptions(timeout: callTimeout))
        if r.unchanged || r.revision < known { return false }
        guard install(r) else { return false }
        if r.timeZone != timeZone.identifier {
            logger.warning("directory copy: AgencyService runs in another time zone; deadlines use this service's",
                           metadata: ["agency": "\(r.timeZone)", "local": "\(timeZone.identifier)"])
        }
        logger.info("directory copy refreshed", metadata: ["revision": "\(r.revision)"])
        if let pool {
            try await pool.query("""
                INSERT INTO directory_copy (id, revision, snapshot) VALUES (1, \(r.revision), \(PGBytes.encode(r.serializedBytes()))::bytea)
                ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, snapshot = EXCLUDED.snapshot, fetched_at = now()
                WHERE directory_copy.revision <= EXCLUDED.revision
                """)
        }
        return true
    }

    /// Installs a newer revision; false when the copy is already as new (a concurrent refresh won).
    @discardableResult
    private func install(_ r: AgencyV1.GetDirectorySnapshotResponse) -> Bool {
        let next = DirectorySnapshot(r, timeZone: timeZone)
        return current.withLock { s in
            guard next.revision > s.revision else { return false }
            s = next
            return true
        }
    }

    /// Follows change announcements and polls until graceful shutdown; after a failed refresh the next try
    /// comes after `retryInterval`.
    public func run() async throws {
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let sub = try nats.subscribe(subject: Subjects.Directory.changed, queue: nil) { [weak self] msg in
            guard let self, let change = try? AgencyV1.DirectoryChanged(serializedBytes: msg.payload) else { return }
            if change.revision > self.snapshot.revision { signal.yield() }
        }
        defer { sub.unsubscribe() }
        signal.yield()   // catch up with whatever changed before the subscription existed
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while (try? await Task.sleep(for: self.pollInterval)) != nil {
                        signal.yield()
                    }
                }
                group.addTask {
                    for await _ in signals {
                        do {
                            try await self.refresh()
                        } catch is CancellationError {
                            return   // shutting down
                        } catch {
                            // Retried after `retryInterval` from here: the poll task may be asleep for a whole
                            // `pollInterval`, which once left a copy a minute behind an announced change.
                            self.logger.notice("directory copy: refresh failed, will retry", metadata: ["error": "\(error)"])
                            if (try? await Task.sleep(for: self.retryInterval)) != nil { signal.yield() }
                        }
                    }
                }
            }
        }
    }
}
