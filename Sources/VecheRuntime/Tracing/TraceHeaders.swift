import Instrumentation
import Tracing

/// W3C trace context (`traceparent`, `tracestate`) in NATS message headers: injected into every request,
/// JetStream publish and outbox event, extracted by RPC hosts and consumers, so one HTTP request can be
/// followed by its trace id through every service it reaches. The one place that knows the header names.
public enum TraceHeaders {
    public static let traceParent = "traceparent"
    public static let traceState = "tracestate"

    /// Headers with the current task's trace context added (existing `traceparent` is kept: a stored event
    /// carries the context of the request that caused it, not of the relay publishing it).
    public static func injectingCurrent(into headers: [String: String]) -> [String: String] {
        guard headers[traceParent] == nil, let context = InstrumentationContext.current else { return headers }
        var out = headers
        InstrumentationSystem.instrument.inject(context, into: &out, using: HeaderInjector())
        return out
    }

    /// The trace context a message carries (an empty context when it carries none).
    public static func context(from headers: [String: String]) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        guard headers[traceParent] != nil else { return context }
        InstrumentationSystem.instrument.extract(headers, into: &context, using: HeaderExtractor())
        return context
    }

    /// The `traceparent` value of the current task's span ("" when there is none), e.g. to store with an outbox row.
    public static func currentTraceParent() -> String {
        guard let context = InstrumentationContext.current else { return "" }
        return traceParent(of: context)
    }

    /// The `traceparent` value of `context` ("" when there is no span in it).
    public static func traceParent(of context: InstrumentationContext) -> String {
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderInjector())
        return headers[traceParent] ?? ""
    }

    /// The 32-hex-digit trace id of a `traceparent` value (`00-<trace id>-<span id>-<flags>`), nil when malformed.
    public static func traceID(ofTraceParent value: String) -> String? {
        let parts = value.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32 else { return nil }
        return String(parts[1])
    }

    struct HeaderInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    struct HeaderExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
