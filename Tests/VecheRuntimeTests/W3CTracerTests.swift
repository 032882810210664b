import Testing
import Tracing
@testable import VecheRuntime

@Suite("W3CTracer: W3C Trace Context in and out of NATS headers")
struct W3CTracerTests {
    let tracer = W3CTracer()

    func extracted(_ headers: [String: String]) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        tracer.extract(headers, into: &context, using: TraceHeaders.HeaderExtractor())
        return context
    }

    func injected(_ context: InstrumentationContext) -> [String: String] {
        var headers: [String: String] = [:]
        tracer.inject(context, into: &headers, using: TraceHeaders.HeaderInjector())
        return headers
    }

    /// A caller's trace is continued: same trace id, a new span id, the caller's tracestate passed on unchanged.
    @Test func continuesTheCallersTrace() throws {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let span = tracer.startSpan("child", context: extracted([TraceHeaders.traceParent: parent, TraceHeaders.traceState: "rojo=00f067aa0ba902b7"]),
                                    ofKind: .server, at: DefaultTracerClock.now, function: #function, file: #fileID, line: #line)
        let out = injected(span.context)
        let child = try #require(out[TraceHeaders.traceParent].flatMap { W3CSpanContext(traceParent: $0) })
        #expect(child.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(child.spanID != "00f067aa0ba902b7" && child.spanID.count == 16)
        #expect(child.sampled)
        #expect(out[TraceHeaders.traceState] == "rojo=00f067aa0ba902b7")
    }

    /// Malformed or all-zero `traceparent` values are ignored: the span starts a trace of its own.
    @Test(arguments: ["", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"])
    func malformedParentStartsANewTrace(_ value: String) {
        #expect(W3CSpanContext(traceParent: value) == nil)
        let span = tracer.startSpan("root", context: extracted([TraceHeaders.traceParent: value]), ofKind: .server,
                                    at: DefaultTracerClock.now, function: #function, file: #fileID, line: #line)
        let own = injected(span.context)[TraceHeaders.traceParent].flatMap { W3CSpanContext(traceParent: $0) }
        #expect(own != nil && own?.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    /// Two root spans never share a trace id, and nothing is injected for a context without a span.
    @Test func rootsAreDistinctAndEmptyContextsInjectNothing() {
        let a = tracer.startSpan("a", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: #function, file: #fileID, line: #line)
        let b = tracer.startSpan("b", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: #function, file: #fileID, line: #line)
        #expect(a.context.w3cSpanContext?.traceID != b.context.w3cSpanContext?.traceID)
        #expect(injected(.topLevel).isEmpty)
    }

    /// A later version is read by its first four fields (the specification's forward compatibility); the ids are
    /// taken as sent and the flags' lowest bit is `sampled`.
    @Test func laterVersionsAreReadByTheirFirstFourFields() throws {
        let c = try #require(W3CSpanContext(traceParent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-comes-later"))
        #expect(c.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && c.spanID == "00f067aa0ba902b7" && !c.sampled)
        #expect(W3CSpanContext(traceParent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x") == nil)
        #expect(W3CSpanContext(traceParent: "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(W3CSpanContext(traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x") == nil)
        #expect(W3CSpanContext(traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736+00f067aa0ba902b7-01") == nil)
    }

    /// New ids are lower-case hex of the right length, so a peer parses what this tracer sends.
    @Test func newIdsAreLowerCaseHex() throws {
        for _ in 0..<200 {
            let trace = W3CSpanContext.randomID(words: 2), span = W3CSpanContext.randomID(words: 1)
            #expect(trace.count == 32 && span.count == 16)
            let c = try #require(W3CSpanContext(traceParent: "00-\(trace)-\(span)-01"))
            #expect(c.traceID == trace && c.spanID == span)
        }
    }
}
