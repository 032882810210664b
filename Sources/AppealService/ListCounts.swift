import Synchronization
import VecheRuntime

/// Exact totals of list filters, shared by every caller of this process while no appeal has changed. A queue's
/// first page is cheap (a few index entries), but its exact total counts up to `AppealQuery.exactCountLimit` index
/// entries — 4–5 ms of PostgreSQL for a 5,000-appeal queue, ten times the page itself — and every viewer of the queue
/// opens the first page. A remembered total is used only while the database's appeal change counter
/// (`appeal_changes`, advanced by every statement that writes `appeals`, from any instance or tool) is where it was
/// when the total was counted, and for at most `ttl`: a total counted while another transaction's write was not yet
/// committed can therefore be up to `ttl` old (as `GetStats`'s figures can), never older.
final class ListCounts: Sendable {
    private let memo: StatementMemo<(count: Int64, change: Int64)>
    private let countsRun = Atomic<Int>(0)

    init(ttl: Duration = .seconds(2), capacity: Int = 1_024) {
        memo = StatementMemo(ttl: ttl, capacity: capacity)
    }

    /// Counts run so far (tests observe sharing and invalidation).
    var counted: Int { countsRun.load(ordering: .relaxed) }

    /// The total of `statement` (a `count(*) AS n` query): remembered, or counted on `conn` and remembered.
    func count(_ conn: PGConnection, _ statement: SQL) throws -> Int64 {
        let key = StatementMemo<(count: Int64, change: Int64)>.key(statement)
        let change = try Self.changeCounter(conn)
        let now = ContinuousClock.now
        if let hit = memo.value(key, now: now), hit.change == change { return hit.count }
        countsRun.add(1, ordering: .relaxed)
        let n = try conn.query(statement).first?.int("n") ?? 0
        memo.store(key, (n, change), now: now)
        return n
    }

    /// Where the appeal change counter is now (a sequence: reading it takes no lock and waits for no writer).
    static func changeCounter(_ conn: PGConnection) throws -> Int64 {
        try conn.query("SELECT last_value FROM appeal_changes").first?.int("last_value") ?? 0
    }

    /// Migration 20: the change counter and the statement-level trigger that advances it. A sequence, not a
    /// counter row: concurrent writers never wait for one another on it.
    static let migrationSQL = """
        CREATE SEQUENCE appeal_changes;
        CREATE FUNCTION appeal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM nextval('appeal_changes');
          RETURN NULL;
        END $$;
        CREATE TRIGGER appeals_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON appeals
          FOR EACH STATEMENT EXECUTE FUNCTION appeal_changed();
        """

    /// Migration 24: the trigger function names its sequence unqualified, so it ran in the writer's search path, and a
    /// write to `appeal.appeals` from a session without the schema in its path (an administrator's psql, the read
    /// bench's bulk load on a fresh database) failed with "relation appeal_changes does not exist". It now runs in the
    /// schema's path, as the other trigger functions do.
    static let searchPathSQL = "ALTER FUNCTION appeal_changed() SET search_path FROM CURRENT;"
}
