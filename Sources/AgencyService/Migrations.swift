import VecheRuntime

/// AgencyService owns schema `agency`: the directory (municipalities, agencies), the taxonomy copy,
/// routing rules, SLA policies per channel and regional production-calendar overrides.
enum AgencySchema {
    static let name = "agency"

    static let migrations: [Migration] = [
        Migration(1, "directory, taxonomy, routing, sla, calendar overrides", """
        CREATE TABLE municipalities (
            oktmo text PRIMARY KEY CHECK (oktmo ~ '^[0-9]{8}([0-9]{3})?$'),
            name text NOT NULL,
            type int NOT NULL,
            population bigint NOT NULL DEFAULT 0 CHECK (population >= 0),
            parent_oktmo text REFERENCES municipalities(oktmo),
            latitude double precision,
            longitude double precision,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (parent_oktmo IS NULL OR parent_oktmo <> oktmo)
        );
        CREATE INDEX municipalities_parent_idx ON municipalities (parent_oktmo);

        CREATE TABLE topics (
            code text PRIMARY KEY,
            name text NOT NULL,
            name_en text NOT NULL DEFAULT '',
            position int NOT NULL
        );
        CREATE TABLE categories (
            code text PRIMARY KEY,
            topic_code text NOT NULL REFERENCES topics(code),
            name text NOT NULL,
            position int NOT NULL
        );

        CREATE TABLE agencies (
            id text PRIMARY KEY,
            name text NOT NULL,
            short_name text NOT NULL DEFAULT '',
            kind int NOT NULL,
            parent_id text REFERENCES agencies(id),
            municipality_oktmo text REFERENCES municipalities(oktmo),
            email text NOT NULL DEFAULT '',
            phone text NOT NULL DEFAULT '',
            active boolean NOT NULL DEFAULT true,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (parent_id IS NULL OR parent_id <> id)
        );
        CREATE INDEX agencies_parent_idx ON agencies (parent_id);
        CREATE INDEX agencies_municipality_idx ON agencies (municipality_oktmo);

        CREATE TABLE agency_social_accounts (
            agency_id text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
            network text NOT NULL CHECK (network IN ('vk', 'ok', 'telegram')),
            handle text NOT NULL,
            url text NOT NULL DEFAULT '',
            PRIMARY KEY (agency_id, network, handle)
        );
        CREATE TABLE agency_staff (
            agency_id text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
            role text NOT NULL,
            person text NOT NULL,
            email text NOT NULL DEFAULT '',
            phone text NOT NULL DEFAULT '',
            PRIMARY KEY (agency_id, role, person)
        );
        CREATE TABLE agency_topics (
            agency_id text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
            topic_code text NOT NULL REFERENCES topics(code),
            PRIMARY KEY (agency_id, topic_code)
        );
        CREATE INDEX agency_topics_topic_idx ON agency_topics (topic_code);

        -- '' = wildcard for category / territory (keeps the natural key unique without NULL tricks).
        CREATE TABLE routing_rules (
            id text PRIMARY KEY,
            topic_code text NOT NULL REFERENCES topics(code),
            category_code text NOT NULL DEFAULT '',
            municipality_oktmo text NOT NULL DEFAULT '',
            agency_id text NOT NULL REFERENCES agencies(id),
            priority int NOT NULL DEFAULT 0,
            seeded boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (topic_code, category_code, municipality_oktmo, agency_id)
        );
        CREATE INDEX routing_rules_lookup_idx ON routing_rules (topic_code, category_code, municipality_oktmo);

        CREATE TABLE sla_policies (
            channel text PRIMARY KEY,
            register_days int NOT NULL CHECK (register_days >= 0),
            forward_days int NOT NULL CHECK (forward_days >= 0),
            answer_days int NOT NULL CHECK (answer_days >= 0),
            extension_days int NOT NULL DEFAULT 0 CHECK (extension_days >= 0),
            working_days boolean NOT NULL DEFAULT false,
            first_reaction_working_hours int NOT NULL DEFAULT 0 CHECK (first_reaction_working_hours >= 0),
            business_day_start_minute int NOT NULL DEFAULT 540,
            business_day_end_minute int NOT NULL DEFAULT 1080,
            note text NOT NULL DEFAULT '',
            CHECK (0 <= business_day_start_minute AND business_day_start_minute < business_day_end_minute
                   AND business_day_end_minute <= 1440)
        );

        CREATE TABLE calendar_overrides (
            day date PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('non_working', 'working', 'shortened')),
            note text NOT NULL DEFAULT '',
            as_holiday boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """),
        Migration(2, "role assignments", """
        -- Who holds which role of the ЦУР, over which part of the region. The identity provider says who a
        -- principal is (user:<username> / client:<client id>); this table says what it may do. '' = not scoped.
        CREATE TABLE role_assignments (
            id text PRIMARY KEY,
            principal text NOT NULL CHECK (principal ~ '^(user|client):.+$'),
            role text NOT NULL CHECK (role IN ('curator', 'center_head', 'sector_responsible', 'sector_head', 'operator',
                'executor', 'media_officer', 'sociologist', 'survey_team', 'analyst', 'integration', 'import', 'service',
                'public_portal')),
            agency_id text NOT NULL DEFAULT '',
            topic_code text NOT NULL DEFAULT '',
            survey_id text NOT NULL DEFAULT '',
            team_id text NOT NULL DEFAULT '',
            channel text NOT NULL DEFAULT '',
            granted_by text NOT NULL,
            granted_at timestamptz NOT NULL DEFAULT now(),
            note text NOT NULL DEFAULT '',
            UNIQUE (principal, role, agency_id, topic_code, survey_id, team_id, channel)
        );
        CREATE INDEX role_assignments_principal_idx ON role_assignments (principal);
        -- One-time seeds already applied (a revoked demo role must not come back on the next start).
        CREATE TABLE seed_marks (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        """),
        Migration(3, "directory revision", """
        -- Bumped by every change other services copy (see DirectoryChanges).
        CREATE TABLE directory_revision (
            id int PRIMARY KEY CHECK (id = 1),
            revision bigint NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO directory_revision (id, revision) VALUES (1, 1);
        """),
        Migration(4, "idempotency keys", IdempotencyStore.migrationSQL),
        NotificationSchema.migration,
        WorkloadSchema.migration,
        SavedFilterSchema.migration,
        NotificationSchema.alertsByAppeal,
        NotificationSchema.digests,
    ]
}
