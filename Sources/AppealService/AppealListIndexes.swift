/// The indexes behind ListAppeals at millions of appeals (migrations 7 and 13). Every filter the API and the
/// workspace offer has an index that yields its rows already in page order, so a page reads about
/// `page_size` index entries whatever the table size:
/// - newest first: `(filter column, received_at DESC, id DESC)` per equality filter, and a partial index
///   over the (few) appeals with special-monitoring flags;
/// - nearest deadline: partial indexes over open appeals on `appeal_next_due(...)` (alone, and after the
///   agency or topic of the executor's and the sector block's queues). Answered and closed appeals have no
///   deadline and come last in id order (primary key), so the archive costs these indexes nothing.
enum AppealListIndexes {
    /// The statuses with no deadline left to work towards; every other status is open.
    static let finishedStatuses = "('answered', 'closed')"
    /// Open, unqualified as index predicates are written (`AppealQuery.open` qualifies it for queries).
    static let openPredicate = "status NOT IN \(finishedStatuses)"

    static let migrationSQL = """
        -- The deadline an open appeal is working towards (registration or first reaction while received,
        -- forwarding while registered, the answer afterwards), in UTC truncated to milliseconds (the precision
        -- of page tokens); 'infinity' once answered or closed or when no deadline is set. IMMUTABLE: indexable.
        CREATE FUNCTION appeal_next_due(status text, register_due timestamptz, first_reaction_due timestamptz,
                                        forward_due timestamptz, answer_due timestamptz) RETURNS timestamp
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT
            date_trunc('milliseconds', coalesce((CASE status WHEN 'received' THEN least(register_due, first_reaction_due)
                                                             WHEN 'registered' THEN forward_due
                                                             WHEN 'answered' THEN NULL WHEN 'closed' THEN NULL
                                                             ELSE answer_due END) AT TIME ZONE 'UTC', 'infinity'::timestamp)) $$;

        DROP INDEX appeals_status_idx;
        DROP INDEX appeals_agency_idx;
        DROP INDEX appeals_topic_idx;
        DROP INDEX appeals_municipality_idx;
        CREATE INDEX appeals_status_received_idx ON appeals (status, received_at DESC, id DESC);
        CREATE INDEX appeals_agency_received_idx ON appeals (agency_id, received_at DESC, id DESC);
        CREATE INDEX appeals_topic_received_idx ON appeals (topic_code, received_at DESC, id DESC);
        CREATE INDEX appeals_category_received_idx ON appeals (category_code, received_at DESC, id DESC);
        CREATE INDEX appeals_municipality_received_idx ON appeals (municipality_oktmo, received_at DESC, id DESC);
        CREATE INDEX appeals_channel_received_idx ON appeals (channel, received_at DESC, id DESC);
        CREATE INDEX appeals_flagged_received_idx ON appeals (received_at DESC, id DESC) WHERE monitoring_flags <> '{}';

        CREATE INDEX appeals_open_due_idx ON appeals
            (appeal_next_due(status, register_due, first_reaction_due, forward_due, answer_due), id)
            WHERE \(openPredicate);
        CREATE INDEX appeals_open_agency_due_idx ON appeals
            (agency_id, appeal_next_due(status, register_due, first_reaction_due, forward_due, answer_due), id)
            WHERE \(openPredicate);
        CREATE INDEX appeals_open_topic_due_idx ON appeals
            (topic_code, appeal_next_due(status, register_due, first_reaction_due, forward_due, answer_due), id)
            WHERE \(openPredicate);
        """

    /// Migration 27: the first reaction of a social-media incident keeps running through registration and routing
    /// (`AppealLifecycleRules.deadlineWaits`), so the deadline an open appeal works towards is the nearest of the
    /// deadlines its status still waits for, the first reaction among them — as `AppealQuery.nextDueMs` and the
    /// workspace's clocks (`Countdown.clocks`) take them from the same table. Before, the order dropped the first
    /// reaction once the appeal was registered (intake registers and routes at once), so an incident hours from its
    /// working-hours limit sorted as if it had its 30 days. The function changes, so the indexes over it are rebuilt.
    static let firstReactionSQL = """
        CREATE OR REPLACE FUNCTION appeal_next_due(status text, register_due timestamptz, first_reaction_due timestamptz,
                                                  forward_due timestamptz, answer_due timestamptz) RETURNS timestamp
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT
            date_trunc('milliseconds', coalesce((CASE status WHEN 'received' THEN least(register_due, first_reaction_due)
                                                             WHEN 'registered' THEN least(forward_due, answer_due, first_reaction_due)
                                                             WHEN 'assigned' THEN least(answer_due, first_reaction_due)
                                                             WHEN 'forwarded' THEN least(answer_due, first_reaction_due)
                                                             WHEN 'answered' THEN NULL WHEN 'closed' THEN NULL
                                                             ELSE answer_due END) AT TIME ZONE 'UTC', 'infinity'::timestamp)) $$;
        REINDEX INDEX appeals_open_due_idx;
        REINDEX INDEX appeals_open_agency_due_idx;
        REINDEX INDEX appeals_open_topic_due_idx;
        """

    /// Migration 13: lists and counts that reject most of what an index yields read the index alone.
    /// - overdue lists of a topic, newest first: open appeals by topic in page order with their answer deadline,
    ///   so the page's ids and the count come from an index-only scan that skips the open appeals not yet due;
    /// - counts of the agency and sector queues (status filters): the open (agency / topic, deadline) indexes
    ///   carry the status.
    static let countsAndOverdueSQL = """
        CREATE INDEX appeals_open_topic_received_idx ON appeals (topic_code, received_at DESC, id DESC) INCLUDE (answer_due)
            WHERE \(openPredicate);
        DROP INDEX appeals_open_agency_due_idx;
        CREATE INDEX appeals_open_agency_due_idx ON appeals
            (agency_id, appeal_next_due(status, register_due, first_reaction_due, forward_due, answer_due), id) INCLUDE (status)
            WHERE \(openPredicate);
        DROP INDEX appeals_open_topic_due_idx;
        CREATE INDEX appeals_open_topic_due_idx ON appeals
            (topic_code, appeal_next_due(status, register_due, first_reaction_due, forward_due, answer_due), id) INCLUDE (status)
            WHERE \(openPredicate);
        """

    /// Migration 15: an overdue list reads only the overdue appeals. Their answer deadline bounds them (the
    /// newest open appeals are not yet due), so the open appeals are indexed by (topic, answer deadline) and by
    /// answer deadline alone, each with the page order's columns; the (topic, newest first) index of open appeals
    /// that migration 13 added for overdue lists is dropped (an overdue page scanned it past every appeal not
    /// yet due, 38 ms at a million appeals; 6 ms from the new index).
    static let overdueSQL = """
        DROP INDEX appeals_open_topic_received_idx;
        CREATE INDEX appeals_open_topic_answer_due_idx ON appeals (topic_code, answer_due) INCLUDE (received_at, id)
            WHERE \(openPredicate);
        DROP INDEX appeals_answer_due_idx;
        CREATE INDEX appeals_answer_due_idx ON appeals (answer_due) INCLUDE (received_at, id) WHERE \(openPredicate);
        """

    /// Migration 16: autovacuum visits `appeals` after 1 % of its rows changed or were inserted, not PostgreSQL's
    /// 20 %. The list indexes above answer from the index alone only where the visibility map says a page is
    /// all-visible; with the default a million-appeal table waited for 200,000 changes, and while deadline work
    /// updated appeals an overdue page visited the table for 2,936 of its 3,600 index entries (after a VACUUM the
    /// same overdue list and the agency queue served twice the requests).
    static let vacuumSQL = """
        ALTER TABLE appeals SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
                                 autovacuum_analyze_scale_factor = 0.02);
        """
}
