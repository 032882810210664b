import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import SurveyService

@Suite("SurveyService surveys, workflow and batch intake", .serialized)
struct BatchIntakeTests {
    static let questions: [SurveyV1.Question] = [
        .init(code: "transport", text: "Main means of transport", type: .single,
              options: [.init(code: "bus", label: "Автобус"), .init(code: "tram", label: "Трамвай"), .init(code: "car", label: "Автомобиль")], required: true),
        .init(code: "problems", text: "Problems in your district", type: .multiple,
              options: [.init(code: "roads", label: "Дороги"), .init(code: "garbage", label: "Мусор"), .init(code: "lighting", label: "Освещение")]),
        .init(code: "sat_roads", text: "Satisfaction with roads", type: .likert, scaleMin: 1, scaleMax: 5),
        .init(code: "recommend", text: "Would you recommend the city", type: .nps),
        .init(code: "age", text: "Age", type: .numeric, scaleMin: 18, scaleMax: 110),
        .init(code: "comment", text: "Comment", type: .text),
    ]

    static func row(_ id: String, transport: String = "bus", extra: [SurveyV1.Answer] = [], weight: Double = 1) -> SurveyV1.Response {
        SurveyV1.Response(respondentId: id, municipalityOktmo: "38701000", baseWeight: weight,
                          answers: [choice("transport", transport), numeric("sat_roads", 4), numeric("recommend", 9), numeric("age", 40)] + extra)
    }

    @Test func validationWorkflowAndIdempotency() async throws {
        try await withSurveyService { client, env in
            try await env.allowTeams(for: ["city-2025", "nope"])
            // Survey validation: every problem listed.
            do {
                _ = try await client.createSurvey(.init(survey: .init(title: " ", questions: [
                    .init(code: "q1", type: .single, options: [.init(code: "a")]),
                    .init(code: "q1", type: .likert, scaleMin: 5, scaleMax: 1),
                    .init(code: "q 3", type: .unspecified)])))
                Issue.record("invalid survey must be rejected")
            } catch let e as RPCError {
                #expect(e.code == .invalidArgument)
                for part in ["title is required", "needs at least 2 options", "duplicate question code", "Likert scale must have 2–11 points",
                             "type is required"] {
                    #expect(e.message.contains(part), "\(e.message)")
                }
            }
            let created = try #require(try await client.createSurvey(.init(survey: .init(id: "city-2025", title: "Городская среда 2025",
                                                                                        questions: Self.questions,
                                                                                        quotas: [.init(variable: "municipality", category: "38701000", target: 5),
                                                                                                 .init(variable: "sex", category: "f", target: 3)]))).survey)
            #expect(created.status == .draft && created.createdAtMs > 0)
            await #expect(throws: RPCError(.alreadyExists, "survey city-2025 already exists")) {
                _ = try await client.createSurvey(.init(survey: .init(id: "city-2025", title: "again", questions: Self.questions)))
            }

            // Not in fieldwork: REJECTED, the raw batch stored, receipt retrievable.
            let early = try #require(try await client.submitBatch(.init(batch: .init(batchId: "b-draft", surveyId: "city-2025", responses: [Self.row("r1")]))).receipt)
            #expect(early.status == .rejected && early.acceptedRows == 0 && early.rejectedRows == 1)
            #expect(early.errors.first?.message == "survey city-2025 is in status draft; batches are accepted only during fieldwork")
            #expect(try await client.getBatchReceipt(.init(batchId: "b-draft")).receipt == early)

            // Workflow.
            do {
                _ = try await client.setStatus(.init(id: "city-2025", status: .closed))
                Issue.record("draft → closed must fail")
            } catch let e as RPCError {
                #expect(e.code == .failedPrecondition && e.message.contains("cannot move survey city-2025 from draft to closed"))
            }
            let fw = try #require(try await client.setStatus(.init(id: "city-2025", status: .fieldwork)).survey)
            #expect(fw.status == .fieldwork && fw.fieldworkFromMs > 0)

            // Per-row validation → PARTIAL.
            var rows: [SurveyV1.Response] = [
                Self.row("r1"),                                                             // 0 ok
                Self.row("r2", extra: [numeric("q_unknown", 1)]),                           // 1 unknown question
                Self.row("r3", transport: "metro"),                                         // 2 option not in question
                { var r = Self.row("r4"); r.answers[1] = numeric("sat_roads", 7); return r }(),   // 3 Likert out of range
                { var r = Self.row("r5"); r.answers[2] = numeric("recommend", 11); return r }(),  // 4 NPS out of range
                { var r = Self.row("r6"); r.answers[3] = numeric("age", 7); return r }(),         // 5 numeric out of range
                { var r = Self.row("r7"); r.answers.removeFirst(); return r }(),                 // 6 missing required answer
                Self.row("r8", weight: -2),                                                 // 7 non-positive weight
                Self.row("r1", transport: "tram"),                                          // 8 duplicate respondent in batch
                Self.row("r10", extra: [choice("problems", "roads", "garbage"), .init(questionCode: "comment", text: "Ямы во дворе")]), // 9 ok
            ]
            rows[9].attributes = [.init(key: "sex", value: "f")]
            let partial = try #require(try await client.submitBatch(.init(batch: .init(batchId: "b-1", surveyId: "city-2025", teamId: "t1", responses: rows))).receipt)
            #expect(partial.status == .partial && partial.acceptedRows == 2 && partial.rejectedRows == 8 && !partial.duplicate)
            let byRow = Dictionary(grouping: partial.errors, by: \.rowIndex)
            #expect(Set(byRow.keys) == [1, 2, 3, 4, 5, 6, 7, 8])
            func message(_ row: Int32) -> String { byRow[row]?.map(\.message).joined(separator: " | ") ?? "" }
            #expect(message(1).contains("unknown question code 'q_unknown'"))
            #expect(message(2) == "option 'metro' is not an option of question transport (bus, tram, car)")
            #expect(message(3) == "likert answer 7 to sat_roads is out of range 1..5")
            #expect(message(4) == "nps answer 11 to recommend is out of range 0..10")
            #expect(message(5) == "numeric answer 7 to age is out of range 18..110")
            #expect(message(6) == "missing answer to required question transport")
            #expect(message(7).contains("base_weight -2 must be a positive number"))
            #expect(message(8) == "duplicate respondent id r1 in this batch (first at row 0)")
            #expect(byRow[2]?.first?.field == "answers.transport" && byRow[2]?.first?.respondentId == "r3")

            // Re-sent batch: stored receipt replayed, nothing stored twice.
            let again = try #require(try await client.submitBatch(.init(batch: .init(batchId: "b-1", surveyId: "city-2025", responses: rows))).receipt)
            #expect(again.duplicate && again.status == .partial && again.acceptedRows == 2 && again.errors == partial.errors)
            var survey = try await client.getSurvey(.init(id: "city-2025"))
            #expect(survey.responses == 2)
            #expect(survey.survey?.quotas.map(\.achieved) == [2, 1])

            // A respondent already stored from another batch.
            let later = try #require(try await client.submitBatch(.init(batch: .init(batchId: "b-2", surveyId: "city-2025",
                                                                                      responses: [Self.row("r1"), Self.row("r11")]))).receipt)
            #expect(later.status == .partial && later.acceptedRows == 1)
            #expect(later.errors.map(\.message) == ["duplicate respondent id r1 in survey city-2025 (already stored from batch b-1)"])

            // Over JetStream: survey unknown → REJECTED receipt, stored.
            let unknown = try await publishBatch(env, .init(batchId: "b-unknown", surveyId: "nope", responses: [Self.row("x1")]))
            #expect(unknown.status == .rejected && unknown.errors.first?.message == "survey nope not found")
            #expect(try await client.getBatchReceipt(.init(batchId: "b-unknown")).receipt?.status == .rejected)

            // Malformed protobuf on the stream: kept with the reason, the consumer goes on.
            try await env.publishRaw(team: "team-2", payload: [0xFF, 0xFF, 0xFF, 0x01, 0x02], messageID: "junk-1")
            let good = try await publishBatch(env, .init(batchId: "b-3", surveyId: "city-2025", responses: [Self.row("r12")]))
            #expect(good.status == .accepted)
            let pool = try env.requirePool()
            #expect(try await eventually {
                try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM survey.rejected_messages").first?.int("n") ?? 0 } == 1
            })
            let kept = try #require(try await pool.withConnection { conn in
                try conn.query("SELECT subject, reason, payload FROM survey.rejected_messages").first
            })
            #expect(kept.string("subject") == "veche.survey.v1.batches.team-2")
            #expect(kept.string("reason").contains("not a valid veche.survey.v1.ResultBatch protobuf"))
            #expect(PGBytes.decode(kept.string("payload")) == [0xFF, 0xFF, 0xFF, 0x01, 0x02])
            // Raw payloads of all batches kept, including rejected ones.
            let stored = try await pool.withConnection { conn in
                try conn.query("SELECT batch_id, status, payload FROM survey.batches ORDER BY batch_id").rows
            }
            #expect(stored.map { $0.string("batch_id") } == ["b-1", "b-2", "b-3", "b-draft", "b-unknown"])
            #expect(stored.map { $0.string("status") } == ["partial", "partial", "accepted", "rejected", "rejected"])
            let raw = try #require(PGBytes.decode(stored[0].string("payload")))
            #expect(try SurveyV1.ResultBatch(serializedBytes: raw).responses.count == 10)

            // Closing stops intake; published is final.
            _ = try await client.setStatus(.init(id: "city-2025", status: .closed))
            let closed = try #require(try await client.submitBatch(.init(batch: .init(batchId: "b-4", surveyId: "city-2025", responses: [Self.row("r13")]))).receipt)
            #expect(closed.status == .rejected && closed.errors.first?.message.contains("in status closed") == true)
            let pub = try await client.setStatus(.init(id: "city-2025", status: .published))
            #expect(pub.survey?.status == .published)
            await #expect(throws: RPCError.self) { _ = try await client.setStatus(.init(id: "city-2025", status: .fieldwork)) }
            survey = try await client.getSurvey(.init(id: "city-2025"))
            #expect(survey.responses == 4)
            #expect(try await client.listSurveys(.init()).surveys.map(\.id) == ["city-2025"])

            // Clear errors for bad requests.
            await #expect(throws: RPCError(.invalidArgument, "batch_id is required (it is the idempotency key)")) {
                _ = try await client.submitBatch(.init(batch: .init(surveyId: "city-2025")))
            }
            await #expect(throws: RPCError(.notFound, "batch zzz not found")) { _ = try await client.getBatchReceipt(.init(batchId: "zzz")) }
            await #expect(throws: RPCError(.notFound, "survey nope not found")) { _ = try await client.getSurvey(.init(id: "nope")) }
            await #expect(throws: RPCError(.invalidArgument, "question comment is a text question; text answers have no estimate")) {
                _ = try await client.estimate(.init(surveyId: "city-2025", questionCode: "comment"))
            }
        }
    }

    /// Rows whose sample design disagrees with the survey's stored responses are refused at intake with the reason,
    /// and the rest of the batch is stored: before, such a batch was accepted and every later estimate of the survey
    /// failed ("respondent … has no stratum while other responses are stratified"), with no way to delete the rows.
    @Test func rowsThatWouldBreakTheDesignAreRefusedAtIntake() async throws {
        try await withSurveyService { client, env in
            try await env.allowTeams(for: ["design-2025"])
            _ = try await client.createSurvey(.init(survey: .init(id: "design-2025", title: "Дизайн", questions: Self.questions)))
            _ = try await client.setStatus(.init(id: "design-2025", status: .fieldwork))
            func row(_ id: String, stratum: String, fpc: Double) -> SurveyV1.Response {
                var r = Self.row(id)
                r.stratum = stratum
                r.fpc = fpc
                return r
            }
            let first = try #require(try await client.submitBatch(.init(batch: .init(batchId: "d-1", surveyId: "design-2025", responses: [
                row("s1", stratum: "north", fpc: 500), row("s2", stratum: "north", fpc: 500),
                row("s3", stratum: "south", fpc: 300), row("s4", stratum: "south", fpc: 300)]))).receipt)
            #expect(first.status == .accepted)
            let second = try #require(try await client.submitBatch(.init(batch: .init(batchId: "d-2", surveyId: "design-2025", responses: [
                row("s5", stratum: "", fpc: 500),          // no stratum in a stratified survey
                row("s6", stratum: "north", fpc: 0),       // no fpc where every response has one
                row("s7", stratum: "north", fpc: 800),     // another population size for the stratum
                row("s8", stratum: "south", fpc: 300)]))).receipt)
            #expect(second.status == .partial && second.acceptedRows == 1 && second.rejectedRows == 3)
            #expect(second.errors.map(\.field) == ["stratum", "fpc", "fpc"])
            #expect(second.errors[0].message.contains("stratum is required"))
            #expect(second.errors[2].message.contains("already has"))
            // The survey still estimates.
            let estimate = try await client.estimate(.init(surveyId: "design-2025", questionCode: "sat_roads"))
            #expect(estimate.rows.first?.n == 5)
        }
    }

    /// Batches published while SurveyService is down wait in the durable consumer and are stored on restart.
    @Test func batchesSurviveServiceDowntime() async throws {
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let env = try await cluster.environment("survey", schema: SurveySchema.name)
            defer { env.close(); agencyEnv.close() }
            let agency = try await AgencyServiceApp.build(env: agencyEnv)
            let t = SurveyTestEnv(env: env, cluster: cluster)
            try await withServices(agency.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                let client = try await cluster.surveys(as: .user("sociologist"))
                try await t.allowTeams(for: ["s1"])
                let first = try await SurveyServiceApp.build(env: env)
                try await withServices(first.services, logger: cluster.logger) {
                    await first.host.waitUntilReady()
                    _ = try await client.createSurvey(.init(survey: .init(id: "s1", title: "Опрос", questions: Self.questions)))
                    _ = try await client.setStatus(.init(id: "s1", status: .fieldwork))
                }
                // Service stopped: the team keeps publishing.
                let batch = SurveyV1.ResultBatch(batchId: "offline-1", surveyId: "s1", responses: [Self.row("a"), Self.row("b")])
                try await t.publishRaw(team: "team-1", payload: batch.serializedBytes(), messageID: batch.batchId)
                let second = try await SurveyServiceApp.build(env: env)
                try await withServices(second.services, logger: cluster.logger) {
                    await second.host.waitUntilReady()
                    let stored = try await eventually {
                        let r = try? await client.getBatchReceipt(.init(batchId: "offline-1"))
                        return r?.receipt?.status == .accepted
                    }
                    #expect(stored)
                    let n = try await client.getSurvey(.init(id: "s1")).responses
                    #expect(n == 2)
                }
            }
        }
    }
}
