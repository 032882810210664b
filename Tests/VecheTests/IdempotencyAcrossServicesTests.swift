import Contracts
import Foundation
import Testing
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import VecheRuntime

/// Every service's mutating RPCs honour `Idempotency-Key` through the one mechanism in VecheRuntime.
@Suite("Idempotency keys on the mutating RPCs of all four services", .serialized)
struct IdempotencyAcrossServicesTests {
    static func keyed(_ key: String) -> CallOptions { CallOptions(metadata: [RPCHeader.idempotencyKey: key]) }

    @Test func everyMutatingRPCIsKeyedAndARetryReturnsTheFirstOutcome() async throws {
        try await withPlatform(appeal: true, rating: true, survey: true) { platform in
            let cluster = platform.cluster
            // What changes state is declared in the .proto files; reads are NO_SIDE_EFFECTS.
            let mutating = Set(platform.hosts.flatMap { h in h.endpoints.filter(\.isMutating).map { "\(h.info.name).\($0.name)" } })
            #expect(mutating == [
                "AgencyService.UpsertRoutingRule", "AgencyService.SetCalendarOverride", "AgencyService.UpsertSlaPolicy",
                "AgencyService.AssignRole", "AgencyService.RevokeRole", "AgencyService.SetNotificationPreferences",
                "AgencyService.SetEscalationChain", "AgencyService.SetBlockStaff",
                "AgencyService.CreateSavedFilter", "AgencyService.UpdateSavedFilter", "AgencyService.DeleteSavedFilter",
                "AppealService.SubmitAppeal", "AppealService.Transition", "AppealService.AnswerAppeal", "AppealService.RateAppeal",
                "AppealService.ReclassifyAppeal",
                "MediaService.SubmitPost", "MediaService.PromoteMention",
                "RatingService.SetWeights", "RatingService.SetKpiTargets", "RatingService.ApproveReport",
                "RatingService.DetectRootCauses", "RatingService.UpdateRootCause", "RatingService.SetIndicator", "RatingService.DeleteIndicator",
                "SurveyService.CreateSurvey", "SurveyService.SetStatus", "SurveyService.SubmitBatch", "SurveyService.SetMargins",
            ])
            #expect(platform.hosts.allSatisfy { $0.interceptors.contains { $0 is IdempotencyInterceptor } })

            // An appeal without an external id, double-submitted from a web form: one appeal with a key.
            let appeals = try await cluster.appeals(as: .user("operator"))
            var form = AppealServiceTests.incoming("", channel: .phone)
            form.externalId = ""
            let a1 = try await appeals.submitAppeal(.init(appeal: form), options: Self.keyed("form-1"))
            let a2 = try await appeals.submitAppeal(.init(appeal: form), options: Self.keyed("form-1"))
            #expect(a1.appeal?.id == a2.appeal?.id)
            #expect(a1.citizenToken == a2.citizenToken, "the replay is the first response, citizen token included")
            let unkeyed = try await appeals.submitAppeal(.init(appeal: form))
            #expect(unkeyed.appeal?.id != a1.appeal?.id, "without a key a resubmission is a new appeal")
            // The key is the caller's: another caller's request with the same key is its own request.
            let other = try await cluster.appeals(as: .user("cur-head")).submitAppeal(.init(appeal: form), options: Self.keyed("form-1"))
            #expect(other.appeal?.id != a1.appeal?.id)

            // A survey created twice with one key: the retry gets the created survey, not 409.
            let surveys = try await cluster.surveys(as: .user("sociologist"))
            let s = SurveyV1.Survey(id: "idem-survey", title: "Транспорт", questions: BatchIntakeQuestions.all)
            let s1 = try await surveys.createSurvey(.init(survey: s), options: Self.keyed("survey-1"))
            let s2 = try await surveys.createSurvey(.init(survey: s), options: Self.keyed("survey-1"))
            #expect(s1 == s2)

            // Rating weights: the key reused for other weights is refused, the first weights stay.
            let ratings = try await cluster.ratings(as: .user("cur-head"))
            let w = RatingV1.Weights(quantity: 1, speed: 1, quality: 1, completeness: 1)
            _ = try await ratings.setWeights(.init(weights: w), options: Self.keyed("weights-1"))
            do {
                _ = try await ratings.setWeights(.init(weights: .init(quantity: 9, speed: 1, quality: 1, completeness: 1)),
                                                 options: Self.keyed("weights-1"))
                Issue.record("a reused key must be refused")
            } catch let e as RPCError {
                #expect(e.code == .unprocessable)
            }

            // A routing rule upserted twice with one key changes the directory revision (and the audit log) once.
            let agencies = try await cluster.agencies(as: .user("cur-head"))
            let rule = AgencyV1.RoutingRule(topicCode: "roads", municipalityOktmo: "38701000", agencyId: "adm-38701000", priority: 5)
            let r1 = try await agencies.upsertRoutingRule(.init(rule: rule), options: Self.keyed("rule-1"))
            let revision = try await agencies.getDirectorySnapshot(.init()).revision
            let r2 = try await agencies.upsertRoutingRule(.init(rule: rule), options: Self.keyed("rule-1"))
            #expect(r1 == r2)
            #expect(try await agencies.getDirectorySnapshot(.init()).revision == revision)
            let audit = try await cluster.agencies(as: .user("kurator")).queryAudit(.init(action: "directory.routing_rule.upsert"))
            #expect(audit.entries.filter { $0.target == r1.rule?.id }.count == 1)
        }
    }
}

/// A small valid questionnaire (the batch-intake test's questions).
enum BatchIntakeQuestions {
    static let all: [SurveyV1.Question] = [
        .init(code: "transport", text: "Main means of transport", type: .single,
              options: [.init(code: "bus", label: "Автобус"), .init(code: "car", label: "Автомобиль")], required: true),
        .init(code: "sat", text: "Satisfaction", type: .likert, scaleMin: 1, scaleMax: 5),
    ]
}
