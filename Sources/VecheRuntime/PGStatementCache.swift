/// Which statement texts one connection has prepared on the server, so a statement run again skips PostgreSQL's
/// parsing and, once its plan is cached (PostgreSQL's own choice between a generic and a custom plan), planning:
/// a lookup by id with its history cost 0.46 ms of server CPU unprepared and about half that prepared.
///
/// * A text is prepared the second time it is seen (a one-off statement costs no extra round trip), under a name
///   unique to the connection; only plain data statements (`SELECT`, `WITH`, `INSERT`, `UPDATE`, `DELETE`) are.
/// * At most `capacity` texts are kept; the least recently used one is deallocated (`evicted` until the connection
///   can run `DEALLOCATE`).
/// * A statement whose plan must follow its bound values (dynamic list filters, text search) opts out with
///   `SQL.planEachCall`.
/// * The cache belongs to one server session: a reconnect starts an empty one.
struct PGStatementCache {
    /// What to do with a statement text now.
    enum Use: Equatable {
        /// Run it unnamed (first sighting, or not preparable).
        case unnamed
        /// Prepare it under this name, then run it (`didPrepare` once the server accepted it).
        case prepare(String)
        /// Run the statement prepared under this name.
        case prepared(String)
    }

    let capacity: Int
    private var prepared: [String: (name: String, lastUse: UInt64)] = [:]
    private var seenOnce: Set<String> = []
    private var tick: UInt64 = 0
    private var nextName = 0
    /// Names dropped from the cache whose server-side statements still need a `DEALLOCATE`.
    private(set) var evicted: [String] = []

    /// `capacity` 0: nothing is prepared.
    init(capacity: Int = 256) { self.capacity = max(0, capacity) }

    /// Number of prepared texts.
    var count: Int { prepared.count }

    /// True for the statements worth preparing: data statements. Utility statements (`DECLARE`, `FETCH`, `EXPLAIN`,
    /// `SET`, DDL) are not.
    static func preparable(_ text: String) -> Bool {
        var word = ""
        for c in text.utf8 {
            if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x28 {   // space, newline, tab, CR, '('
                if word.isEmpty { continue }
                break
            }
            word.unicodeScalars.append(Unicode.Scalar(c))
            if word.count > 6 { return false }
        }
        switch word.uppercased() {
        case "SELECT", "WITH", "INSERT", "UPDATE", "DELETE": return true
        default: return false
        }
    }

    mutating func use(_ text: String) -> Use {
        tick &+= 1
        if var entry = prepared[text] {
            entry.lastUse = tick
            prepared[text] = entry
            return .prepared(entry.name)
        }
        guard capacity > 0, Self.preparable(text) else { return .unnamed }
        if seenOnce.remove(text) == nil {
            if seenOnce.count >= 4 * capacity { seenOnce.removeAll(keepingCapacity: true) }
            seenOnce.insert(text)
            return .unnamed
        }
        nextName += 1
        return .prepare("veche_stmt_\(nextName)")
    }

    /// Records a statement the server prepared; evicts the least recently used one beyond `capacity`.
    mutating func didPrepare(_ text: String, name: String) {
        prepared[text] = (name, tick)
        guard prepared.count > capacity, let oldest = prepared.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
        prepared[oldest.key] = nil
        evicted.append(oldest.value.name)
    }

    /// Forgets a text whose prepared statement the server no longer accepts (see `isStale`); its name is
    /// deallocated at the next prepare unless the server says it no longer exists (a `DEALLOCATE` of a missing
    /// name would fail, and abort the caller's transaction).
    mutating func forget(_ text: String, refusal: PGError) {
        guard let entry = prepared.removeValue(forKey: text) else { return }
        if refusal.sqlState != "26000" { evicted.append(entry.name) }
    }

    /// Hands over the names to deallocate.
    mutating func takeEvicted() -> [String] {
        defer { evicted.removeAll() }
        return evicted
    }

    /// A prepared statement the server refuses without running it: it no longer exists (26000), or a table it
    /// reads changed the columns of its result (a migration; PostgreSQL replans other changes itself).
    static func isStale(_ e: PGError) -> Bool {
        e.sqlState == "26000" || (e.sqlState == "0A000" && e.message.contains("cached plan must not change result type"))
    }
}
