import CoreMetrics
import Prometheus

/// The process's metrics backend: swift-metrics bootstrapped once with a Prometheus registry, which the
/// `/metrics` endpoint renders. Every metric of the platform goes through the swift-metrics API; call
/// `bootstrap()` first thing in `main` (metric handles made before it stay no-ops).
public enum VecheMetrics {
    /// The registry every metric of this process lands in (bootstraps on first use).
    public static var registry: PrometheusCollectorRegistry { bootstrapped }

    private static let bootstrapped: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // RPC and HTTP latencies of this platform sit between a millisecond and the 10 s default deadline.
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Installs the Prometheus backend (idempotent; the first call wins).
    public static func bootstrap() { _ = bootstrapped }

    /// The Prometheus text exposition of everything recorded so far.
    public static func exposition() -> [UInt8] { registry.emitToBuffer() }
}
