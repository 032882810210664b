import Contracts
import Foundation
import Logging
import VecheRuntime

/// Names and populations from AgencyService, as the rating needs them.
struct Directory: Sendable {
    struct Municipality: Sendable {
        var name: String
        var population: Int?
        var parent: String
    }
    var municipalities: [String: Municipality] = [:]
    /// Agency id → (name, municipality OKTMO; "" for region-wide bodies).
    var agencies: [String: (name: String, oktmo: String)] = [:]
    var topics: [String: String] = [:]
    var categories: [String: String] = [:]

    /// OKTMO → residents, for municipalities with a known population.
    var populations: [String: Int] {
        municipalities.compactMapValues { $0.population.flatMap { $0 > 0 ? $0 : nil } }
    }

    /// Region population: sum over top-level municipalities (no parent, or parent not listed);
    /// nil when no population is known.
    var regionPopulation: Int? {
        let top = municipalities.filter { $0.value.parent.isEmpty || municipalities[$0.value.parent] == nil }
        let total = top.values.compactMap(\.population).filter { $0 > 0 }.reduce(0, +)
        return total > 0 ? total : nil
    }

    func name(_ dimension: RatingV1.Dimension, _ key: String) -> String {
        let found: String?
        switch dimension {
        case .agency: found = agencies[key]?.name
        case .municipality: found = municipalities[key]?.name
        case .topic: found = topics[key]
        case .category: found = categories[key]
        default: found = nil
        }
        if let found, !found.isEmpty { return found }
        return key.isEmpty ? "(не указано)" : key
    }
}

/// Cached view of AgencyService's directory. Refreshed at most every `ttl`; when AgencyService is
/// unreachable the last good copy (memory, else the `directory_cache` table) is used, and after a
/// failure the next attempt waits `retryAfter` so queries stay fast. The rating never fails because
/// of it: without populations `per_10k_population` is 0 and the quantity pillar drops out
/// (weights are renormalised over the pillars that have data); without names keys are shown.
actor DirectoryCache {
    let client: AgencyV1.AgencyService.Client?
    let pool: PGPool
    let logger: Logger
    let ttl: Duration
    let retryAfter: Duration
    let timeout: Duration
    private var current: Directory?
    private var nextRefresh: ContinuousClock.Instant?

    init(client: AgencyV1.AgencyService.Client?, pool: PGPool, logger: Logger, ttl: Duration = .seconds(600),
         retryAfter: Duration = .seconds(30), timeout: Duration = .seconds(5)) {
        self.client = client
        self.pool = pool
        self.logger = logger
        self.ttl = ttl
        self.retryAfter = retryAfter
        self.timeout = timeout
    }

    /// Forgets the in-memory copy so the next `directory()` asks AgencyService again.
    func invalidate() { nextRefresh = nil }

    func directory() async -> Directory {
        let now = ContinuousClock.now
        if let current, let next = nextRefresh, now < next { return current }
        if let fetched = await fetch() {
            current = fetched
            nextRefresh = now + ttl
            do {
                try await store(fetched)
            } catch {
                logger.warning("rating: could not persist the directory cache", metadata: ["error": "\(error)"])
            }
            return fetched
        }
        nextRefresh = now + retryAfter
        if let current { return current }
        let stored = await load()
        current = stored
        return stored
    }

    private func fetch() async -> Directory? {
        guard let client else { return nil }
        var options = CallOptions(timeout: timeout)
        do {
            // A call that times out is asked once more with twice the deadline: under load AgencyService answers
            // late, not never (a failed refresh leaves the ratings without names and populations until the retry).
            let ms: AgencyV1.ListMunicipalitiesResponse
            do {
                ms = try await client.listMunicipalities(.init(), options: options)
            } catch let e as RPCError where e.code == .deadlineExceeded {
                logger.notice("rating: AgencyService answered late, asking once more", metadata: ["error": "\(e)"])
                options = CallOptions(timeout: timeout * 2)
                ms = try await client.listMunicipalities(.init(), options: options)
            }
            var d = Directory()
            for m in ms.municipalities {
                d.municipalities[m.oktmo] = .init(name: m.name, population: m.population > 0 ? Int(m.population) : nil, parent: m.parentOktmo)
            }
            // Names are optional extras: a failure here keeps the populations.
            if let ag = try? await client.listAgencies(.init(), options: options) {
                for a in ag.agencies { d.agencies[a.id] = (a.shortName.isEmpty ? a.name : a.shortName, a.municipalityOktmo) }
            }
            if let tp = try? await client.listTopics(.init(), options: options) {
                for t in tp.topics {
                    d.topics[t.code] = t.name
                    for c in t.categories { d.categories[c.code] = c.name }
                }
            }
            return d
        } catch {
            logger.notice("rating: AgencyService unavailable, using cached directory", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Replaces the persisted copy. Refreshes may overlap (two instances, or two callers of this actor while
    /// it awaits AgencyService): an advisory lock serialises them and rows are upserted, so the later one
    /// simply wins — no duplicate-key errors.
    func store(_ d: Directory) async throws {
        var rows: [(kind: String, key: String, name: String, population: Int?, parent: String)] = []
        for (k, m) in d.municipalities { rows.append(("municipality", k, m.name, m.population, m.parent)) }
        for (k, a) in d.agencies { rows.append(("agency", k, a.name, nil, a.oktmo)) }
        for (k, n) in d.topics { rows.append(("topic", k, n, nil, "")) }
        for (k, n) in d.categories { rows.append(("category", k, n, nil, "")) }
        let all = rows
        try await pool.transaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock(hashtext('rating.directory_cache'))")
            for r in all {
                try conn.query("""
                    INSERT INTO directory_cache (kind, key, name, population, parent)
                    VALUES (\(r.kind), \(r.key), \(r.name), \(r.population)::bigint, \(r.parent))
                    ON CONFLICT (kind, key) DO UPDATE SET name = EXCLUDED.name, population = EXCLUDED.population,
                        parent = EXCLUDED.parent, fetched_at = now()
                    """)
            }
            try conn.query("DELETE FROM directory_cache WHERE kind || ':' || key <> ALL(\(all.map { $0.kind + ":" + $0.key })::text[])")
        }
    }

    private func load() async -> Directory {
        do {
            let rows = try await pool.query("SELECT kind, key, name, population, parent FROM directory_cache").rows
            var d = Directory()
            for r in rows {
                switch r.string("kind") {
                case "municipality":
                    d.municipalities[r.string("key")] = .init(name: r.string("name"),
                                                              population: r.isNull("population") ? nil : Int(r.int("population")),
                                                              parent: r.string("parent"))
                case "agency": d.agencies[r.string("key")] = (r.string("name"), r.string("parent"))
                case "topic": d.topics[r.string("key")] = r.string("name")
                case "category": d.categories[r.string("key")] = r.string("name")
                default: break
                }
            }
            return d
        } catch {
            logger.warning("rating: could not read the directory cache", metadata: ["error": "\(error)"])
            return Directory()
        }
    }
}
