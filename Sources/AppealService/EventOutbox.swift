import VecheRuntime

/// The transactional outbox of lifecycle events (AppealService migration 14, issue #10): a pending event is a
/// row of `appeal_outbox`, written by a statement trigger whenever events are inserted (whichever statement
/// inserts them), and deleted once JetStream acknowledged it. Before, pending meant `published_at IS NULL` on
/// `appeal_events`, and marking an event published rewrote the wide event row and every index on it (non-HOT:
/// the column was in the pending index's predicate) — the relay's UPDATE was an eighth of PostgreSQL's time
/// during intake. Deleting a narrow outbox row touches no index.
///
/// Order: outbox ids are taken at insert, in `(appeal_id, seq)` order within a statement; an appeal's events are
/// inserted under its row lock, so for one appeal id order is sequence order is commit order.
enum EventOutbox {
    static let migrationSQL = """
    CREATE TABLE appeal_outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL
    );
    CREATE FUNCTION appeal_events_to_outbox() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        INSERT INTO appeal_outbox (event_id) SELECT id FROM inserted ORDER BY appeal_id, seq;
        RETURN NULL;
    END $$;
    CREATE TRIGGER appeal_events_outbox AFTER INSERT ON appeal_events REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION appeal_events_to_outbox();
    INSERT INTO appeal_outbox (event_id) SELECT id FROM appeal_events WHERE published_at IS NULL ORDER BY appeal_id, seq;
    DROP INDEX appeal_events_pending_idx;
    ALTER TABLE appeal_events DROP COLUMN published_at;
    """

    /// Up to `limit` pending events, oldest first (each appeal's in sequence order).
    static func pending(limit: Int) -> SQL {
        """
        SELECT o.id AS outbox_id, e.id::text AS id, e.appeal_id::text AS appeal, e.seq, e.type, e.payload, e.traceparent
        FROM appeal_outbox o JOIN appeal_events e ON e.id = o.event_id ORDER BY o.id LIMIT \(limit)
        """
    }

    /// Removes acknowledged events from the outbox.
    static func published(_ outboxIDs: [Int64]) -> SQL {
        "DELETE FROM appeal_outbox WHERE id = ANY(\(outboxIDs)::bigint[])"
    }

    /// How many events wait to be published (tests, the fault audit).
    static let pendingCount: SQL = "SELECT count(*) AS n FROM appeal_outbox"
}
