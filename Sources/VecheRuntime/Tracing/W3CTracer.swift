import Instrumentation
import Synchronization
import Tracing

/// The trace and span a task is in, as W3C Trace Context names them (ids in lower-case hex).
public struct W3CSpanContext: Sendable, Equatable {
    /// 32 hex digits, shared by every span of one trace.
    public var traceID: String
    /// 16 hex digits, this span's own.
    public var spanID: String
    /// The `sampled` flag (01) of `traceparent`.
    public var sampled: Bool
    /// The vendor-specific `tracestate` header, passed on unchanged.
    public var traceState: String

    /// `00-<trace id>-<span id>-<flags>`.
    public var traceParent: String { "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")" }

    /// Parses a `traceparent` header (version 00; later versions are read by their first four fields, as the
    /// specification asks); nil when malformed or all-zero ids. Read on UTF-8 bytes: every delivered message and RPC
    /// is parsed (splitting it into `Character`s was a tenth of an event consumer's CPU).
    public init?(traceParent: String, traceState: String = "") {
        var header = traceParent
        let parsed: (traceID: String, spanID: String, flags: UInt8)? = header.withUTF8 { b in
            // version(2) - trace id(32) - span id(16) - flags(2): 55 bytes; a later version may go on after a '-'.
            guard b.count >= 55, b[2] == UInt8(ascii: "-"), b[35] == UInt8(ascii: "-"), b[52] == UInt8(ascii: "-"),
                  let version = Self.hexByte(b[0], b[1]), version != 0xff,
                  b.count == 55 || (version != 0 && b[55] == UInt8(ascii: "-")),
                  let flags = Self.hexByte(b[53], b[54]) else { return nil }
            let trace = UnsafeBufferPointer(rebasing: b[3..<35]), span = UnsafeBufferPointer(rebasing: b[36..<52])
            guard trace.allSatisfy(Self.isLowerHex), span.allSatisfy(Self.isLowerHex),
                  trace.contains(where: { $0 != UInt8(ascii: "0") }), span.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
            return (String(decoding: trace, as: UTF8.self), String(decoding: span, as: UTF8.self), flags)
        }
        guard let parsed else { return nil }
        self.init(traceID: parsed.traceID, spanID: parsed.spanID, sampled: parsed.flags & 1 == 1, traceState: traceState)
    }

    private static func isLowerHex(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
    }

    /// Two lower-case hex digits as a byte.
    private static func hexByte(_ hi: UInt8, _ lo: UInt8) -> UInt8? {
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        guard let h = digit(hi), let l = digit(lo) else { return nil }
        return h << 4 | l
    }

    public init(traceID: String, spanID: String, sampled: Bool, traceState: String) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
        self.traceState = traceState
    }

    /// A random non-zero id of `words` 64-bit words, as lower-case hex (16 digits a word).
    static func randomID(words: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        while true {
            let raw = (0..<words).map { _ in rng.next() as UInt64 }
            if raw.contains(where: { $0 != 0 }) { return PGBytes.hexDigits(words: raw) }
        }
    }
}

/// Where a task's W3C span context lives in its `InstrumentationContext`.
enum W3CSpanContextKey: InstrumentationContextKey {
    typealias Value = W3CSpanContext
    static let nameOverride: String? = "veche-w3c-span-context"
}

extension InstrumentationContext {
    /// The W3C span context of the span this context belongs to (or of the remote parent it was extracted from).
    public var w3cSpanContext: W3CSpanContext? {
        get { self[W3CSpanContextKey.self] }
        set { self[W3CSpanContextKey.self] = newValue }
    }
}

/// The tracer of a build without an exporter: makes W3C trace and span ids, continues a caller's trace from
/// `traceparent`/`tracestate`, and hands both on; spans carry the ids for log correlation and are not exported
/// (the `OTLP` build uses swift-otel's tracer and exporter instead).
public struct W3CTracer: Tracer {
    /// Spans of this tracer: `W3CSpan`, carrying the ids for log correlation and never exported.
    public typealias Span = W3CSpan

    public init() {}

    public func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
                                                  at instant: @autoclosure () -> Instant, function: String, file fileID: String,
                                                  line: UInt) -> W3CSpan {
        var context = context()
        let parent = context.w3cSpanContext
        context.w3cSpanContext = W3CSpanContext(traceID: parent?.traceID ?? W3CSpanContext.randomID(words: 2),
                                                spanID: W3CSpanContext.randomID(words: 1), sampled: parent?.sampled ?? true,
                                                traceState: parent?.traceState ?? "")
        return W3CSpan(operationName: operationName, context: context)
    }

    public func forceFlush() {}

    public func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Carrier == Inject.Carrier {
        guard let span = context.w3cSpanContext else { return }
        injector.inject(span.traceParent, forKey: TraceHeaders.traceParent, into: &carrier)
        if !span.traceState.isEmpty { injector.inject(span.traceState, forKey: TraceHeaders.traceState, into: &carrier) }
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract: Extractor, Carrier == Extract.Carrier {
        guard let value = extractor.extract(key: TraceHeaders.traceParent, from: carrier),
              let parent = W3CSpanContext(traceParent: value, traceState: extractor.extract(key: TraceHeaders.traceState, from: carrier) ?? "")
        else { return }
        context.w3cSpanContext = parent
    }
}

/// A span of `W3CTracer`: its context (with the ids), name, attributes and status while it runs.
public final class W3CSpan: Tracing.Span {
    public let context: InstrumentationContext
    private struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var ended = false
    }
    private let state: Mutex<State>

    init(operationName: String, context: InstrumentationContext) {
        self.context = context
        self.state = Mutex(State(name: operationName))
    }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// The status set by the code that ran in the span (nil: not set).
    public var status: SpanStatus? { state.withLock { $0.status } }

    public var isRecording: Bool { state.withLock { !$0.ended } }

    public func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    public func addEvent(_ event: SpanEvent) {}
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        setStatus(SpanStatus(code: .error))
    }
    public func addLink(_ link: SpanLink) {}
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) { state.withLock { $0.ended = true } }
}
