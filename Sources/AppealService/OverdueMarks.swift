import VecheRuntime

/// Overdue lists, newest first, from a mark the deadline watcher leaves (AppealService migration 25, issue #10).
///
/// An overdue list is open appeals whose answer deadline has passed, newest first. `answer_due < now()` cannot be
/// an index predicate (now() moves), so migration 15 read every overdue appeal of the filter from an answer-deadline
/// index and sorted them: 3,695 index entries for the roads topic at a million appeals, 2.5–4 ms of PostgreSQL per
/// page, about half of what a page cost at 16 connections.
///
/// On every pass the deadline watcher copies the answer deadline of each open appeal whose deadline has passed into
/// `answer_missed_due` (`markPending`). An appeal whose mark equals its current answer deadline is overdue for good
/// while it stays open (the deadline passed and time only moves on), so partial indexes over marked open appeals
/// yield a page in order, reading about a page of entries. The rest — overdue since the watcher's last pass, or
/// given a new deadline since (an extension makes the mark differ, and the appeal is overdue only if the new
/// deadline passed too) — come from a partial answer-deadline index over the unmarked open appeals, whose past part
/// is small. The two parts are disjoint and together exactly the overdue appeals: the mark only chooses the index,
/// never the answer.
enum OverdueMarks {
    /// Open, and marked overdue against its current answer deadline (implies `answer_due < now()`).
    static let marked: SQL = "a.answer_missed_due = a.answer_due"
    /// Not so marked: whether it is overdue is `answer_due < now()`.
    static let unmarked: SQL = "a.answer_missed_due IS DISTINCT FROM a.answer_due"

    static let migrationSQL = """
        ALTER TABLE appeals ADD COLUMN answer_missed_due timestamptz;
        UPDATE appeals SET answer_missed_due = answer_due WHERE \(AppealListIndexes.openPredicate) AND answer_due < now();
        CREATE INDEX appeals_overdue_received_idx ON appeals (received_at DESC, id DESC) INCLUDE (answer_due)
            WHERE \(AppealListIndexes.openPredicate) AND answer_missed_due = answer_due;
        CREATE INDEX appeals_overdue_topic_received_idx ON appeals (topic_code, received_at DESC, id DESC) INCLUDE (answer_due)
            WHERE \(AppealListIndexes.openPredicate) AND answer_missed_due = answer_due;
        CREATE INDEX appeals_overdue_agency_received_idx ON appeals (agency_id, received_at DESC, id DESC) INCLUDE (answer_due)
            WHERE \(AppealListIndexes.openPredicate) AND answer_missed_due = answer_due;
        CREATE INDEX appeals_unmarked_answer_due_idx ON appeals (answer_due) INCLUDE (received_at, id, topic_code, agency_id)
            WHERE \(AppealListIndexes.openPredicate) AND answer_missed_due IS DISTINCT FROM answer_due;
        """

    /// The most appeals one statement marks (`markPending` repeats it while it finds this many).
    static let markBatch = 5_000

    /// Marks every open appeal whose answer deadline has passed and that is not marked against it (the deadline
    /// watcher, every pass), `markBatch` at a time, oldest deadline first; by the database's clock, like the lists.
    /// Rows an operator's transaction holds are skipped, not waited for: the next pass marks them. The mark is not
    /// a change of the appeal (no version, no event). Returns how many were marked. The rows are chosen first and
    /// updated only when there are any: an UPDATE that changes nothing would still fire the statement trigger that
    /// advances `appeal_changes` (`ListCounts`), and every pass would discard the shared list totals.
    static func markPending(_ pool: PGPool) async throws -> Int {
        var total = 0
        while true {
            let n = try await pool.transaction { conn -> Int in
                let ids = try conn.query("""
                    SELECT a.id::text AS id FROM appeals a
                    WHERE \(AppealQuery.open) AND \(unmarked) AND a.answer_due < now()
                    ORDER BY a.answer_due LIMIT \(integer: markBatch) FOR UPDATE SKIP LOCKED
                    """).rows.map { $0.string("id") }
                guard !ids.isEmpty else { return 0 }
                try conn.query("UPDATE appeals a SET answer_missed_due = a.answer_due WHERE a.id = ANY(\(ids)::uuid[]) AND a.answer_due < now()")
                return ids.count
            }
            total += n
            if n < markBatch { return total }
        }
    }

    /// The ids of a newest-first overdue page (`where_` holds the filter with `open AND answer_due < now()` and
    /// the keyset position): the marked part walks an index in page order and stops after `limit`, the unmarked
    /// part reads its few candidates; the union is sorted and cut to `limit` (a literal: the statement is prepared,
    /// and a generic plan would have to guess a bound LIMIT).
    static func pageIDs(where where_: SQL, limit: Int) -> SQL {
        """
        SELECT o.id FROM (
            (SELECT a.id, a.received_at FROM appeals a WHERE \(where_) AND \(marked)
             ORDER BY a.received_at DESC, a.id DESC LIMIT \(integer: limit))
            UNION ALL
            (SELECT a.id, a.received_at FROM appeals a WHERE \(where_) AND \(unmarked) OFFSET 0)
        ) o ORDER BY o.received_at DESC, o.id DESC LIMIT \(integer: limit)
        """
    }
}
