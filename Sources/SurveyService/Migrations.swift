import VecheRuntime

/// SurveyService owns schema `survey`.
enum SurveySchema {
    static let name = "survey"

    static let migrations: [Migration] = [
        Migration(1, "surveys, batches, responses, answers, margins, rejected messages", """
        -- Survey definitions; `definition` is the veche.survey.v1.Survey protobuf (questions, quota targets).
        CREATE TABLE surveys (
            id text PRIMARY KEY,
            title text NOT NULL,
            status text NOT NULL,
            definition bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Every result batch ever received (RPC or JetStream), accepted or not: raw payload + receipt.
        CREATE TABLE batches (
            batch_id text PRIMARY KEY,
            survey_id text NOT NULL,
            team_id text NOT NULL DEFAULT '',
            source text NOT NULL,
            stream_sequence bigint NOT NULL DEFAULT 0,
            status text NOT NULL,
            accepted_rows int NOT NULL,
            rejected_rows int NOT NULL,
            payload bytea NOT NULL,
            receipt bytea NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX batches_survey_idx ON batches (survey_id, received_at);

        -- One row per accepted respondent.
        CREATE TABLE responses (
            seq bigserial PRIMARY KEY,
            survey_id text NOT NULL REFERENCES surveys(id),
            respondent_id text NOT NULL,
            batch_id text NOT NULL REFERENCES batches(batch_id) DEFERRABLE INITIALLY DEFERRED,
            row_index int NOT NULL,
            municipality_oktmo text NOT NULL DEFAULT '',
            stratum text NOT NULL DEFAULT '',
            cluster text NOT NULL DEFAULT '',
            base_weight double precision NOT NULL CHECK (base_weight > 0),
            fpc double precision NOT NULL DEFAULT 0 CHECK (fpc >= 0),
            attr_keys text[] NOT NULL DEFAULT '{}',
            attr_values text[] NOT NULL DEFAULT '{}',
            interviewed_at timestamptz,
            UNIQUE (survey_id, respondent_id)
        );

        CREATE TABLE answers (
            survey_id text NOT NULL,
            respondent_id text NOT NULL,
            question_code text NOT NULL,
            option_codes text[] NOT NULL DEFAULT '{}',
            number double precision,
            text text NOT NULL DEFAULT '',
            PRIMARY KEY (survey_id, question_code, respondent_id),
            FOREIGN KEY (survey_id, respondent_id) REFERENCES responses (survey_id, respondent_id)
        );

        -- Population margins for weighting (post-stratification / raking).
        CREATE TABLE margins (
            survey_id text NOT NULL REFERENCES surveys(id),
            variable text NOT NULL,
            category text NOT NULL,
            population double precision NOT NULL CHECK (population > 0),
            PRIMARY KEY (survey_id, variable, category)
        );

        -- Stream messages that are not a usable ResultBatch (not protobuf, no batch id): kept with the reason.
        CREATE TABLE rejected_messages (
            id bigserial PRIMARY KEY,
            subject text NOT NULL,
            stream_sequence bigint NOT NULL DEFAULT 0,
            reason text NOT NULL,
            payload bytea NOT NULL,
            headers text[] NOT NULL DEFAULT '{}',
            received_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (subject, stream_sequence)
        );
        """),
        Migration(2, "idempotency keys", IdempotencyStore.migrationSQL),
    ]
}
