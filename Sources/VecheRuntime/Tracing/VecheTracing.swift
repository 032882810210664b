import Foundation
import Instrumentation
import Logging
import ServiceLifecycle
import Tracing
#if OTLP
import OTel
#endif

/// Process-wide tracing (swift-distributed-tracing): the tracer that makes W3C trace ids, continues callers'
/// traces and is carried in NATS headers (`TraceHeaders`), and the `trace_id`/`span_id` logger metadata of the
/// current span. By default `W3CTracer` (propagation and log correlation, no export). Built with the `OTLP`
/// package trait (`swift build --traits OTLP`), swift-otel's tracer exports spans over OTLP/HTTP when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set; the standard `OTEL_*` variables apply.
public enum VecheTracing {
    /// Logger metadata key of the current trace id (text and JSON logs).
    public static let traceIDKey = "trace_id"
    /// Logger metadata key of the current span id.
    public static let spanIDKey = "span_id"

    /// True when this build can export spans (the `OTLP` package trait).
    public static var canExport: Bool {
        #if OTLP
        true
        #else
        false
        #endif
    }

    /// Whether `environment` asks for OTLP export.
    static func wantsExport(_ environment: [String: String]) -> Bool {
        let endpoint = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? ""
        return !endpoint.isEmpty && environment["OTEL_TRACES_EXPORTER"] != "none"
    }

    #if OTLP
    /// Adds `trace_id` and `span_id` of the task's current span to every log line.
    public static var loggingMetadataProvider: Logger.MetadataProvider {
        var c = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        c.traceIDKey = traceIDKey
        c.spanIDKey = spanIDKey
        return OTel.makeLoggingMetadataProvider(configuration: c)
    }

    /// swift-otel's tracer and its background service (batching, export, flush on shutdown) for `serviceName`;
    /// spans are exported only when `environment` names an OTLP endpoint.
    public static func makeTracer(serviceName: String, logger: Logger,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (tracer: some Tracer, service: (any Service)?) {
        var config = OTel.Configuration.default
        config.serviceName = environment["OTEL_SERVICE_NAME"] ?? serviceName
        config.diagnosticLogger = .custom(logger)
        config.propagators = [.traceContext]
        config.metrics.enabled = false   // metrics are Prometheus' (VecheMetrics)
        config.logs.enabled = false      // logs go to stderr (VecheLogging), correlated by trace_id
        config.traces.exporter = wantsExport(environment) ? .otlp : .none
        let backend = try OTel.makeTracingBackend(configuration: config)
        return (backend.factory, backend.service)
    }
    #else
    /// Adds `trace_id` and `span_id` of the task's current span to every log line.
    public static var loggingMetadataProvider: Logger.MetadataProvider {
        Logger.MetadataProvider {
            guard let span = InstrumentationContext.current?.w3cSpanContext else { return [:] }
            return [traceIDKey: .string(span.traceID), spanIDKey: .string(span.spanID)]
        }
    }

    /// The W3C tracer (no background work: nothing is exported).
    public static func makeTracer(serviceName: String, logger: Logger,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (tracer: some Tracer, service: (any Service)?) {
        if wantsExport(environment) {
            logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but this build has no OTLP exporter (swift build --traits OTLP); spans are not exported")
        }
        return (W3CTracer(), nil)
    }
    #endif

    /// Installs the tracer for this process (once) and returns its service, if it has one, to run in the
    /// process's `ServiceGroup`. A configuration that cannot be used is logged and leaves tracing off.
    public static func bootstrap(serviceName: String, logger: Logger) -> (any Service)? {
        do {
            let (tracer, service) = try makeTracer(serviceName: serviceName, logger: logger)
            InstrumentationSystem.bootstrap(tracer)
            return service
        } catch {
            logger.error("tracing is off: the OTEL_* configuration is not usable", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
