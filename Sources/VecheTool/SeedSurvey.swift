import Contracts
import Foundation
import VecheRuntime

/// A demo population survey for the dashboard: «Удовлетворённость жителей качеством ЖКУ и городской среды»,
/// a stratified sample by municipality (stratum = municipality, weights = population / sample size),
/// sex and age margins for raking. Synthetic respondents; idempotent by fixed survey and batch ids.
enum DemoSurvey {
    static let id = "5e1d0c3a-0000-4000-8000-000000002026"

    static func seed(transport: any RPCTransport, municipalities: [AgencyV1.Municipality], rng: inout SplitMix) async throws -> String {
        let client = SurveyV1.SurveyService.Client(transport: transport)
        let options = CallOptions(timeout: .seconds(30))
        let issues: [(String, String)] = [("roads", "Дороги"), ("housing", "ЖКХ"), ("waste", "Вывоз мусора"), ("transport", "Общественный транспорт"),
                                          ("health", "Здравоохранение"), ("education", "Образование")]
        var survey = SurveyV1.Survey(id: id, title: "Удовлетворённость жителей качеством ЖКУ и городской среды",
                                     description: "Ежемесячный телефонный опрос (демо-данные), стратифицированная выборка по муниципалитетам")
        survey.questions = [
            SurveyV1.Question(code: "sat_housing", text: "Как вы оцениваете качество жилищно-коммунальных услуг?", type: .likert, scaleMin: 1, scaleMax: 5, required: true),
            SurveyV1.Question(code: "sat_roads", text: "Как вы оцениваете состояние дорог в вашем населённом пункте?", type: .likert, scaleMin: 1, scaleMax: 5, required: true),
            SurveyV1.Question(code: "nps_region", text: "Насколько вероятно, что вы порекомендуете жить в вашем населённом пункте знакомым? (0–10)", type: .nps, scaleMin: 0, scaleMax: 10, required: true),
            SurveyV1.Question(code: "top_issue", text: "Какая проблема для вас сейчас главная?", type: .single,
                              options: issues.map { SurveyV1.Option(code: $0.0, label: $0.1) }, required: true),
        ]
        do {
            _ = try await client.createSurvey(.init(survey: survey), options: options)
        } catch let e as RPCError where e.code == .alreadyExists {
            return "demo survey exists"
        }
        _ = try await client.setStatus(.init(id: id, status: .fieldwork), options: options)
        let strata = municipalities.filter { $0.parentOktmo.isEmpty && $0.population > 0 }
        guard !strata.isEmpty else { return "no municipalities: survey created without responses" }
        let total = strata.reduce(0) { $0 + $1.population }
        var responses: [SurveyV1.Response] = []
        var n = 0
        for m in strata {
            let size = max(12, Int(Double(900) * Double(m.population) / Double(total)))
            let urban = m.type == .urbanOkrug
            for _ in 0..<size {
                n += 1
                let sex = rng.unit() < 0.54 ? "female" : "male"
                let age = ["18-34", "35-54", "55+"][Int(rng.next(upperBound: UInt64(3)))]
                let base = urban ? 3.4 : 2.9
                func likertValue(_ shift: Double) -> Double { max(1, min(5, (base + shift + (rng.unit() - 0.5) * 3).rounded())) }
                let issue = urban ? (rng.unit() < 0.4 ? "roads" : issues[Int(rng.next(upperBound: UInt64(issues.count)))].0)
                                  : (rng.unit() < 0.35 ? "housing" : issues[Int(rng.next(upperBound: UInt64(issues.count)))].0)
                responses.append(SurveyV1.Response(
                    respondentId: "demo-\(n)", municipalityOktmo: m.oktmo, stratum: m.oktmo,
                    baseWeight: Double(m.population) / Double(size),
                    attributes: [CommonV1.KeyValue(key: "sex", value: sex), CommonV1.KeyValue(key: "age_group", value: age)],
                    answers: [SurveyV1.Answer(questionCode: "sat_housing", number: likertValue(0), hasNumber: true),
                              SurveyV1.Answer(questionCode: "sat_roads", number: likertValue(age == "55+" ? -0.4 : 0), hasNumber: true),
                              SurveyV1.Answer(questionCode: "nps_region", number: Double(min(10, Int(rng.next(upperBound: UInt64(urban ? 11 : 9))) + (urban ? 0 : 1))), hasNumber: true),
                              SurveyV1.Answer(questionCode: "top_issue", optionCodes: [issue])],
                    interviewedAtMs: Int64(Date().timeIntervalSince1970 * 1000) - Int64(rng.next(upperBound: UInt64(20 * 86_400_000)))))
            }
        }
        // Two field teams, two batches each.
        let chunks = stride(from: 0, to: responses.count, by: max(1, responses.count / 4)).map { Array(responses[$0..<min(responses.count, $0 + max(1, responses.count / 4))]) }
        var accepted = 0
        for (i, chunk) in chunks.enumerated() {
            let batch = SurveyV1.ResultBatch(batchId: "demo-batch-\(i)", surveyId: id, teamId: "team-\(i % 2 + 1)",
                                             submittedAtMs: Int64(Date().timeIntervalSince1970 * 1000), responses: chunk)
            accepted += Int(try await client.submitBatch(.init(batch: batch), options: options).receipt?.acceptedRows ?? 0)
        }
        let adults = Double(total) * 0.8
        _ = try await client.setMargins(.init(surveyId: id, margins: [
            SurveyV1.Margin(variable: "sex", category: "female", population: adults * 0.55),
            SurveyV1.Margin(variable: "sex", category: "male", population: adults * 0.45),
            SurveyV1.Margin(variable: "age_group", category: "18-34", population: adults * 0.27),
            SurveyV1.Margin(variable: "age_group", category: "35-54", population: adults * 0.36),
            SurveyV1.Margin(variable: "age_group", category: "55+", population: adults * 0.37),
        ]), options: options)
        _ = try await client.setStatus(.init(id: id, status: .closed), options: options)
        _ = try await client.setStatus(.init(id: id, status: .published), options: options)
        return "demo survey: \(accepted) responses in \(chunks.count) batches"
    }
}
