import Contracts
import Foundation
import SurveyStats
import Testing
import VecheRuntime
import VecheTestSupport
@testable import SurveyService

/// Synthetic city survey: a sample skewed towards women and older people, raked to census margins.
@Suite("SurveyService weighting, cross-tabs, NPS and CSI", .serialized)
struct WeightingTests {
    static let municipalities = ["38701000", "38705000", "38710000"]   // Курск, Железногорск, Курчатов

    struct Generator {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() * Double(range.count)) }
    }

    struct Person {
        var id: String, municipality: String, sex: String, age: String
        var sat1: Int, sat2: Int?, nps: Int, transport: String
    }

    static func people() -> [Person] {
        var g = Generator(state: 42)
        return (0..<300).map { i in
            let sex = g.next() < 0.65 ? "f" : "m"
            let u = g.next()
            let age = u < 0.15 ? "young" : (u < 0.45 ? "mid" : "old")
            let m = municipalities[g.int(0...2)]
            let base = age == "young" ? 2 : (age == "mid" ? 3 : 4)
            let sat1 = min(5, max(1, base + g.int(-1...1)))
            let sat2: Int? = g.next() < 0.2 ? nil : min(5, max(1, base + g.int(-2...1)))
            let nps = min(10, max(0, (m == municipalities[0] ? 8 : 5) + g.int(-3...2)))
            let transport = ["bus", "tram", "car"][g.int(0...2)]
            return Person(id: "p\(i)", municipality: m, sex: sex, age: age, sat1: sat1, sat2: sat2, nps: nps, transport: transport)
        }
    }

    static let survey = SurveyV1.Survey(id: "kursk-city", title: "Удовлетворённость городской средой", questions: [
        .init(code: "sat_transport", type: .likert, scaleMin: 1, scaleMax: 5, required: true),
        .init(code: "sat_roads", type: .likert, scaleMin: 1, scaleMax: 5),
        .init(code: "recommend", type: .nps, required: true),
        .init(code: "transport", type: .single, options: [.init(code: "bus"), .init(code: "tram"), .init(code: "car")], required: true),
    ])

    static let sexMargin: [String: Double] = ["m": 480_000, "f": 520_000]
    static let ageMargin: [String: Double] = ["young": 300_000, "mid": 400_000, "old": 300_000]

    static func batch(_ people: [Person]) -> SurveyV1.ResultBatch {
        SurveyV1.ResultBatch(batchId: "city-1", surveyId: survey.id, teamId: "", responses: people.map { p in
            var answers = [numeric("sat_transport", Double(p.sat1)), numeric("recommend", Double(p.nps)), choice("transport", p.transport)]
            if let s = p.sat2 { answers.append(numeric("sat_roads", Double(s))) }
            return SurveyV1.Response(respondentId: p.id, municipalityOktmo: p.municipality,
                                     attributes: [.init(key: "sex", value: p.sex), .init(key: "age", value: p.age)], answers: answers)
        })
    }

    @Test func rakingTrimmingCrossTabsNPSAndCSI() async throws {
        let people = Self.people()
        try await withSurveyService { client, env in
            try await env.allowTeams(for: [Self.survey.id])
            _ = try await client.createSurvey(.init(survey: Self.survey))
            _ = try await client.setStatus(.init(id: Self.survey.id, status: .fieldwork))
            let receipt = try await publishBatch(env, Self.batch(people), team: "team-1")
            #expect(receipt.status == .accepted && receipt.acceptedRows == 300, "\(receipt.errors)")
            _ = try await client.setMargins(.init(surveyId: Self.survey.id, margins:
                Self.sexMargin.map { .init(variable: "sex", category: $0.key, population: $0.value) } +
                Self.ageMargin.map { .init(variable: "age", category: $0.key, population: $0.value) }))

            // Raking on sex and age: weighted counts hit both margins.
            let raked = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", by: "sex",
                                                        weighting: .rake, weightingVariables: ["sex", "age"]))
            let bySex = Dictionary(raked.rows.filter { $0.level == "" }.map { ($0.domain, $0.weightedN) }, uniquingKeysWith: { a, _ in a })
            #expect(abs((bySex[""] ?? 0) - 1_000_000) < 1)
            #expect(abs((bySex["m"] ?? 0) - 480_000) < 1 && abs((bySex["f"] ?? 0) - 520_000) < 1)
            #expect(raked.method.contains("raked to margins sex, age"), "\(raked.method)")

            // Raking + trimming equals SurveyStats on the same data (the service adds no statistics of its own).
            let sex = people.map(\.sex), age = people.map(\.age), y = people.map { Double($0.sat1) }
            let reference = try SurveyDesign(weights: Array(repeating: 1, count: people.count))
                .raked(to: [RakingMargin(categories: sex, populationCounts: Self.sexMargin), RakingMargin(categories: age, populationCounts: Self.ageMargin)],
                       options: RakingOptions(maxIterations: 50, epsilon: 1e-7))
            let upper = 4_000.0
            #expect(reference.weights.max()! > upper, "trimming must bite")
            let trimmedRef = try reference.trimmedWeights(lower: 1_000, upper: upper, strict: true)
            #expect(trimmedRef.weights.max()! <= upper + 1e-6)
            let expected = try trimmedRef.mean(y)
            let trimmed = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", weighting: .rake,
                                                          weightingVariables: ["sex", "age"], trimLower: 1_000, trimUpper: upper))
            let t = try #require(trimmed.rows.first)
            #expect(abs(t.estimate - expected.estimate) < 1e-9 && abs(t.se - expected.standardError) < 1e-9)
            #expect(abs(t.weightedN - 1_000_000) < 1e-3)
            #expect(trimmed.method.contains("trimmed to [1000, 4000]"), "\(trimmed.method)")
            let untrimmed = try #require(raked.rows.first { $0.domain == "" })
            #expect(abs(untrimmed.estimate - t.estimate) > 1e-6)

            // Crossed post-strata sex × age from joint margins.
            var joint: [SurveyV1.Margin] = []
            for (s, ns) in Self.sexMargin { for (a, na) in Self.ageMargin { joint.append(.init(variable: "sex+age", category: "\(s)|\(a)", population: ns * na / 1_000_000)) } }
            _ = try await client.setMargins(.init(surveyId: Self.survey.id, margins: joint))
            let crossed = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", by: "age",
                                                          weighting: .poststratify, weightingVariables: ["sex", "age"]))
            let byAge = Dictionary(crossed.rows.map { ($0.domain, $0.weightedN) }, uniquingKeysWith: { a, _ in a })
            #expect(abs((byAge["young"] ?? 0) - 300_000) < 1e-3 && abs((byAge["old"] ?? 0) - 300_000) < 1e-3)
            #expect(crossed.method.contains("post-stratified on sex+age (6 cells"), "\(crossed.method)")

            // Cross-tab by municipality: option shares per municipality sum to 1; counts with statistic=total.
            let tab = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "transport", by: "municipality"))
            #expect(Set(tab.rows.map(\.domain)) == Set([""] + Self.municipalities))
            for domain in [""] + Self.municipalities {
                let cells = tab.rows.filter { $0.domain == domain }
                #expect(cells.map(\.level) == ["bus", "tram", "car"])
                #expect(abs(cells.map(\.estimate).reduce(0, +) - 1) < 1e-9)
                let local = people.filter { domain.isEmpty || $0.municipality == domain }
                let busShare = Double(local.filter { $0.transport == "bus" }.count) / Double(local.count)
                #expect(abs(cells[0].estimate - busShare) < 1e-9 && cells[0].n == Int64(local.count))
                #expect(cells[0].se > 0 && cells[0].ciLow < cells[0].estimate && cells[0].ciHigh > cells[0].estimate)
            }
            let counts = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "transport", weighting: .rake,
                                                         weightingVariables: ["sex", "age"], statistic: .total))
            #expect(abs(counts.rows.map(\.estimate).reduce(0, +) - 1_000_000) < 1)

            // NPS (unweighted: equal base weights) = 100·(promoters − detractors).
            let nps = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "recommend", by: "municipality"))
            for domain in [""] + Self.municipalities {
                let local = people.filter { domain.isEmpty || $0.municipality == domain }
                let promoters = Double(local.filter { $0.nps >= 9 }.count) / Double(local.count)
                let detractors = Double(local.filter { $0.nps <= 6 }.count) / Double(local.count)
                let row = try #require(nps.rows.first { $0.domain == domain && $0.level == "" })
                #expect(abs(row.estimate - 100 * (promoters - detractors)) < 1e-9)
                #expect(abs((nps.rows.first { $0.domain == domain && $0.level == "promoters" }?.estimate ?? -1) - promoters) < 1e-9)
            }

            // CSI 0–100 from the Likert items (sat_roads partly unanswered) and NPS, by municipality.
            let csi = try await client.satisfactionIndex(.init(surveyId: Self.survey.id, questionCodes: ["sat_transport", "sat_roads", "recommend"],
                                                               by: "municipality"))
            #expect(Set(csi.rows.map(\.level)) == ["csi", "nps:recommend"])
            for domain in [""] + Self.municipalities {
                let local = people.filter { domain.isEmpty || $0.municipality == domain }
                let index = local.map { p -> Double in
                    let items = [p.sat1] + (p.sat2.map { [$0] } ?? [])
                    return items.map { 100 * Double($0 - 1) / 4 }.reduce(0, +) / Double(items.count)
                }
                let expectedCSI = index.reduce(0, +) / Double(index.count)
                let row = try #require(csi.rows.first { $0.domain == domain && $0.level == "csi" })
                #expect(abs(row.estimate - expectedCSI) < 1e-9 && row.estimate >= 0 && row.estimate <= 100)
                #expect(row.se > 0 && row.n == Int64(local.count))
                let npsRow = try #require(nps.rows.first { $0.domain == domain && $0.level == "" })
                #expect(abs((csi.rows.first { $0.domain == domain && $0.level == "nps:recommend" }?.estimate ?? -999) - npsRow.estimate) < 1e-9)
            }
            #expect(csi.method.contains("Customer Satisfaction Index"))
            let weightedCSI = try await client.satisfactionIndex(.init(surveyId: Self.survey.id, weighting: .rake, weightingVariables: ["sex", "age"]))
            #expect(weightedCSI.rows.count == 2 && weightedCSI.method.contains("raked"))

            // Clear errors.
            do {
                _ = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", weighting: .rake, weightingVariables: ["income"]))
                Issue.record("raking on a variable without margins must fail")
            } catch let e as RPCError {
                #expect(e.code == .failedPrecondition && e.message.hasPrefix("no population margins for income"), "\(e.message)")
            }
            await #expect(throws: RPCError(.invalidArgument, "trim_lower 5000 must be below trim_upper 4000")) {
                _ = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", trimLower: 5000, trimUpper: 4000))
            }
            await #expect(throws: RPCError(.invalidArgument, "no response has a value for domain variable 'income' (use municipality, stratum, cluster or an attribute key)")) {
                _ = try await client.estimate(.init(surveyId: Self.survey.id, questionCode: "sat_transport", by: "income"))
            }
        }
    }
}
