/// Tables of the media monitoring (migration 8 of schema `appeal`): public posts with what was found in them,
/// and the incidents surges opened. A post stays a mention; its `appeal_id` is set once it is promoted.
enum MediaSchema {
    static let migrationSQL = """
    CREATE TABLE mentions (
        id uuid PRIMARY KEY,
        source text NOT NULL,
        external_id text NOT NULL,
        url text NOT NULL DEFAULT '',
        author_handle text NOT NULL DEFAULT '',
        published_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        body text NOT NULL,
        territory_hint text NOT NULL DEFAULT '',
        -- [{entityId, kind, name, text, offset, length}] (offsets in Unicode scalars).
        entities jsonb NOT NULL DEFAULT '[]',
        entity_ids text[] NOT NULL DEFAULT '{}',
        tone text NOT NULL CHECK (tone IN ('negative', 'neutral', 'positive')),
        tone_confidence double precision NOT NULL DEFAULT 0,
        topic_code text NOT NULL DEFAULT '',
        topic_confidence double precision NOT NULL DEFAULT 0,
        municipality_oktmo text NOT NULL DEFAULT '',
        incident_id uuid,
        appeal_id uuid,
        UNIQUE (source, external_id)
    );
    CREATE INDEX mentions_published_idx ON mentions (published_at DESC, id DESC);
    CREATE INDEX mentions_entities_idx ON mentions USING gin (entity_ids);
    CREATE INDEX mentions_series_idx ON mentions (published_at, topic_code, municipality_oktmo);

    -- One row per surge of posts on a topic in a territory; its appeal (channel social) carries the deadlines.
    CREATE TABLE media_incidents (
        id uuid PRIMARY KEY,
        topic_code text NOT NULL,
        municipality_oktmo text NOT NULL,
        bucket_start timestamptz NOT NULL,
        bucket_end timestamptz NOT NULL,
        observed int NOT NULL,
        expected double precision NOT NULL,
        p_value double precision NOT NULL,
        q_value double precision NOT NULL,
        opened_at timestamptz NOT NULL,
        appeal_id uuid,
        UNIQUE (topic_code, municipality_oktmo, bucket_start)
    );
    CREATE INDEX media_incidents_opened_idx ON media_incidents (opened_at DESC);
    """
}
