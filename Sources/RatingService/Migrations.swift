import VecheRuntime

/// RatingService owns schema `rating`: a projection of appeal lifecycle events (one snapshot per
/// appeal), the event ids already applied, undecodable messages, consumer progress, weights and a
/// cache of AgencyService's directory (names, populations) for when it is down.
enum RatingSchema {
    static let name = "rating"

    static let migrations: [Migration] = [
        Migration(1, "appeal projection, applied events, rejected events, consumer state, weights, directory cache", """
        -- Latest known snapshot of every appeal (the newest per-appeal sequence wins).
        CREATE TABLE appeal_facts (
            appeal_id text PRIMARY KEY,
            last_sequence bigint NOT NULL,
            last_event_id text NOT NULL,
            status text NOT NULL DEFAULT '',
            agency_id text NOT NULL DEFAULT '',
            municipality_oktmo text NOT NULL DEFAULT '',
            topic_code text NOT NULL DEFAULT '',
            category_code text NOT NULL DEFAULT '',
            problem_group_id text NOT NULL DEFAULT '',
            author_key text NOT NULL DEFAULT '',        -- md5 of the normalised e-mail / phone / name; no PII kept
            sub_reason text,                            -- keywords from the title or redacted text
            registered_at timestamptz NOT NULL,         -- registration instant, else receipt
            answered_at timestamptz,
            closed_at timestamptz,
            answer_due timestamptz,                     -- after extension, as AppealService computed it
            extension_count int NOT NULL DEFAULT 0,
            reopen_count int NOT NULL DEFAULT 0,
            satisfaction int,                           -- 1..5, NULL = not rated
            answer_complete boolean,                    -- NULL until answered
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX appeal_facts_registered_idx ON appeal_facts (registered_at);

        -- Idempotency: every event id applied (or recognised as stale) once.
        CREATE TABLE applied_events (
            event_id text PRIMARY KEY,
            appeal_id text NOT NULL,
            sequence bigint NOT NULL,
            stream_sequence bigint NOT NULL,
            outcome text NOT NULL,                      -- applied | stale
            applied_at timestamptz NOT NULL DEFAULT now()
        );

        -- Messages that could not be applied: kept with the reason, never dropped.
        CREATE TABLE rejected_events (
            id bigserial PRIMARY KEY,
            subject text NOT NULL,
            stream_sequence bigint NOT NULL,
            reason text NOT NULL,
            payload bytea NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_sequence)
        );

        -- One row: which durable consumer feeds the projection and how far it got.
        CREATE TABLE consumer_state (
            id int PRIMARY KEY CHECK (id = 1),
            generation int NOT NULL,
            durable text NOT NULL,
            events_applied bigint NOT NULL DEFAULT 0,
            duplicates_skipped bigint NOT NULL DEFAULT 0,
            stale_skipped bigint NOT NULL DEFAULT 0,
            last_stream_sequence bigint NOT NULL DEFAULT 0,
            rebuilt_at timestamptz
        );
        INSERT INTO consumer_state (id, generation, durable) VALUES (1, 1, 'rating-projection-1');

        -- Published composite weights (normalised to sum 1).
        CREATE TABLE weights (
            id int PRIMARY KEY CHECK (id = 1),
            quantity double precision NOT NULL CHECK (quantity >= 0),
            speed double precision NOT NULL CHECK (speed >= 0),
            quality double precision NOT NULL CHECK (quality >= 0),
            completeness double precision NOT NULL CHECK (completeness >= 0),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (quantity + speed + quality + completeness > 0)
        );
        INSERT INTO weights (id, quantity, speed, quality, completeness) VALUES (1, 0.15, 0.35, 0.35, 0.15);

        -- Last good copy of AgencyService's directory (used when it is unreachable).
        CREATE TABLE directory_cache (
            kind text NOT NULL,                         -- municipality | agency | topic | category
            key text NOT NULL,
            name text NOT NULL DEFAULT '',
            population bigint,
            parent text NOT NULL DEFAULT '',
            fetched_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (kind, key)
        );
        """),
        Migration(2, "deferred events, KPI targets, report approvals", """
        -- Events whose per-appeal sequence is ahead of the projection (an earlier one has not arrived yet).
        -- They apply as soon as the gap closes; one that never closes (e.g. a forged far-off sequence) waits
        -- here, visible in GetProgress, and cannot freeze the appeal's projection.
        CREATE TABLE deferred_events (
            event_id text PRIMARY KEY,
            appeal_id text NOT NULL,
            sequence bigint NOT NULL,
            stream_sequence bigint NOT NULL,
            payload bytea NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX deferred_events_appeal_idx ON deferred_events (appeal_id, sequence);

        -- KPI targets approved by the curator (none: the platform defaults apply).
        CREATE TABLE kpi_targets (
            code text PRIMARY KEY,
            target double precision NOT NULL,
            higher_is_better boolean NOT NULL,
            amber_margin double precision NOT NULL CHECK (amber_margin >= 0),
            approved_by text NOT NULL,
            approved_at timestamptz NOT NULL DEFAULT now()
        );

        -- The curator's approval of each monthly report to the governor.
        CREATE TABLE report_approvals (
            period text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
            approved_by text NOT NULL,
            approved_at timestamptz NOT NULL DEFAULT now(),
            note text NOT NULL DEFAULT ''
        );
        """),
        Migration(3, "idempotency keys", IdempotencyStore.migrationSQL),
        Migration(4, "sequence gaps", """
        -- Events that arrived before an earlier sequence of their appeal (deferred until the gap closed).
        ALTER TABLE consumer_state ADD COLUMN gaps_detected bigint NOT NULL DEFAULT 0;
        """),
        Migration(5, "root-cause cases, their history, target indicators", RootCauseSchema.migrationSQL),
        Migration(6, "the ledger of applied events is pruned by age", LedgerPruner.migrationSQL),
    ]
}
