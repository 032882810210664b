import Metrics

/// The runtime's metric names and their label sets, in one place (a Prometheus family must keep one label
/// set: every recording of a name goes through here).
/// * `veche_rpc_requests_total{service,method,code}`: RPCs answered, by status code (200 = success; 429 = refused
///   by overload, 504 = dropped after its deadline, 401/403 = refused callers);
/// * `veche_rpc_duration_seconds{service,method}`: handling time histogram (queue wait excluded);
/// * `veche_rpc_queue_depth{service}`: requests waiting for a handler;
/// * `veche_db_pool_wait_seconds{schema}`: time to lease a PostgreSQL connection;
/// * `veche_db_pool_in_use{schema}`: leased connections.
enum RuntimeMetrics {
    static func rpcAnswered(service: String, method: String, code: Int, duration: Duration) {
        Counter(label: "veche_rpc_requests_total", dimensions: [("service", service), ("method", method), ("code", String(code))]).increment()
        Timer(label: "veche_rpc_duration_seconds", dimensions: [("service", service), ("method", method)]).record(duration: duration)
    }

    /// A request refused before it reached a handler (overload or shutdown).
    static func rpcRefused(service: String, method: String, code: Int) {
        Counter(label: "veche_rpc_requests_total", dimensions: [("service", service), ("method", method), ("code", String(code))]).increment()
    }

    static func queueDepth(service: String, _ depth: Int) {
        Gauge(label: "veche_rpc_queue_depth", dimensions: [("service", service)]).record(depth)
    }

    static func poolWait(schema: String?, _ waited: Duration) {
        Timer(label: "veche_db_pool_wait_seconds", dimensions: [("schema", schema ?? "public")]).record(duration: waited)
    }

    static func poolInUse(schema: String?, _ count: Int) {
        Gauge(label: "veche_db_pool_in_use", dimensions: [("schema", schema ?? "public")]).record(count)
    }
}
