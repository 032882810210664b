/// Every JetStream stream and subject the platform uses, built in one place.
public enum Subjects {
    /// Intake of appeals from external systems: `veche.intake.v1.<channel>`.
    public enum Intake {
        public static let stream = "VECHE_INTAKE"
        public static let wildcard = "veche.intake.v1.>"
        /// AppealService's durable consumer of the intake stream.
        public static let durable = "appeal-intake"
        public static func subject(for channel: AppealV1.Channel) -> String { subject(channel: channel.name) }
        public static func subject(channel: String) -> String { "veche.intake.v1." + channel }
    }

    /// Public posts and publications from monitoring systems: `veche.mentions.v1.<source>` (JSON-free protobuf
    /// `veche.media.v1.IncomingPost`). A mention is not an appeal: it has its own stream and consumer.
    public enum Mentions {
        public static let stream = "VECHE_MENTIONS"
        public static let wildcard = "veche.mentions.v1.>"
        /// AppealService's durable consumer of the mention stream.
        public static let durable = "appeal-mentions"
        /// Integrating systems whose users may publish mentions (and call `MediaService.SubmitPost`).
        public static let channels: Set<String> = ["social", "messenger"]
        public static func subject(source: String) -> String { "veche.mentions.v1." + Subjects.token(source) }
    }

    /// Appeal lifecycle events: `veche.events.v1.appeal.<event type>`.
    public enum AppealEvents {
        public static let stream = "VECHE_APPEAL_EVENTS"
        public static let wildcard = "veche.events.v1.appeal.>"
        public static func subject(for type: AppealV1.EventType) -> String { "veche.events.v1.appeal." + type.name }
        /// Appeals AppealService's event relay admits per publishing wave (each wave also carries the next event of
        /// every appeal admitted before): an intake's events of one appeal then lie within about 4 × this many
        /// stream positions.
        public static let relayAdmittedPerWave = 32
        /// Events a projection consumer (RatingService, AgencyService's notifier) takes per batch: well above the
        /// relay's spread, so a batch usually holds every event of an appeal and writes its row once.
        public static let projectionBatch = 1024
    }

    /// AgencyService directory changes (routing rules, SLA policies, calendar overrides), on core NATS:
    /// a `veche.agency.v1.DirectoryChanged` after every committed change. Copies refresh on it (and poll).
    public enum Directory {
        public static let changed = "veche.events.v1.agency.directory_changed"
    }

    /// Notifications for messenger bridges (JetStream stream `VECHE_NOTIFY`, JSON `MessengerNotification`):
    /// AgencyService publishes each one addressed to a messenger on `veche.notify.v1.<channel>`; the bridge of
    /// that messenger (`veche-tool messenger-bridge`) consumes them through its durable `messenger-<channel>`.
    public enum Notifications {
        public static let stream = "VECHE_NOTIFY"
        public static let wildcard = "veche.notify.v1.>"
        /// The durable consumer of a messenger's bridge.
        public static func bridgeDurable(channel: String) -> String { "messenger-" + Subjects.token(channel) }
        /// AgencyService's durable consumer of the appeal events (escalations, citizens' notices).
        public static let eventsDurable = "agency-notifications"
        public static func subject(channel: String) -> String { "veche.notify.v1." + Subjects.token(channel) }
    }

    /// Survey result batches from field teams: `veche.survey.v1.batches.<team>`.
    public enum SurveyBatches {
        public static let stream = "VECHE_SURVEY_BATCHES"
        public static let wildcard = "veche.survey.v1.batches.>"
        /// SurveyService's durable consumer of the batch stream.
        public static let durable = "survey-batches"
        /// Receipts (accepted / rejected rows) are published back on `veche.survey.v1.receipts.<team>.<batch id>`:
        /// each team may subscribe to its own receipts only.
        public static let receiptsWildcard = "veche.survey.v1.receipts.>"
        public static func subject(team: String) -> String { "veche.survey.v1.batches." + Subjects.token(team) }
        public static func receipt(team: String, batchID: String) -> String {
            "veche.survey.v1.receipts." + Subjects.token(team) + "." + Subjects.token(batchID)
        }
        public static func receipts(team: String) -> String { "veche.survey.v1.receipts." + Subjects.token(team) + ".>" }
    }

    /// Role assignments changed (payload: the principal key, or empty for "everyone"): services drop cached grants.
    public enum Grants {
        public static let changed = "veche.events.v1.grants.changed"
    }

    /// ADR-32 discovery subjects.
    public enum Discovery {
        public static let verbs = ["PING", "INFO", "STATS"]
        /// The platform's four backend services, whose PINGs the gateway's readiness check sends.
        public static let platformServices = [AppealV1.AppealService.name, AgencyV1.AgencyService.name,
                                              RatingV1.RatingService.name, SurveyV1.SurveyService.name, MediaV1.MediaService.name]
        /// `$SRV.PING.<service>`: answered by every live instance of `service`.
        public static func ping(_ service: String) -> String { "$SRV.PING.\(service)" }
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
