import Contracts
import Foundation
import GatewayRequests
import Hummingbird

/// Surveys, result batches and weighted estimates over SurveyService: /api/v1/surveys.
struct SurveyRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    typealias StatusBody = GatewayRequests.StatusBody

    func register(on group: RouterGroup<GatewayContext>) {
        group.post { request, context in
            let survey = try await request.decode(as: SurveyV1.Survey.self, context: context)
            return JSONResponse(try await backends.caller(context).surveys.createSurvey(.init(survey: survey), options: request.callOptions(settings)), status: .created)
        }
        group.get { _, context in
            JSONResponse(try await backends.caller(context).surveys.listSurveys(.init(), options: options))
        }
        group.get("batches/:batchId") { _, context in
            JSONResponse(try await backends.caller(context).surveys.getBatchReceipt(.init(batchId: try context.parameters.require("batchId")), options: options))
        }
        group.get(":id") { _, context in
            JSONResponse(try await backends.caller(context).surveys.getSurvey(.init(id: try context.parameters.require("id")), options: options))
        }
        group.post(":id/status") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decodeBody(as: StatusBody.self, context: context)
            return JSONResponse(try await backends.caller(context).surveys.setStatus(.init(id: id, status: body.status), options: request.callOptions(settings)))
        }
        group.post(":id/batches") { request, context in
            let id = try context.parameters.require("id")
            var batch = try await request.decode(as: SurveyV1.ResultBatch.self, context: context)
            if batch.surveyId.isEmpty { batch.surveyId = id }
            guard batch.surveyId == id else {
                throw RPCError.invalidArgument("batch survey_id \(batch.surveyId) does not match the survey in the path (\(id))")
            }
            let r = try await backends.caller(context).surveys.submitBatch(.init(batch: batch), options: request.callOptions(settings))
            let status: HTTPResponse.Status
            switch r.receipt?.status {
            case .some(.rejected): status = .unprocessableContent
            case _ where r.receipt?.duplicate == true: status = .ok
            default: status = .created
            }
            return JSONResponse(r, status: status)
        }
        group.put(":id/margins") { request, context in
            let id = try context.parameters.require("id")
            var body = try await request.decode(as: SurveyV1.SetMarginsRequest.self, context: context)
            body.surveyId = id
            return JSONResponse(try await backends.caller(context).surveys.setMargins(body, options: request.callOptions(settings)))
        }
        group.get(":id/estimates") { request, context in
            var q = SurveyV1.EstimateRequest()
            q.surveyId = try context.parameters.require("id")
            q.questionCode = request.queryString("question")
            guard !q.questionCode.isEmpty else { throw RPCError.invalidArgument("query parameter question is required") }
            q.by = request.queryString("by")
            try Self.weighting(request, &q.weighting, &q.weightingVariables, &q.trimLower, &q.trimUpper)
            switch request.queryString("statistic").lowercased() {
            case "", "mean", "proportion", "unspecified": q.statistic = .unspecified
            case "total": q.statistic = .total
            case let other: throw RPCError.invalidArgument("unknown statistic '\(other)'; expected mean, proportion or total")
            }
            return JSONResponse(try await backends.caller(context).surveys.estimate(q, options: options))
        }
        group.get(":id/satisfaction") { request, context in
            var q = SurveyV1.SatisfactionIndexRequest()
            q.surveyId = try context.parameters.require("id")
            q.questionCodes = request.queryList("questions")
            q.by = request.queryString("by")
            try Self.weighting(request, &q.weighting, &q.weightingVariables, &q.trimLower, &q.trimUpper)
            return JSONResponse(try await backends.caller(context).surveys.satisfactionIndex(q, options: options))
        }
    }

    /// `weighting=poststratify|rake` (absent = design weights), `vars=a,b`, `trim_lower=`, `trim_upper=`.
    static func weighting(_ request: Request, _ weighting: inout SurveyV1.Weighting, _ vars: inout [String],
                          _ lower: inout Double, _ upper: inout Double) throws {
        switch request.queryString("weighting").lowercased() {
        case "", "design", "none", "unspecified": weighting = .unspecified
        case let raw:
            guard let w = SurveyV1.Weighting(name: raw) else {
                throw RPCError.invalidArgument("unknown weighting '\(raw)'; expected poststratify or rake (absent = design weights)")
            }
            weighting = w
        }
        vars = request.queryList("vars")
        lower = try request.queryDouble("trim_lower") ?? 0
        upper = try request.queryDouble("trim_upper") ?? 0
    }
}
