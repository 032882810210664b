/// Rating migration 5: root-cause cases (системные проблемы) with their history, and target indicators (KPI targets
/// per category and the regulations' additional yearly indicators).
enum RootCauseSchema {
    static let migrationSQL = """
    -- A recurring problem, opened once per key by the detector (RootCauseDetection) and then worked by staff.
    CREATE TABLE root_causes (
        id bigserial PRIMARY KEY,
        case_key text NOT NULL UNIQUE,              -- group:<problem_group_id> | cat:<category>@<oktmo>
        kind text NOT NULL CHECK (kind IN ('problem_group', 'category_territory')),
        problem_group_id text NOT NULL DEFAULT '',
        topic_code text NOT NULL,                   -- the owning sector block
        category_code text NOT NULL DEFAULT '',
        municipality_oktmo text NOT NULL DEFAULT '',
        title text NOT NULL,
        agency_ids text[] NOT NULL DEFAULT '{}',
        plan text NOT NULL DEFAULT '',
        target_date date,
        baseline_from date NOT NULL,
        baseline_to date NOT NULL CHECK (baseline_to >= baseline_from),
        baseline_count int NOT NULL DEFAULT 0,
        reduction_percent double precision NOT NULL DEFAULT 0 CHECK (reduction_percent >= 0 AND reduction_percent <= 100),
        measure_days int NOT NULL DEFAULT 30 CHECK (measure_days BETWEEN 1 AND 366),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_work', 'resolved', 'closed')),
        appeals_at_detection int NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL DEFAULT '',
        version bigint NOT NULL DEFAULT 1
    );
    CREATE INDEX root_causes_status_idx ON root_causes (status, topic_code);
    CREATE INDEX appeal_facts_group_idx ON appeal_facts (problem_group_id) WHERE problem_group_id <> '';
    CREATE INDEX appeal_facts_category_territory_idx ON appeal_facts (category_code, municipality_oktmo, registered_at);

    -- Every change of a case: who, when, what.
    CREATE TABLE root_cause_history (
        id bigserial PRIMARY KEY,
        case_id bigint NOT NULL REFERENCES root_causes (id),
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,                       -- detected | updated | status
        detail text NOT NULL DEFAULT ''
    );
    CREATE INDEX root_cause_history_case_idx ON root_cause_history (case_id, id);

    -- Target indicators: metric set = computed from the appeals (per category or region-wide), else entered.
    CREATE TABLE indicators (
        code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_.-]{1,64}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        unit text NOT NULL DEFAULT '',
        category_code text NOT NULL DEFAULT '',
        metric text NOT NULL DEFAULT '',
        target_value double precision NOT NULL,
        higher_is_better boolean NOT NULL,
        due_date date NOT NULL,
        entered_value double precision,
        note text NOT NULL DEFAULT '',
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    """
}
