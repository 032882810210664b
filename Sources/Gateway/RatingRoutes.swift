import Contracts
import Foundation
import GatewayRequests
import Hummingbird

/// Ratings, problems and KPIs over RatingService: /api/v1/ratings, /api/v1/kpis; the curator approves KPI
/// targets (`PUT /api/v1/kpis/targets`) and each monthly report (`POST /api/v1/reports/:period/approval`).
struct RatingRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    typealias ApprovalBody = GatewayRequests.ApprovalBody

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("ratings") { request, context in
            var q = RatingV1.GetRatingsRequest()
            q.dimension = try request.queryEnum("dimension", as: RatingV1.Dimension.self) ?? .agency
            q.period = try request.queryPeriod()
            q.topicCode = request.queryString("topic")
            return JSONResponse(try await backends.caller(context).ratings.getRatings(q, options: options))
        }
        api.get("ratings/top-problems") { request, context in
            let perTopic = try request.queryInt("per_topic") ?? 0
            guard (0...50).contains(perTopic) else { throw RPCError.invalidArgument("query parameter per_topic must be between 0 and 50") }
            return JSONResponse(try await backends.caller(context).ratings.getTopProblems(
                .init(period: try request.queryPeriod(), perTopic: Int32(perTopic)), options: options))
        }
        api.get("kpis") { request, context in
            JSONResponse(try await backends.caller(context).ratings.getKpis(
                .init(period: try request.queryPeriod(), dimension: try request.queryEnum("dimension", as: RatingV1.Dimension.self) ?? .unspecified),
                options: options))
        }
        api.put("kpis/targets") { request, context in
            let body = try await request.decode(as: RatingV1.SetKpiTargetsRequest.self, context: context)
            return JSONResponse(try await backends.caller(context).ratings.setKpiTargets(body, options: request.callOptions(settings)))
        }
        api.put("ratings/weights") { request, context in
            let weights = try await request.decode(as: RatingV1.Weights.self, context: context)
            return JSONResponse(try await backends.caller(context).ratings.setWeights(.init(weights: weights), options: request.callOptions(settings)))
        }
        api.get("ratings/progress") { _, context in
            JSONResponse(try await backends.caller(context).ratings.getProgress(.init(), options: options))
        }
        api.get("reports/:period/approval") { _, context in
            JSONResponse(try await backends.caller(context).ratings.getReportApproval(.init(period: try context.parameters.require("period")),
                                                                                       options: options))
        }
        api.post("reports/:period/approval") { request, context in
            let b = try await request.decodeBody(as: ApprovalBody.self, context: context)
            return JSONResponse(try await backends.caller(context).ratings.approveReport(
                .init(period: try context.parameters.require("period"), note: b.note ?? ""), options: request.callOptions(settings)))
        }
    }
}

extension Request {
    /// One enum value by its JSON name; nil when absent, 400 when unknown.
    func queryEnum<E: ProtoEnum>(_ name: String, as type: E.Type) throws -> E? {
        let values = try queryEnums(name, as: type)
        guard values.count <= 1 else { throw RPCError.invalidArgument("query parameter \(name) takes one value") }
        return values.first
    }

    func queryDouble(_ name: String) throws -> Double? {
        guard let raw = uri.queryParameters.get(name), !raw.isEmpty else { return nil }
        guard let v = Double(raw), v.isFinite else { throw RPCError.invalidArgument("query parameter \(name) must be a number") }
        return v
    }

    /// `period=YYYY-MM`, validated here so that a typo is a 400 before any backend is asked; "" when absent.
    func queryPeriod() throws -> String {
        let raw = queryString("period")
        if raw.isEmpty { return "" }
        guard ReportPeriod.parseLabel(raw) != nil else {
            throw RPCError.invalidArgument("query parameter period must be YYYY-MM (got \"\(raw)\")")
        }
        return raw
    }
}
