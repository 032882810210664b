import Contracts

/// A JSON request body of one of the gateway's own routes.
public protocol GatewayRequestBody: Codable, Sendable {}

/// JSON request bodies of the gateway's own routes (the other routes decode contract messages directly).
/// A library of their own so that the JSON fuzz target (`veche-fuzz`, cases `json/gateway.*`) decodes
/// exactly the types the gateway decodes; a new body type belongs here and in `all`.
public enum GatewayRequests {
    /// `POST /api/v1/appeals/{id}/transitions`.
    public struct TransitionBody: GatewayRequestBody {
        public var action: AppealV1.Action
        public var actor: String?
        public var comment: String?
        public var agencyId: String?
        public var expectedVersion: Int64?
    }

    /// `POST /api/v1/appeals/{id}/answer`.
    public struct AnswerBody: GatewayRequestBody {
        public var answerText: String
        public var actor: String?
        public var complete: Bool?
        public var expectedVersion: Int64?
    }

    /// `POST /api/v1/appeals/{id}/rating`.
    public struct RatingBody: GatewayRequestBody {
        public var satisfaction: Int32
        public var comment: String?
    }

    /// `POST /api/v1/surveys/{id}/status`.
    public struct StatusBody: GatewayRequestBody {
        public var status: SurveyV1.SurveyStatus
    }

    /// Every body type above, for tooling that must cover them all.
    public static let all: [any GatewayRequestBody.Type] = [TransitionBody.self, AnswerBody.self, RatingBody.self, StatusBody.self]
}
