import Contracts

/// A JSON request body of one of the gateway's own routes.
public protocol GatewayRequestBody: Codable, Sendable {
    /// Every string of the body that travels on into a contract message (checked by `RequestText.refuseNUL`).
    var texts: [String] { get }
}

extension GatewayRequestBody {
    /// 400 when a string of the body holds a NUL character (`RequestText`).
    public func checkTexts() throws { try RequestText.refuseNUL(texts) }
}

/// JSON request bodies of the gateway's own routes (the other routes decode contract messages directly).
/// A library of their own so that the JSON fuzz target (`veche-fuzz`, cases `json/gateway.*`) decodes
/// exactly the types the gateway decodes; a new body type belongs here and in `all`.
public enum GatewayRequests {
    /// `POST /api/v1/appeals/{id}/transitions`. `actor` is refused by the gateway (the actor is the caller).
    public struct TransitionBody: GatewayRequestBody {
        public var action: AppealV1.Action
        public var actor: String?
        public var comment: String?
        public var agencyId: String?
        public var expectedVersion: Int64?
        public var texts: [String] { [actor ?? "", comment ?? "", agencyId ?? ""] }
    }

    /// `POST /api/v1/appeals/{id}/answer`.
    public struct AnswerBody: GatewayRequestBody {
        public var answerText: String
        public var actor: String?
        public var complete: Bool?
        public var expectedVersion: Int64?
        public var texts: [String] { [answerText, actor ?? ""] }
    }

    /// `POST /api/v1/appeals/{id}/classification`.
    public struct ClassificationBody: GatewayRequestBody {
        public var topicCode: String
        public var categoryCode: String?
        public var comment: String?
        public var expectedVersion: Int64?
        public var texts: [String] { [topicCode, categoryCode ?? "", comment ?? ""] }
    }

    /// `POST /api/v1/appeals/{id}/rating` and `POST /api/v1/citizen/appeal/rating`.
    public struct RatingBody: GatewayRequestBody {
        public var satisfaction: Int32
        public var comment: String?
        public var texts: [String] { [comment ?? ""] }
    }

    /// `POST /api/v1/surveys/{id}/status`.
    public struct StatusBody: GatewayRequestBody {
        public var status: SurveyV1.SurveyStatus
        public var texts: [String] { [] }
    }

    /// `PUT /api/v1/calendar/overrides/{date}`.
    public struct OverrideBody: GatewayRequestBody {
        public var kind: String
        public var note: String?
        public var asHoliday: Bool?
        public var texts: [String] { [kind, note ?? ""] }
    }

    /// `POST /api/v1/reports/{period}/approval`.
    public struct ApprovalBody: GatewayRequestBody {
        public var note: String?
        public var texts: [String] { [note ?? ""] }
    }

    /// `POST /api/v1/mentions/{id}/promotion`: an operator's note for the new appeal.
    public struct PromoteBody: GatewayRequestBody {
        public var comment: String?
        public var texts: [String] { [comment ?? ""] }
    }

    /// Every body type above, for tooling that must cover them all.
    public static let all: [any GatewayRequestBody.Type] = [
        TransitionBody.self, AnswerBody.self, ClassificationBody.self, RatingBody.self, StatusBody.self, OverrideBody.self, ApprovalBody.self,
        PromoteBody.self,
    ]
}
