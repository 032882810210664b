import VecheRuntime

/// The workspace's saved queue filters, per person (AgencyService migration 7, issue #11): kept next to the
/// notification preferences because both are a person's own settings, keyed by the same principal.
enum SavedFilterSchema {
    static let migration = Migration(7, "saved queue filters", """
    -- A named /ws query a person saved. shared_topic_code: the sector block that may also open it ('' = private).
    CREATE TABLE saved_filters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner text NOT NULL CHECK (owner ~ '^(user|client):.+$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
        query text NOT NULL CHECK (length(query) <= 2000),
        shared_topic_code text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner, name)
    );
    CREATE INDEX saved_filters_shared_idx ON saved_filters (shared_topic_code) WHERE shared_topic_code <> '';
    """)

    /// How many filters one person may keep.
    static let perOwnerLimit = 100
}

extension SavedFilterSchema {
    /// Demo filters of the demo people, once (later changes survive restarts): the operator's own, and one the
    /// housing block's lead shares with the block.
    static func seedDemo(_ conn: PGConnection) throws {
        guard try conn.query("INSERT INTO seed_marks (name) VALUES ('demo-saved-filters') ON CONFLICT DO NOTHING RETURNING name").first != nil else {
            return
        }
        let demo: [(String, String, String, String)] = [
            ("user:operator", "Просроченные без исполнителя", "queue=triage&overdue=1", ""),
            ("user:operator", "Соцсети: новые", "queue=all&channel=social&order=newest", ""),
            ("user:sector-housing", "ЖКХ: просроченные", "queue=sector-housing&overdue=1", "housing"),
        ]
        for (owner, name, query, topic) in demo {
            try conn.query("""
                INSERT INTO saved_filters (owner, name, query, shared_topic_code) VALUES (\(owner), \(name), \(query), \(topic))
                ON CONFLICT DO NOTHING
                """)
        }
    }
}
