import Contracts

/// Wraps every endpoint call of a `NatsServiceHost` (idempotency keys; the place for other cross-cutting
/// checks). Interceptors run inside the request's deadline, first one outermost; `next` calls the rest.
public protocol RPCInterceptor: Sendable {
    func intercept(endpoint: RPCEndpoint, payload: [UInt8], context: RPCContext,
                   next: @Sendable ([UInt8], RPCContext) async throws -> [UInt8]) async throws -> [UInt8]
}
