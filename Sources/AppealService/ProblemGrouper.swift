import Foundation
import TextAnalysis
import VecheRuntime

/// What grouping needs of one appeal, computed during enrichment (off any lock): the appeal as the duplicate
/// index sees it and its features (nil when text analysis failed: computed at grouping).
struct GroupingInput: Sendable {
    var candidate: DuplicateCandidate
    var features: DuplicateFeatures?
}

/// Groups appeals about the same problem (text + topic + place + time window) the same way in every AppealService
/// instance. Each decision is written to a shared log (`appeal.duplicate_log`) in the transaction that stores the
/// appeal, and deciding is serialized by a transaction-level advisory lock: before deciding, an instance applies
/// to its in-memory `DuplicateIndex` whatever the other instances logged since its last turn, so the index is a
/// cache of the log's recent window, never a private copy. Items decided in a transaction that then rolled back
/// are found at the next turn (they are not in the log) and the cache is rebuilt from the log. Start-up reads the
/// log's recent window (the stored features, no text work), not the history.
final class ProblemGrouper: @unchecked Sendable {
    /// One appeal to group: nil input = not grouped (stored before; its group stays as stored).
    struct Request: Sendable {
        var appealID: String
        var input: GroupingInput?
    }

    /// The advisory lock that serializes grouping across instances (taken with the intake transaction).
    static let lockName = "appeal.duplicate-grouping"

    let options: DuplicateIndexOptions
    /// Log entries read at start-up and at a rebuild (the most recent ones, within the time window of the newest).
    let windowEntries: Int
    private let lock = NSLock()
    private let featurizer: DuplicateFeaturizer
    private var index: DuplicateIndex
    private var groupIDs: [Int: String] = [:]
    private var groupNumbers: [String: Int] = [:]
    /// The last log entry applied to `index`.
    private var appliedSeq: Int64 = 0
    /// Appeals this instance added in its current turn; the next turn expects to read them back from the log.
    private var tentative: Set<String> = []
    private var stale = true
    private var appliedSinceCleanup = 0
    /// How many times the cache was rebuilt from the log (start-up included).
    private(set) var rebuilds = 0

    init(options: DuplicateIndexOptions = DuplicateIndexOptions(), windowEntries: Int = 50_000) throws {
        self.options = options
        self.windowEntries = windowEntries
        featurizer = try DuplicateFeaturizer(options: options)
        index = try DuplicateIndex(options: options)
    }

    /// Appeals in the in-memory index.
    var count: Int { lock.withLock { index.count } }

    /// Groups `requests` in order inside the caller's transaction (which must store these appeals): takes the
    /// grouping lock until that transaction ends, catches up with the log, decides, logs the decisions.
    /// `storedBefore`, run under the lock, names the appeals not to group (already stored by another transaction).
    /// Returns each appeal's problem group id (nil for requests without input or stored before).
    func assign(_ conn: PGConnection, _ requests: [Request],
                storedBefore: (PGConnection) throws -> Set<String> = { _ in [] }) throws -> [String?] {
        guard requests.contains(where: { $0.input != nil }) else { return requests.map { _ in nil } }
        try Self.takeTurn(conn)
        let skipped = try storedBefore(conn)
        try catchUp(conn)
        var decided: [String?] = []
        var logged: [(Request, GroupingInput, DuplicateFeatures, String)] = []
        lock.withLock {
            for r in requests {
                guard var input = r.input, !skipped.contains(r.appealID) else { decided.append(nil); continue }
                input.candidate.id = r.appealID
                let features = input.features ?? featurizer.features(input.candidate.text)
                let decision = index.add(input.candidate, features: features)
                let id = groupIDs[decision.groupId] ?? r.appealID
                if groupIDs[decision.groupId] == nil { remember(group: decision.groupId, as: id) }
                tentative.insert(r.appealID)
                decided.append(id)
                logged.append((r, input, features, id))
            }
        }
        try Self.log(conn, logged.map { ($0.0.appealID, $0.1.candidate, $0.2, $0.3) })
        return decided
    }

    /// Takes the grouping lock until the caller's transaction ends.
    private static func takeTurn(_ conn: PGConnection) throws {
        try conn.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))")
    }

    /// The columns of a log row besides its features.
    private static let logKeyColumns: SQL = """
        seq, appeal_id::text AS appeal_id, group_id, received_at, latitude, longitude, topic_code, category_code
        """

    /// The columns `apply` reads from a log row.
    private static let logColumns: SQL = logKeyColumns + ", terms, band_keys"

    /// Reads the log the cache does not have yet (all of its recent window when the cache is stale, or when the log
    /// was cleaned past the last entry this instance applied: an instance idle that long would otherwise keep
    /// entries the log no longer holds and miss the ones removed).
    private func catchUp(_ conn: PGConnection) throws {
        if lock.withLock({ stale }) { return try rebuild(conn) }
        // Cleaning removes a prefix of the log, so the entry last applied is gone exactly when it passed this instance.
        let applied = lock.withLock { appliedSeq }
        if applied > 0, try conn.query("SELECT 1 FROM duplicate_log WHERE seq = \(applied)").first == nil {
            return try rebuild(conn)
        }
        // The entries this instance logged itself come back without their stem hashes and band keys (NULL; the
        // columns are NOT NULL in the log): they are in the index already, and hex-encoding and decoding them again
        // was most of the catch-up's cost.
        let own = lock.withLock { Array(tentative) }
        let rows = try conn.query("""
            SELECT \(Self.logKeyColumns),
                   CASE WHEN mine THEN NULL ELSE terms END AS terms, CASE WHEN mine THEN NULL ELSE band_keys END AS band_keys
            FROM (SELECT *, appeal_id::text = ANY(\(own)::text[]) AS mine FROM duplicate_log WHERE seq > \(applied)) AS l
            ORDER BY seq
            """).rows
        let missing = lock.withLock { () -> Bool in
            var featureless = false
            for row in rows {
                let id = row.string("appeal_id")
                if tentative.remove(id) == nil {
                    // Sent without features but not (or no longer) this instance's own: the log holds an appeal twice.
                    if row.isNull("terms") { featureless = true } else { apply(row) }
                }
                appliedSeq = row.int("seq")
            }
            appliedSinceCleanup += rows.count
            defer { tentative.removeAll() }
            return !tentative.isEmpty || featureless
        }
        // An appeal decided in a turn whose transaction rolled back is in memory but not in the log (or an entry came
        // back without the features to apply it): the cache is rebuilt from the log.
        if missing { return try rebuild(conn) }
        if lock.withLock({ appliedSinceCleanup }) >= windowEntries { try cleanUp(conn) }
    }

    /// Replaces the cache with the log's recent window.
    private func rebuild(_ conn: PGConnection) throws {
        let rows = try conn.query("""
            WITH recent AS (SELECT * FROM duplicate_log ORDER BY seq DESC LIMIT \(windowEntries))
            SELECT \(Self.logColumns) FROM recent
            WHERE received_at >= (SELECT max(received_at) FROM recent) - make_interval(secs => \(options.timeWindow))
            ORDER BY seq
            """).rows
        let last = try conn.query("SELECT coalesce(max(seq), 0) AS seq FROM duplicate_log").first?.int("seq") ?? 0
        let fresh = try DuplicateIndex(options: options)
        lock.withLock {
            index = fresh
            groupIDs = [:]
            groupNumbers = [:]
            tentative = []
            for row in rows { apply(row) }
            appliedSeq = last
            stale = false
            rebuilds += 1
        }
    }

    /// Deletes log entries no cache reads any more: older than the rebuild window and logged more than a time
    /// window ago.
    private func cleanUp(_ conn: PGConnection) throws {
        let keepFrom = lock.withLock { () -> Int64 in
            appliedSinceCleanup = 0
            return appliedSeq - Int64(windowEntries)
        }
        guard keepFrom > 0 else { return }
        try conn.query("""
            DELETE FROM duplicate_log
            WHERE seq < \(keepFrom) AND logged_at < now() - make_interval(secs => \(options.timeWindow + 86_400))
            """)
    }

    /// Adds one log entry to the index (lock held).
    private func apply(_ row: PGRow) {
        let group = row.string("group_id")
        let number: Int
        if let known = groupNumbers[group] {
            number = known
        } else {
            number = index.reserveGroup()
            remember(group: number, as: group)
        }
        let candidate = DuplicateCandidate(id: row.string("appeal_id"), text: "",
                                           topicCode: row.isNull("topic_code") ? nil : row.string("topic_code"),
                                           categoryCode: row.isNull("category_code") ? nil : row.string("category_code"),
                                           latitude: row.isNull("latitude") ? nil : row.double("latitude"),
                                           longitude: row.isNull("longitude") ? nil : row.double("longitude"),
                                           date: row.date("received_at") ?? Date())
        let features = DuplicateFeatures(terms: Set(Self.words(row.bytes("terms"))), bandKeys: Self.words(row.bytes("band_keys")))
        index.insert(candidate, features: features, group: number)
    }

    private func remember(group number: Int, as id: String) {
        groupIDs[number] = id
        groupNumbers[id] = number
    }

    /// Writes the decisions of one turn (one statement).
    private static func log(_ conn: PGConnection, _ entries: [(String, DuplicateCandidate, DuplicateFeatures, String)]) throws {
        guard !entries.isEmpty else { return }
        let c = entries.map(\.1)
        try conn.query("""
            INSERT INTO duplicate_log (appeal_id, group_id, received_at, latitude, longitude, topic_code, category_code, terms, band_keys)
            SELECT appeal_id, group_id, received_at, latitude, longitude, topic_code, category_code, decode(terms, 'hex'), decode(band_keys, 'hex')
            FROM unnest(\(entries.map(\.0))::uuid[], \(entries.map(\.3))::text[], \(c.map(\.date))::timestamptz[],
                        \(c.map(\.latitude))::float8[], \(c.map(\.longitude))::float8[], \(c.map(\.topicCode))::text[],
                        \(c.map(\.categoryCode))::text[], \(entries.map { hex($0.2.terms.sorted()) })::text[],
                        \(entries.map { hex($0.2.bandKeys) })::text[])
                AS r(appeal_id, group_id, received_at, latitude, longitude, topic_code, category_code, terms, band_keys)
            """)
    }

    /// 64-bit words as lower-case hex, big-endian, no prefix (for `decode(…, 'hex')`).
    static func hex(_ words: [UInt64]) -> String { PGBytes.hexDigits(words: words) }

    /// Big-endian 64-bit words of a bytea column's bytes ([] for NULL; a trailing partial word is dropped).
    static func words(_ bytes: [UInt8]?) -> [UInt64] {
        guard let bytes else { return [] }
        var out: [UInt64] = []
        out.reserveCapacity(bytes.count / 8)
        var i = 0
        while i + 8 <= bytes.count {
            var w: UInt64 = 0
            for k in 0..<8 { w = w << 8 | UInt64(bytes[i + k]) }
            out.append(w)
            i += 8
        }
        return out
    }

    /// Start-up: the cache from the log. A log that is still empty (the first start after the migration) is filled
    /// from the most recent appeals within the time window (at most `windowEntries`), with their stored groups.
    func warmUp(pool: PGPool) async throws -> Int {
        try await pool.transaction { [self] conn in
            try Self.takeTurn(conn)
            if try conn.query("SELECT 1 FROM duplicate_log LIMIT 1").rows.isEmpty { try backfill(conn) }
            try rebuild(conn)
            return lock.withLock { index.count }
        }
    }

    private func backfill(_ conn: PGConnection) throws {
        let days = Int((options.timeWindow / 86_400).rounded(.up)) + 1
        let rows = try conn.query("""
            SELECT * FROM (
                SELECT id::text AS id, title, body, topic_code, category_code, latitude, longitude, received_at, problem_group_id
                FROM appeals WHERE received_at > now() - make_interval(days => \(days)) ORDER BY received_at DESC, id DESC
                LIMIT \(windowEntries)
            ) recent ORDER BY received_at, id
            """).rows
        var entries: [(String, DuplicateCandidate, DuplicateFeatures, String)] = []
        for r in rows {
            let id = r.string("id")
            let c = DuplicateCandidate(id: id, text: AppealClassifier.inputText(title: r.string("title"), body: r.string("body")),
                                       topicCode: r.string("topic_code"), categoryCode: r.string("category_code"),
                                       latitude: r.isNull("latitude") ? nil : r.double("latitude"),
                                       longitude: r.isNull("longitude") ? nil : r.double("longitude"),
                                       date: r.date("received_at") ?? Date())
            let group = r.string("problem_group_id")
            entries.append((id, c, featurizer.features(c.text), group.isEmpty ? id : group))
        }
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            try Self.log(conn, Array(entries[start..<min(entries.count, start + 1_000)]))
        }
    }
}

extension ProblemGrouper {
    /// Migration 17: the shared log of grouping decisions (one row per grouped appeal; old rows are deleted once
    /// no cache can read them).
    static let migrationSQL = """
        CREATE TABLE duplicate_log (
            seq bigserial PRIMARY KEY,
            appeal_id uuid NOT NULL,
            group_id text NOT NULL,
            received_at timestamptz NOT NULL,
            latitude double precision,
            longitude double precision,
            topic_code text,
            category_code text,
            -- the stem hashes and MinHash band keys (DuplicateFeatures), 8 bytes each, big-endian
            terms bytea NOT NULL,
            band_keys bytea NOT NULL,
            logged_at timestamptz NOT NULL DEFAULT now()
        );
        """
}
