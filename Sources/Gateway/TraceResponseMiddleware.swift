import HTTPTypes
import Hummingbird
import Tracing
import VecheRuntime

/// The W3C Trace Context Level 2 `traceresponse` header and what the gateway never puts on spans.
enum TraceResponse {
    static let header = HTTPField.Name("traceresponse")!
    /// Query parameters never recorded on spans (sign-in codes and states, tokens).
    static let redactedQueryParameters: Set<String> = ["code", "state", "token", "access_token", "api_key", "session_state"]
}

/// Answers every request with a `traceresponse` header (the request's trace and span ids), so a caller or an
/// operator can find the request in every service's logs by its `trace_id`.
struct TraceResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let traceParent = TraceHeaders.currentTraceParent()
        do {
            var response = try await next(request, context)
            if !traceParent.isEmpty { response.headers[TraceResponse.header] = traceParent }
            return response
        } catch let error as HTTPResponseError {
            // Errors become responses further out; they carry the header as well.
            guard !traceParent.isEmpty else { throw error }
            var response = try error.response(from: request, context: context)
            response.headers[TraceResponse.header] = traceParent
            return response
        }
    }
}
