import Contracts
import HTTPTypes
import Hummingbird

extension Request {
    /// Options for a backend call made while serving this request: the gateway's per-call timeout and the
    /// client's `Idempotency-Key`, forwarded as the NATS header of the same name (the backend returns the
    /// first outcome on a retry with the same key).
    func callOptions(_ settings: GatewaySettings) -> CallOptions {
        var options = CallOptions(timeout: settings.callTimeout)
        if let name = HTTPField.Name(RPCHeader.idempotencyKey), let key = headers[name] {
            options.metadata[RPCHeader.idempotencyKey] = key
        }
        return options
    }
}
