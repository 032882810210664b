import Contracts
import Foundation
import Testing
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import RatingService
@testable import SurveyService
@testable import VecheRuntime

/// Every service's mutating RPCs honour `Idempotency-Key` through the one mechanism in VecheRuntime.
@Suite("Idempotency keys on the mutating RPCs of all four services", .serialized)
struct IdempotencyAcrossServicesTests {
    static func keyed(_ key: String) -> CallOptions { CallOptions(metadata: [RPCHeader.idempotencyKey: key]) }

    @Test func everyMutatingRPCIsKeyedAndARetryReturnsTheFirstOutcome() async throws {
        try await withCluster { cluster in
            let envs = (agency: try await cluster.environment("agency", schema: AgencySchema.name),
                        appeal: try await cluster.environment("appeal", schema: AppealSchema.name),
                        rating: try await cluster.environment("rating", schema: RatingSchema.name),
                        survey: try await cluster.environment("survey", schema: SurveySchema.name))
            defer { [envs.agency, envs.appeal, envs.rating, envs.survey].forEach { $0.close() } }
            let agency = try await AgencyServiceApp.build(env: envs.agency)
            let appeal = try await AppealServiceApp.build(env: envs.appeal)
            let rating = try await RatingServiceApp.build(env: envs.rating, useAgencyService: false)
            let survey = try await SurveyServiceApp.build(env: envs.survey)
            let hosts = [agency.host, appeal.host, rating.host, survey.host]
            // What changes state is declared in the .proto files; reads are NO_SIDE_EFFECTS.
            let mutating = Set(hosts.flatMap { h in h.endpoints.filter(\.isMutating).map { "\(h.info.name).\($0.name)" } })
            #expect(mutating == [
                "AgencyService.UpsertRoutingRule", "AgencyService.SetCalendarOverride", "AgencyService.UpsertSlaPolicy",
                "AppealService.SubmitAppeal", "AppealService.Transition", "AppealService.AnswerAppeal", "AppealService.RateAppeal",
                "RatingService.SetWeights",
                "SurveyService.CreateSurvey", "SurveyService.SetStatus", "SurveyService.SubmitBatch", "SurveyService.SetMargins",
            ])
            #expect(hosts.allSatisfy { $0.interceptors.contains { $0 is IdempotencyInterceptor } })

            try await withServices(agency.services + appeal.services + rating.services + survey.services, logger: cluster.logger) {
                for h in hosts { await h.waitUntilReady() }
                let nats = envs.appeal.nats

                // An appeal without an external id, double-submitted from a web form: one appeal with a key.
                let appeals = AppealV1.AppealService.Client(transport: nats)
                var form = AppealServiceTests.incoming("")
                form.externalId = ""
                let a1 = try await appeals.submitAppeal(.init(appeal: form), options: Self.keyed("form-1"))
                let a2 = try await appeals.submitAppeal(.init(appeal: form), options: Self.keyed("form-1"))
                #expect(a1.appeal?.id == a2.appeal?.id)
                let unkeyed = try await appeals.submitAppeal(.init(appeal: form))
                #expect(unkeyed.appeal?.id != a1.appeal?.id, "without a key a resubmission is a new appeal")

                // A survey created twice with one key: the retry gets the created survey, not 409.
                let surveys = SurveyV1.SurveyService.Client(transport: nats)
                let s = SurveyV1.Survey(id: "idem-survey", title: "Транспорт", questions: BatchIntakeQuestions.all)
                let s1 = try await surveys.createSurvey(.init(survey: s), options: Self.keyed("survey-1"))
                let s2 = try await surveys.createSurvey(.init(survey: s), options: Self.keyed("survey-1"))
                #expect(s1 == s2)

                // Rating weights: the key reused for other weights is refused, the first weights stay.
                let ratings = RatingV1.RatingService.Client(transport: nats)
                let w = RatingV1.Weights(quantity: 1, speed: 1, quality: 1, completeness: 1)
                _ = try await ratings.setWeights(.init(weights: w), options: Self.keyed("weights-1"))
                do {
                    _ = try await ratings.setWeights(.init(weights: .init(quantity: 9, speed: 1, quality: 1, completeness: 1)),
                                                     options: Self.keyed("weights-1"))
                    Issue.record("a reused key must be refused")
                } catch let e as RPCError {
                    #expect(e.code == .unprocessable)
                }

                // A routing rule upserted twice with one key changes the directory revision once.
                let agencies = AgencyV1.AgencyService.Client(transport: nats)
                let rule = AgencyV1.RoutingRule(topicCode: "roads", municipalityOktmo: "38701000", agencyId: "adm-38701000", priority: 5)
                let r1 = try await agencies.upsertRoutingRule(.init(rule: rule), options: Self.keyed("rule-1"))
                let revision = try await agencies.getDirectorySnapshot(.init()).revision
                let r2 = try await agencies.upsertRoutingRule(.init(rule: rule), options: Self.keyed("rule-1"))
                #expect(r1 == r2)
                #expect(try await agencies.getDirectorySnapshot(.init()).revision == revision)
            }
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
