import Instrumentation
import Logging
import Synchronization
import Tracing
import VecheRuntime

/// A span a test saw started: its name, kind and trace id.
public struct StartedSpan: Sendable, Equatable {
    public var name: String
    public var kind: SpanKind
    public var traceID: String
}

/// The production tracer (`VecheTracing`, swift-otel) seen through a window: every span it starts is also
/// recorded with its trace id. Propagation (inject/extract) is the production tracer's own.
final class RecordingTracer<Base: Tracer>: Tracer {
    typealias Span = Base.Span
    let base: Base
    let started = Mutex<[StartedSpan]>([])

    init(base: Base) { self.base = base }

    func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
                                           at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt) -> Base.Span {
        let span = base.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
        var headers: [String: String] = [:]
        base.inject(span.context, into: &headers, using: Carrier())
        if let id = headers[TraceHeaders.traceParent].flatMap(TraceHeaders.traceID(ofTraceParent:)) {
            started.withLock { $0.append(StartedSpan(name: operationName, kind: kind, traceID: id)) }
        }
        return span
    }

    func forceFlush() { base.forceFlush() }

    func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Carrier == Inject.Carrier {
        base.inject(context, into: &carrier, using: injector)
    }

    func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract: Extractor, Carrier == Extract.Carrier {
        base.extract(carrier, into: &context, using: extractor)
    }

    struct Carrier: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }
}

/// Installs the production tracer, recording, once per test process (InstrumentationSystem is process-global).
public enum TestTracing {
    private static let recorder: @Sendable () -> [StartedSpan] = {
        var logger = Logger(label: "veche.test.tracing")
        logger.logLevel = .warning
        // The processes' own configuration path, without export (no OTEL_EXPORTER_OTLP_ENDPOINT in tests).
        guard let made = try? VecheTracing.makeTracer(serviceName: "veche-tests", logger: logger, environment: [:]) else {
            return { [] }
        }
        let tracer = RecordingTracer(base: made.tracer)
        InstrumentationSystem.bootstrap(tracer)
        // A tracer with a span pipeline (the OTLP build) keeps it as long as the test process.
        if let service = made.service { Task.detached { try? await service.run() } }
        return { tracer.started.withLock { $0 } }
    }()

    /// Installs the tracer (idempotent).
    public static func bootstrap() { _ = recorder }

    /// The spans started so far in the trace `traceID`.
    public static func spans(inTrace traceID: String) -> [StartedSpan] {
        recorder().filter { $0.traceID == traceID }
    }
}
