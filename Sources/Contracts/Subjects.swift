/// Every JetStream stream and subject the platform uses, built in one place.
public enum Subjects {
    /// Intake of appeals from external systems: `veche.intake.v1.<channel>`.
    public enum Intake {
        public static let stream = "VECHE_INTAKE"
        public static let wildcard = "veche.intake.v1.>"
        public static func subject(for channel: AppealV1.Channel) -> String { "veche.intake.v1." + channel.name }
    }

    /// Appeal lifecycle events: `veche.events.v1.appeal.<event type>`.
    public enum AppealEvents {
        public static let stream = "VECHE_APPEAL_EVENTS"
        public static let wildcard = "veche.events.v1.appeal.>"
        public static func subject(for type: AppealV1.EventType) -> String { "veche.events.v1.appeal." + type.name }
    }

    /// Survey result batches from field teams: `veche.survey.v1.batches.<team>`.
    public enum SurveyBatches {
        public static let stream = "VECHE_SURVEY_BATCHES"
        public static let wildcard = "veche.survey.v1.batches.>"
        /// Receipts (accepted / rejected rows) are published back on `veche.survey.v1.receipts.<batch id>`.
        public static let receiptsWildcard = "veche.survey.v1.receipts.>"
        public static func subject(team: String) -> String { "veche.survey.v1.batches." + Subjects.token(team) }
        public static func receipt(batchID: String) -> String { "veche.survey.v1.receipts." + Subjects.token(batchID) }
    }

    /// ADR-32 discovery subjects.
    public enum Discovery {
        public static let verbs = ["PING", "INFO", "STATS"]
        public static func subjects(verb: String, name: String, id: String) -> [String] {
            ["$SRV.\(verb)", "$SRV.\(verb).\(name)", "$SRV.\(verb).\(name).\(id)"]
        }
    }

    /// Makes an arbitrary string safe as one subject token.
    public static func token(_ s: String) -> String {
        let mapped = s.unicodeScalars.map { c -> Character in
            switch c {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_": return Character(c)
            default: return "_"
            }
        }
        return mapped.isEmpty ? "_" : String(mapped)
    }
}
