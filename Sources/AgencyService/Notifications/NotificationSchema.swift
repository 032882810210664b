import VecheRuntime

/// Escalation chains, open overdue items, per-user notification preferences and the notification outbox
/// (AgencyService migration 5, issue #12 part 4).
enum NotificationSchema {
    /// Migration 8: each escalation pass reads an appeal's alerted levels by `appeal_id`, which only the key indexed:
    /// every pass read the whole table (233,000 alerts at 1.4 million appeals: 6.2 billion rows read over a day of benches).
    static let alertsByAppeal = Migration(8, "escalation alerts looked up by appeal", """
        CREATE INDEX escalation_alerts_appeal_idx ON escalation_alerts (appeal_id);
        """)

    /// Migration 9: escalation alerts raised together reach a person as one digest (`NotificationSender`): each row
    /// keeps a one-line summary for the digest, and the Message-ID of the digest that carried it.
    static let digests = Migration(9, "notification digests", """
        ALTER TABLE notification_outbox ADD COLUMN summary text NOT NULL DEFAULT '',
                                        ADD COLUMN digest text NOT NULL DEFAULT '';
        CREATE INDEX notification_outbox_pending_recipient_idx ON notification_outbox (recipient, channel, address, kind, id)
            WHERE status = 'pending';
        """)

    static let migration = Migration(5, "escalation chains, notification preferences and outbox", """
    -- The chain of one sector block (topic_code; '' = the chain of every block without its own): who is
    -- alerted, in order, once a deadline has been missed for delay_seconds.
    CREATE TABLE escalation_chains (
        topic_code text NOT NULL,
        position int NOT NULL CHECK (position >= 0),
        role text NOT NULL CHECK (role IN ('executor', 'agencyHead', 'blockLead', 'curHead', 'curator')),
        delay_seconds bigint NOT NULL CHECK (delay_seconds >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic_code, position),
        UNIQUE (topic_code, role)
    );
    INSERT INTO escalation_chains (topic_code, position, role, delay_seconds) VALUES
        ('', 0, 'executor', 0), ('', 1, 'agencyHead', 86400), ('', 2, 'blockLead', 172800),
        ('', 3, 'curHead', 259200), ('', 4, 'curator', 432000);

    -- A missed deadline of one appeal (from a deadline_missed event), escalated until the step is done.
    CREATE TABLE escalation_items (
        appeal_id text NOT NULL,
        deadline_kind text NOT NULL,
        deadline timestamptz NOT NULL,
        appeal_number text NOT NULL DEFAULT '',
        title text NOT NULL DEFAULT '',
        agency_id text NOT NULL DEFAULT '',
        topic_code text NOT NULL DEFAULT '',
        opened_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        next_due_at timestamptz NOT NULL DEFAULT '-infinity',
        PRIMARY KEY (appeal_id, deadline_kind, deadline)
    );
    CREATE INDEX escalation_items_open_idx ON escalation_items (next_due_at) WHERE resolved_at IS NULL;

    -- Levels already alerted (Escalation.key): a level is alerted once, whatever restarts or replicas do.
    CREATE TABLE escalation_alerts (
        key text PRIMARY KEY,
        appeal_id text NOT NULL,
        role text NOT NULL,
        due_at timestamptz NOT NULL,
        recipients int NOT NULL,
        alerted_at timestamptz NOT NULL DEFAULT now()
    );

    -- How a person wants to be told (principal as in role_assignments). Without a row nobody can be reached
    -- by e-mail: the directory does not know people's addresses.
    CREATE TABLE notification_preferences (
        principal text PRIMARY KEY CHECK (principal ~ '^(user|client):.+$'),
        email text NOT NULL DEFAULT '' CHECK (email = '' OR email ~ '^[^@[:space:]<>]+@[^@[:space:]<>]+$'),
        messenger text NOT NULL DEFAULT '' CHECK (messenger ~ '^[a-z0-9_-]*$'),
        messenger_address text NOT NULL DEFAULT '',
        muted_kinds text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Every notification, once per (recipient, event, kind): written in the transaction that decided it,
    -- delivered by NotificationSender, marked sent after the channel accepted it.
    CREATE TABLE notification_outbox (
        id bigserial PRIMARY KEY,
        recipient text NOT NULL,
        event_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('escalation', 'status_changed', 'answer_ready', 'rating_request')),
        channel text NOT NULL,
        address text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        last_error text NOT NULL DEFAULT '',
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (recipient, event_key, kind)
    );
    CREATE INDEX notification_outbox_pending_idx ON notification_outbox (next_attempt_at) WHERE status = 'pending';
    """)
}
