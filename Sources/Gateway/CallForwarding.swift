import Contracts
import HTTPTypes
import Hummingbird

extension CallOptions {
    /// Options for a backend call made while serving a request: the gateway's per-call timeout and, when the
    /// client gave one, its idempotency key as the NATS header `Idempotency-Key` (the backend returns the
    /// first outcome on a retry with the same key). The JSON API and the workspace's forms both build them here.
    static func forwarding(_ settings: GatewaySettings, idempotencyKey key: String?) -> CallOptions {
        var options = CallOptions(timeout: settings.callTimeout)
        if let key { options.metadata[RPCHeader.idempotencyKey] = key }
        return options
    }
}

extension Request {
    /// Call options with the client's `Idempotency-Key` header, if any (see `CallOptions.forwarding`).
    func callOptions(_ settings: GatewaySettings) -> CallOptions {
        .forwarding(settings, idempotencyKey: HTTPField.Name(RPCHeader.idempotencyKey).flatMap { headers[$0] })
    }
}
