import Hummingbird
import Logging
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format on its own loopback port (`VECHE_METRICS_PORT`), one per
/// process, run as a `Service` of the process's group. Metrics carry no personal data, but they are
/// operational detail: the listener is bound to `host` (127.0.0.1 by default), not to the public interface.
public struct MetricsServer: Service {
    public let host: String
    public let port: Int
    let logger: Logger

    public init(host: String = "127.0.0.1", port: Int, logger: Logger) {
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The router alone (tests drive it without a socket).
    public static func router() -> Router<BasicRequestContext> {
        VecheMetrics.bootstrap()
        let router = Router()
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: VecheMetrics.exposition())))
        }
        return router
    }

    public func run() async throws {
        let app = Application(router: Self.router(), configuration: .init(address: .hostname(host, port: port), serverName: "veche-metrics"),
                              logger: logger)
        try await app.run()
    }
}
