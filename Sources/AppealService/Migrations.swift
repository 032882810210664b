import AgencyDirectory
import VecheRuntime

/// AppealService owns schema `appeal`.
enum AppealSchema {
    static let name = "appeal"

    static let migrations: [Migration] = [
        Migration(1, "appeals, events, rejected intake", """
        CREATE SEQUENCE appeal_number_seq;

        CREATE TABLE appeals (
            id uuid PRIMARY KEY,
            number text NOT NULL UNIQUE,
            channel text NOT NULL,
            external_id text NOT NULL,
            status text NOT NULL,
            author_name text NOT NULL DEFAULT '',
            author_email text NOT NULL DEFAULT '',
            author_phone text NOT NULL DEFAULT '',
            author_social text NOT NULL DEFAULT '',
            author_postal text NOT NULL DEFAULT '',
            title text NOT NULL DEFAULT '',
            body text NOT NULL,
            redacted_body text NOT NULL DEFAULT '',
            address text NOT NULL DEFAULT '',
            latitude double precision,
            longitude double precision,
            municipality_oktmo text NOT NULL DEFAULT '',
            topic_hint text NOT NULL DEFAULT '',
            topic_code text NOT NULL DEFAULT '',
            category_code text NOT NULL DEFAULT '',
            classification_confidence double precision NOT NULL DEFAULT 0,
            agency_id text NOT NULL DEFAULT '',
            problem_group_id text NOT NULL DEFAULT '',
            monitoring_flags text[] NOT NULL DEFAULT '{}',
            received_at timestamptz NOT NULL,
            registered_at timestamptz,
            register_due timestamptz,
            forward_due timestamptz,
            answer_due timestamptz,
            first_reaction_due timestamptz,
            extension_count int NOT NULL DEFAULT 0,
            answered_at timestamptz,
            closed_at timestamptz,
            answer_text text NOT NULL DEFAULT '',
            answer_complete boolean NOT NULL DEFAULT false,
            satisfaction int NOT NULL DEFAULT 0 CHECK (satisfaction BETWEEN 0 AND 5),
            reopen_count int NOT NULL DEFAULT 0,
            version bigint NOT NULL DEFAULT 1,
            source_url text NOT NULL DEFAULT '',
            attachment_urls text[] NOT NULL DEFAULT '{}',
            is_public boolean NOT NULL DEFAULT false,
            metadata jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (channel, external_id)
        );
        CREATE INDEX appeals_received_idx ON appeals (received_at DESC, id DESC);
        CREATE INDEX appeals_status_idx ON appeals (status);
        CREATE INDEX appeals_agency_idx ON appeals (agency_id);
        CREATE INDEX appeals_topic_idx ON appeals (topic_code, category_code);
        CREATE INDEX appeals_municipality_idx ON appeals (municipality_oktmo);
        CREATE INDEX appeals_answer_due_idx ON appeals (answer_due) WHERE status NOT IN ('answered', 'closed');
        CREATE INDEX appeals_fts_idx ON appeals USING gin (to_tsvector('russian', title || ' ' || body));

        -- Every lifecycle change; also the transactional outbox for JetStream (published_at NULL = pending).
        CREATE TABLE appeal_events (
            id uuid PRIMARY KEY,
            appeal_id uuid NOT NULL REFERENCES appeals(id),
            seq int NOT NULL,
            type text NOT NULL,
            occurred_at timestamptz NOT NULL,
            actor text NOT NULL DEFAULT '',
            comment text NOT NULL DEFAULT '',
            from_status text NOT NULL DEFAULT '',
            to_status text NOT NULL,
            agency_id text NOT NULL DEFAULT '',
            payload bytea NOT NULL,
            published_at timestamptz,
            UNIQUE (appeal_id, seq)
        );
        CREATE INDEX appeal_events_pending_idx ON appeal_events (occurred_at) WHERE published_at IS NULL;

        -- Intake messages that could not become appeals: kept with the reason, never dropped.
        CREATE TABLE rejected_intake (
            id bigserial PRIMARY KEY,
            subject text NOT NULL,
            stream_sequence bigint NOT NULL DEFAULT 0,
            reason text NOT NULL,
            payload bytea NOT NULL,
            headers jsonb NOT NULL DEFAULT '{}',
            received_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (subject, stream_sequence)
        );
        """),
        Migration(2, "deadline alerts", """
        -- One row per missed deadline of an appeal: the watcher alerts once.
        CREATE TABLE deadline_alerts (
            appeal_id uuid NOT NULL REFERENCES appeals(id),
            kind text NOT NULL CHECK (kind IN ('register', 'forward', 'answer', 'first_reaction')),
            due_at timestamptz NOT NULL,
            alerted_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (appeal_id, kind, due_at)
        );
        CREATE INDEX appeals_register_due_idx ON appeals (register_due) WHERE status = 'received';
        CREATE INDEX appeals_forward_due_idx ON appeals (forward_due) WHERE status = 'registered';
        """),
        Migration(3, "citizen tokens, one rating per answer", """
        -- SHA-256 (hex) of the token the citizen got at intake; the token itself is never stored.
        ALTER TABLE appeals ADD COLUMN citizen_token_hash text;
        CREATE UNIQUE INDEX appeals_citizen_token_idx ON appeals (citizen_token_hash) WHERE citizen_token_hash IS NOT NULL;
        -- answered_at (epoch ms) of the answer the citizen last rated: each answer is rated once.
        ALTER TABLE appeals ADD COLUMN rated_answer_ms bigint NOT NULL DEFAULT 0;
        UPDATE appeals SET rated_answer_ms = (extract(epoch FROM answered_at) * 1000)::bigint
        WHERE satisfaction > 0 AND answered_at IS NOT NULL;
        """),
        Migration(4, "per-appeal event sequence on the row, relay order index", """
        -- appendEvent takes the next sequence from the appeal row (under its lock) instead of max(seq) + 1.
        ALTER TABLE appeals ADD COLUMN event_seq int NOT NULL DEFAULT 0, ADD COLUMN last_event_at timestamptz;
        UPDATE appeals a SET event_seq = e.n, last_event_at = e.at
        FROM (SELECT appeal_id, max(seq) AS n, max(occurred_at) AS at FROM appeal_events GROUP BY appeal_id) e
        WHERE e.appeal_id = a.id;
        -- The relay publishes pending events per appeal in sequence order.
        DROP INDEX appeal_events_pending_idx;
        CREATE INDEX appeal_events_pending_idx ON appeal_events (appeal_id, seq) WHERE published_at IS NULL;
        """),
        Migration(5, "idempotency keys", IdempotencyStore.migrationSQL),
        Migration(6, "local copy of the agency directory", LocalDirectory.migrationSQL),
        Migration(7, "list indexes: keyset per filter, nearest deadline", AppealListIndexes.migrationSQL),
        Migration(8, "mentions (public posts) and media incidents", MediaSchema.migrationSQL),
        // 9 was reserved for parallel work that never landed: the number stays unused (versions need not be contiguous).
        Migration(10, "events carry the W3C trace context of the request that caused them", """
        ALTER TABLE appeal_events ADD COLUMN traceparent text NOT NULL DEFAULT '';
        """),
        ClassificationSchema.migration(11),
        Migration(12, "full-text search over a stored tsvector of the redacted text", AppealSearch.migrationSQL),
        Migration(13, "list indexes: overdue lists and queue counts from the index alone", AppealListIndexes.countsAndOverdueSQL),
        Migration(14, "pending events in an outbox table, not an UPDATE of every published event", EventOutbox.migrationSQL),
        Migration(15, "overdue lists read the overdue appeals only (open appeals by answer deadline)", AppealListIndexes.overdueSQL),
        Migration(16, "autovacuum keeps the appeals' visibility map fresh for index-only list reads", AppealListIndexes.vacuumSQL),
        Migration(17, "duplicate grouping shared by every instance: the log of grouping decisions", ProblemGrouper.migrationSQL),
        Migration(18, "the search vector supplied by intake (PostgreSQL computes it only when none is given)", AppealSearch.suppliedVectorSQL),
        Migration(19, "the deadline watcher's first-reaction check reads an index, not the table", DeadlineWatcher.firstReactionIndexSQL),
        Migration(20, "a change counter of the appeals: list totals are shared while no appeal changed", ListCounts.migrationSQL),
        Migration(21, "lexeme statistics of the search vector from 1,000 entries: rare words are searched through the index",
                  AppealSearch.statisticsSQL),
        Migration(22, "appeal numbers past 999,999 a year are written out in full, not cut to six digits", AppealNumbers.migrationSQL),
        Migration(23, "operators' corrections keep the appeal's rubric (topic_hint), a classifier feature", ClassificationSchema.rubricSQL),
        Migration(24, "the change counter's trigger finds its sequence whatever the writer's search path", ListCounts.searchPathSQL),
        Migration(25, "overdue lists page through the deadline watcher's marks (answer_missed_due)", OverdueMarks.migrationSQL),
        Migration(26, "text search pairs the vector with the day of receipt: the newest matches day by day", AppealSearch.recentDaysSQL),
        Migration(27, "the deadline order keeps a social incident's first reaction after registration and routing",
                  AppealListIndexes.firstReactionSQL),
    ]
}
