import Contracts
import Foundation
import Logging
import SurveyStats
import VecheAuth
import VecheRuntime

/// SurveyService handlers (`SurveyV1.SurveyService.Handler`).
struct SurveyHandlers: SurveyV1.SurveyService.Handler {
    let pool: PGPool
    let intake: BatchIntake
    var now: @Sendable () -> Date = { Date() }

    static func requireID(_ id: String, _ field: String = "id") throws {
        if id.isEmpty { throw RPCError.invalidArgument("\(field) is required") }
    }

    func load(_ id: String) async throws -> SurveyV1.Survey {
        try Self.requireID(id, "survey_id")
        guard let s = try await pool.withConnection({ try SurveyStore.find($0, id: id) }) else {
            throw RPCError.notFound("survey \(id) not found")
        }
        return s
    }

    // MARK: surveys

    func createSurvey(request: SurveyV1.CreateSurveyRequest, context: RPCContext) async throws -> SurveyV1.CreateSurveyResponse {
        let principal = try context.requirePrincipal()
        let audit = intake.audit
        guard let input = request.survey else { throw RPCError.invalidArgument("survey is required") }
        var s = try SurveyRules.normalise(input)
        if s.id.isEmpty { s.id = UUID().uuidString.lowercased() }
        s.createdAtMs = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let survey = s
        let stored = try await pool.transaction { conn -> SurveyV1.Survey? in
            guard try SurveyStore.insert(conn, survey) else { return nil }
            try audit.record(conn, principal, .init(action: "survey.create", target: survey.id, detail: survey.title))
            return try SurveyStore.find(conn, id: survey.id)
        }
        guard let stored else { throw RPCError.alreadyExists("survey \(survey.id) already exists") }
        return SurveyV1.CreateSurveyResponse(survey: stored)
    }

    func getSurvey(request: SurveyV1.GetSurveyRequest, context: RPCContext) async throws -> SurveyV1.GetSurveyResponse {
        try Self.requireID(request.id)
        let id = request.id
        let found = try await pool.withConnection { conn -> (SurveyV1.Survey, Int64)? in
            guard let s = try SurveyStore.find(conn, id: id) else { return nil }
            return (try SurveyStore.withAchieved(conn, s), try SurveyStore.responseCount(conn, surveyID: id))
        }
        guard let (survey, n) = found else { throw RPCError.notFound("survey \(id) not found") }
        return SurveyV1.GetSurveyResponse(survey: survey, responses: n)
    }

    func listSurveys(request: SurveyV1.ListSurveysRequest, context: RPCContext) async throws -> SurveyV1.ListSurveysResponse {
        let surveys = try await pool.withConnection { conn in try SurveyStore.list(conn).map { try SurveyStore.withAchieved(conn, $0) } }
        return SurveyV1.ListSurveysResponse(surveys: surveys)
    }

    /// draft → fieldwork → closed → published; setting the current status again is a no-op.
    static let nextStatus: [SurveyV1.SurveyStatus: SurveyV1.SurveyStatus] = [.draft: .fieldwork, .fieldwork: .closed, .closed: .published]

    func setStatus(request: SurveyV1.SetStatusRequest, context: RPCContext) async throws -> SurveyV1.SetStatusResponse {
        let principal = try context.requirePrincipal()
        let audit = intake.audit
        try Self.requireID(request.id)
        guard request.status != .unspecified else { throw RPCError.invalidArgument("status is required (fieldwork, closed or published)") }
        let id = request.id, target = request.status
        let nowMs = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let result = try await pool.transaction { conn -> Result<SurveyV1.Survey, RPCError> in
            guard var s = try SurveyStore.find(conn, id: id, forUpdate: true) else { return .failure(.notFound("survey \(id) not found")) }
            if s.status == target { return .success(s) }
            guard Self.nextStatus[s.status] == target else {
                return .failure(.failedPrecondition("cannot move survey \(id) from \(s.status.name) to \(target.name); "
                    + "the workflow is draft → fieldwork → closed → published"))
            }
            s.status = target
            if target == .fieldwork && s.fieldworkFromMs == 0 { s.fieldworkFromMs = nowMs }
            if target == .closed && s.fieldworkToMs == 0 { s.fieldworkToMs = nowMs }
            try SurveyStore.update(conn, s)
            try audit.record(conn, principal, .init(action: "survey.status", target: id, detail: target.name))
            return .success(try SurveyStore.withAchieved(conn, s))
        }
        return SurveyV1.SetStatusResponse(survey: try result.get())
    }

    // MARK: batches

    func submitBatch(request: SurveyV1.SubmitBatchRequest, context: RPCContext) async throws -> SurveyV1.SubmitBatchResponse {
        let principal = try context.requirePrincipal()
        guard let batch = request.batch else { throw RPCError.invalidArgument("batch is required") }
        if let problem = BatchIntake.problem(with: batch) { throw RPCError.invalidArgument(problem) }
        let receipt = try await intake.submit(batch, by: principal, raw: batch.serializedBytes(), source: "rpc:" + principal.actor)
        return SurveyV1.SubmitBatchResponse(receipt: receipt)
    }

    func getBatchReceipt(request: SurveyV1.GetBatchReceiptRequest, context: RPCContext) async throws -> SurveyV1.GetBatchReceiptResponse {
        let principal = try context.requirePrincipal()
        try Self.requireID(request.batchId, "batch_id")
        let id = request.batchId
        guard let (r, team) = try await pool.withConnection({ conn -> (SurveyV1.BatchReceipt, String)? in
            guard let r = try SurveyStore.receipt(conn, batchID: id), let team = try SurveyStore.batchTeam(conn, batchID: id) else { return nil }
            return (r, team)
        }) else {
            throw RPCError.notFound("batch \(id) not found")
        }
        try SurveyAccess.checkReceipt(principal, teamID: team)
        return SurveyV1.GetBatchReceiptResponse(receipt: r)
    }

    // MARK: margins

    func setMargins(request: SurveyV1.SetMarginsRequest, context: RPCContext) async throws -> SurveyV1.SetMarginsResponse {
        let principal = try context.requirePrincipal()
        let audit = intake.audit
        _ = try await load(request.surveyId)
        guard !request.margins.isEmpty else { throw RPCError.invalidArgument("margins are required") }
        var problems: [String] = []
        var seen = Set<String>()
        for (i, m) in request.margins.enumerated() {
            if m.variable.isEmpty || m.category.isEmpty { problems.append("margin #\(i + 1): variable and category are required") }
            if !(m.population.isFinite && m.population > 0) { problems.append("margin #\(i + 1) (\(m.variable)=\(m.category)): population must be a positive number") }
            if !seen.insert(m.variable + "\u{1F}" + m.category).inserted { problems.append("margin #\(i + 1): \(m.variable)=\(m.category) given twice") }
            if m.variable.contains("+"), m.category.split(separator: "|", omittingEmptySubsequences: false).count != m.variable.split(separator: "+").count {
                problems.append("margin #\(i + 1): crossed variable \(m.variable) needs a category with one '|'-separated value per part")
            }
        }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        let id = request.surveyId, margins = request.margins
        let n = try await pool.transaction { conn in
            let n = try SurveyStore.setMargins(conn, surveyID: id, margins)
            try audit.record(conn, principal, .init(action: "survey.margins", target: id, detail: "\(n) margins"))
            return n
        }
        return SurveyV1.SetMarginsResponse(stored: Int32(n))
    }

    // MARK: estimates

    func loadEstimator(_ surveyID: String, questions: [String]) async throws -> (SurveyV1.Survey, Estimator, [String: [String: StoredAnswer]]) {
        let survey = try await load(surveyID)
        let (sample, margins, answers) = try await pool.withConnection { conn in
            (try SurveyStore.sample(conn, surveyID: surveyID), try SurveyStore.margins(conn, surveyID: surveyID),
             try SurveyStore.answers(conn, surveyID: surveyID, questions: questions))
        }
        guard sample.count > 0 else { throw RPCError.failedPrecondition("survey \(surveyID) has no responses yet") }
        return (survey, Estimator(sample: sample, margins: margins), answers)
    }

    func estimate(request: SurveyV1.EstimateRequest, context: RPCContext) async throws -> SurveyV1.EstimateResponse {
        try Self.requireID(request.questionCode, "question_code")
        let survey = try await load(request.surveyId)
        guard let q = survey.questions.first(where: { $0.code == request.questionCode }) else {
            throw RPCError.notFound("survey \(survey.id) has no question \(request.questionCode)")
        }
        if q.type == .text { throw RPCError.invalidArgument("question \(q.code) is a text question; text answers have no estimate") }
        let total = request.statistic == .total
        if total && (q.type == .likert || q.type == .nps) {
            throw RPCError.invalidArgument("totals are available for numeric, single and multiple questions; \(q.code) is \(q.type.name)")
        }
        let (_, est, answers) = try await loadEstimator(survey.id, questions: [q.code])
        let (design, designText) = try est.design(.init(kind: request.weighting, variables: request.weightingVariables,
                                                        trimLower: request.trimLower, trimUpper: request.trimUpper))
        let a = answers[q.code] ?? [:]
        let deff = DesignEffectMode.withoutReplacement
        let what: String
        let rows: ([Bool]?) throws -> [SurveyV1.EstimateRow]
        switch q.type {
        case .numeric where total:
            what = "Horvitz–Thompson total of \(q.code)"
            let y = est.numbers(a)
            rows = { [try Estimator.row(design.total(y, domain: $0, missing: .exclude, deff: deff))] }
        case .numeric:
            what = "weighted (Hájek) mean of \(q.code)"
            let y = est.numbers(a)
            rows = { [try Estimator.row(design.mean(y, domain: $0, missing: .exclude, deff: deff))] }
        case .likert:
            let scale = SurveyRules.scale(of: q) ?? 1...5
            let box = scale.count >= 4 ? 2 : 1
            what = "weighted mean of Likert item \(q.code) (\(scale.lowerBound)–\(scale.upperBound)) with top-\(box)/bottom-\(box) box shares"
            let y = est.numbers(a)
            rows = { mask in
                let m = try design.mean(y, domain: mask, missing: .exclude, deff: deff)
                let l = try design.likert(y, scale: scale, topBoxSize: box, domain: mask)
                return [Estimator.row(m), Estimator.row(l.topBox, level: "top_box", withDeff: false),
                        Estimator.row(l.bottomBox, level: "bottom_box", withDeff: false)]
            }
        case .nps:
            what = "Net Promoter Score of \(q.code) (level \"\": NPS −100…100 = mean of 100·(1[9–10] − 1[0–6]); promoter/passive/detractor shares 0–1)"
            let y = est.numbers(a)
            rows = { mask in
                let r = try design.netPromoterScore(y, domain: mask)
                return [Estimator.row(r.nps, withDeff: false), Estimator.row(r.promoters, level: "promoters", withDeff: false),
                        Estimator.row(r.passives, level: "passives", withDeff: false), Estimator.row(r.detractors, level: "detractors", withDeff: false)]
            }
        case .single, .multiple:
            let options = q.options.map(\.code)
            let columns = options.map { est.indicator(a, option: $0) }
            what = total ? "weighted count (Horvitz–Thompson total) of respondents choosing each option of \(q.code)"
                : "weighted proportion of respondents choosing each option of \(q.code) (among those who answered"
                  + (q.type == .multiple ? "; options may sum above 1)" : ")")
            rows = { mask in
                try zip(options, columns).map { option, y in
                    Estimator.row(total ? try design.total(y, domain: mask, missing: .exclude, deff: deff)
                                        : try design.mean(y, domain: mask, missing: .exclude, deff: deff), level: option)
                }
            }
        case .text, .unspecified:
            throw RPCError.invalidArgument("question \(q.code) has no estimable type")
        }
        let out = try est.overallAndDomains(design: design, by: request.by, rows)
        var method = what + "; " + designText
        if !request.by.isEmpty { method += "; domains by \(request.by) (domain estimation on the full design)" }
        return SurveyV1.EstimateResponse(surveyId: survey.id, questionCode: q.code, type: q.type, rows: out, method: method)
    }

    func satisfactionIndex(request: SurveyV1.SatisfactionIndexRequest, context: RPCContext) async throws -> SurveyV1.SatisfactionIndexResponse {
        let survey = try await load(request.surveyId)
        var items: [SurveyV1.Question] = []
        if request.questionCodes.isEmpty {
            items = survey.questions.filter { $0.type == .likert || $0.type == .nps }
        } else {
            for code in request.questionCodes {
                guard let q = survey.questions.first(where: { $0.code == code }) else {
                    throw RPCError.notFound("survey \(survey.id) has no question \(code)")
                }
                guard q.type == .likert || q.type == .nps else {
                    throw RPCError.invalidArgument("question \(code) is \(q.type.name); the satisfaction index uses Likert and NPS items")
                }
                items.append(q)
            }
        }
        let likert = items.filter { $0.type == .likert }, nps = items.filter { $0.type == .nps }
        guard !items.isEmpty else { throw RPCError.failedPrecondition("survey \(survey.id) has no Likert or NPS questions") }
        let scales = Set(likert.compactMap { SurveyRules.scale(of: $0) })
        guard scales.count <= 1 else {
            throw RPCError.invalidArgument("Likert items of one CSI must share a scale: "
                + likert.map { q in "\(q.code) \(q.scaleMin)–\(q.scaleMax)" }.joined(separator: ", "))
        }
        let (_, est, answers) = try await loadEstimator(survey.id, questions: items.map(\.code))
        let (design, designText) = try est.design(.init(kind: request.weighting, variables: request.weightingVariables,
                                                        trimLower: request.trimLower, trimUpper: request.trimUpper))
        let likertColumns = likert.map { est.numbers(answers[$0.code] ?? [:]) }
        let npsColumns = nps.map { est.numbers(answers[$0.code] ?? [:]) }
        let scale = scales.first ?? 1...5
        let rows = try est.overallAndDomains(design: design, by: request.by) { mask in
            var out: [SurveyV1.EstimateRow] = []
            if !likertColumns.isEmpty {
                out += try Estimator.skippingEmpty {
                    [Estimator.row(try design.satisfactionIndex(items: likertColumns, scale: scale, domain: mask), level: "csi", withDeff: false)]
                }
            }
            for (q, y) in zip(nps, npsColumns) {
                out += try Estimator.skippingEmpty {
                    [Estimator.row(try design.netPromoterScore(y, domain: mask).nps, level: "nps:" + q.code, withDeff: false)]
                }
            }
            return out
        }
        var parts: [String] = []
        if !likert.isEmpty {
            parts.append("level \"csi\": Customer Satisfaction Index 0–100 = weighted mean over respondents of the average of "
                + "Likert items \(likert.map(\.code).joined(separator: ", ")) rescaled as 100·(x − \(scale.lowerBound))/(\(scale.upperBound) − \(scale.lowerBound))")
        }
        if !nps.isEmpty { parts.append("levels \"nps:<code>\": Net Promoter Score −100…100 of \(nps.map(\.code).joined(separator: ", "))") }
        var method = parts.joined(separator: "; ") + "; " + designText
        if !request.by.isEmpty { method += "; domains by \(request.by)" }
        return SurveyV1.SatisfactionIndexResponse(rows: rows, method: method)
    }
}
