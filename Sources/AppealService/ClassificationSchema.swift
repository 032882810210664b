import VecheRuntime

/// Schema for issue #13 (classification you can trust): the classifier version and triage flag on
/// each appeal, operators' corrections kept as labelled examples, and the trained models (one active).
/// Queries on these tables live in the `ClassifierStore` library, shared with `veche-tool`.
enum ClassificationSchema {
    static func migration(_ version: Int) -> Migration {
        Migration(version, "classifier versions, triage, corrections as training examples, stored models", """
        ALTER TABLE appeals ADD COLUMN classifier_version text NOT NULL DEFAULT '',
                            ADD COLUMN needs_triage boolean NOT NULL DEFAULT false;
        -- The operators' triage queue: low-confidence appeals nobody has routed yet.
        CREATE INDEX appeals_triage_idx ON appeals (received_at DESC, id DESC) WHERE needs_triage AND agency_id = '';

        -- Operators' corrections of the automatic classification (latest per appeal): labelled examples
        -- that `veche-tool classifier-train --postgres` adds to the training data.
        CREATE TABLE classification_examples (
            appeal_id uuid PRIMARY KEY REFERENCES appeals(id),
            text text NOT NULL,
            channel text NOT NULL DEFAULT '',
            topic_code text NOT NULL,
            category_code text NOT NULL,
            predicted_topic text NOT NULL DEFAULT '',
            predicted_category text NOT NULL DEFAULT '',
            predicted_confidence double precision NOT NULL DEFAULT 0,
            model_version text NOT NULL DEFAULT '',
            actor text NOT NULL DEFAULT '',
            corrected_at timestamptz NOT NULL
        );
        CREATE INDEX classification_examples_corrected_idx ON classification_examples (corrected_at);

        -- Trained classifier models. At most one is active: AppealService classifies with it
        -- (the model bundled with the build when none is). `veche-tool classifier-activate` stores and
        -- activates a model only if it is not worse than the active one on the same held-out data.
        CREATE TABLE classifier_models (
            version text PRIMARY KEY,
            model bytea NOT NULL,
            metrics jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            activated_at timestamptz,
            active boolean NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX classifier_models_one_active ON classifier_models (active) WHERE active;
        """)
    }

    /// Migration 23: a correction keeps the rubric the citizen chose (`appeals.topic_hint`), which the classifier
    /// sees as a feature (`FeatureBlock.rubric`); examples recorded before take it from their appeal.
    static let rubricSQL = """
        ALTER TABLE classification_examples ADD COLUMN rubric text NOT NULL DEFAULT '';
        UPDATE classification_examples e SET rubric = a.topic_hint FROM appeals a WHERE a.id = e.appeal_id AND a.topic_hint <> '';
        """
}
