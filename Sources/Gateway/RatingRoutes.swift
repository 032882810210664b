import Contracts
import Foundation
import Hummingbird

/// Ratings, problems and KPIs over RatingService: /api/v1/ratings, /api/v1/kpis.
struct RatingRoutes: Sendable {
    let clients: ServiceClients
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    func register<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.get("ratings") { request, _ in
            var q = RatingV1.GetRatingsRequest()
            q.dimension = try request.queryEnum("dimension", as: RatingV1.Dimension.self) ?? .agency
            q.period = try request.queryPeriod()
            q.topicCode = request.queryString("topic")
            return JSONResponse(try await clients.ratings.getRatings(q, options: options))
        }
        api.get("ratings/top-problems") { request, _ in
            let perTopic = try request.queryInt("per_topic") ?? 0
            guard (0...50).contains(perTopic) else { throw RPCError.invalidArgument("query parameter per_topic must be between 0 and 50") }
            return JSONResponse(try await clients.ratings.getTopProblems(.init(period: try request.queryPeriod(), perTopic: Int32(perTopic)),
                                                                         options: options))
        }
        api.get("kpis") { request, _ in
            JSONResponse(try await clients.ratings.getKpis(.init(period: try request.queryPeriod(),
                                                                 dimension: try request.queryEnum("dimension", as: RatingV1.Dimension.self) ?? .unspecified),
                                                           options: options))
        }
        api.put("ratings/weights") { request, context in
            let weights = try await request.decode(as: RatingV1.Weights.self, context: context)
            return JSONResponse(try await clients.ratings.setWeights(.init(weights: weights), options: options))
        }
        api.get("ratings/progress") { _, _ in
            JSONResponse(try await clients.ratings.getProgress(.init(), options: options))
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
