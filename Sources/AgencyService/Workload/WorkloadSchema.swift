import VecheRuntime

/// The appeal facts the workload model reads (kept from the appeal events by `WorkloadFacts`) and the staff
/// recorded per sector block (AgencyService migration 6, issue #12 part 1).
enum WorkloadSchema {
    static let migration = Migration(6, "workload facts and block staff", """
    CREATE TABLE workload_facts (
        appeal_id text PRIMARY KEY,
        last_sequence bigint NOT NULL,
        topic_code text NOT NULL DEFAULT '',
        channel text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT '',
        received_at timestamptz NOT NULL,
        taken_at timestamptz,            -- first assignment or start of work
        first_reaction_at timestamptz,   -- first step after receipt (registration or later)
        answered_at timestamptz,
        closed_at timestamptz,
        executor text NOT NULL DEFAULT '' -- who answered (actor of the answer)
    );
    CREATE INDEX workload_facts_received_idx ON workload_facts (received_at);

    -- Staff recorded per sector block (taxonomy topic code), against which the model's need is compared.
    CREATE TABLE block_staff (
        topic_code text PRIMARY KEY REFERENCES topics(code),
        staff int NOT NULL CHECK (staff >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    """)
}
