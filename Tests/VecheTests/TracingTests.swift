import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Tracing
import VecheRuntime
import VecheTestSupport
@testable import AppealService
@testable import Gateway

@Suite("Tracing: one HTTP request followed across services by its trace id", .serialized)
struct TracingTests {
    /// Submitting an appeal through the gateway: the trace id the gateway answers with (`traceresponse`) is the
    /// trace of AppealService's SubmitAppeal handling, and — carried in the outbox row and the event's NATS
    /// headers — of RatingService's and AgencyService's (notifications) consumption of the events it published.
    @Test func traceIDFollowsSubmissionThroughRPCEventAndConsumers() async throws {
        TestTracing.bootstrap()
        try await withPlatform(rating: true) { platform in
            try await platform.gateway().test(.router) { client in
                let portal = try await bearer(.client("veche-integration-portal"))
                let body = #"{"channel":"portal","externalId":"trace-\#(UUID().uuidString)","text":"Не вывозят мусор с контейнерной площадки во дворе","address":"Курск, ул. Ленина, 5"}"#
                let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: body))
                #expect(created.status == .created)
                let traceParent = try #require(created.headers[TraceResponse.header])
                let traceID = try #require(TraceHeaders.traceID(ofTraceParent: traceParent))

                let submit = "\(AppealV1.AppealService.name)/SubmitAppeal"
                let notifications = "\(Subjects.Notifications.eventsDurable) process"
                let seen = try await eventually(timeout: .seconds(60)) {
                    let spans = TestTracing.spans(inTrace: traceID)
                    return spans.contains { $0.name == submit && $0.kind == .server }
                        && spans.contains { $0.name == notifications && $0.kind == .consumer }
                        && spans.contains { $0.name.hasPrefix("rating-projection-") && $0.kind == .consumer }
                }
                let spans = TestTracing.spans(inTrace: traceID)
                #expect(seen, "spans of trace \(traceID): \(spans.map(\.name))")
                // The gateway's call to AppealService is a client span of the same trace, named by the subject.
                #expect(spans.contains { $0.kind == .client && $0.name.hasSuffix("SubmitAppeal") })

                // A request of its own is a different trace: ids are not shared by accident.
                let other = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal,
                                                     body: ByteBuffer(string: body.replacingOccurrences(of: "trace-", with: "other-")))
                let otherID = other.headers[TraceResponse.header].flatMap(TraceHeaders.traceID(ofTraceParent:))
                #expect(otherID != nil && otherID != traceID)

                // The event row keeps the trace context it was published with.
                let appeal = try #require(try decode(AppealV1.SubmitAppealResponse.self, created.body).appeal)
                let pool = try #require(platform.envs["appeal"]?.pool)
                let stored = try await pool.query("SELECT DISTINCT traceparent FROM appeal_events WHERE appeal_id = \(appeal.id)::uuid").rows.map { $0.string("traceparent") }
                #expect(stored.count == 1 && stored.allSatisfy { TraceHeaders.traceID(ofTraceParent: $0) == traceID })
            }
        }
    }

    /// An appeal that arrives on the JetStream intake stream (a batch of the intake consumer) stores its events
    /// with the trace of the message that brought it — the publisher's trace id, not the batch's.
    @Test func intakeOverJetStreamKeepsThePublishersTraceOnTheEvents() async throws {
        TestTracing.bootstrap()
        try await withPlatform { platform in
            let (bus, js) = try await platform.cluster.jetStream(as: BusPermissions.integration("portal"))
            defer { bus.close() }
            let token = try await Tokens.shared.token(.client("veche-integration-portal"))
            var traces: [String: String] = [:]
            for i in 0..<3 {
                let traceID = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(32))
                let externalID = "trace-js-\(i)-\(UUID().uuidString)"
                traces[externalID] = traceID
                var incoming = AppealV1.IncomingAppeal()
                incoming.channel = .portal
                incoming.externalId = externalID
                incoming.text = "Не горит уличное освещение на улице Ленина, дом \(i + 1)"
                try await js.publish(subject: Subjects.Intake.subject(for: .portal), payload: incoming.serializedBytes(), messageID: "portal:" + externalID,
                                     headers: [RPCHeader.authorization: "Bearer " + token, TraceHeaders.traceParent: "00-\(traceID)-00f067aa0ba902b7-01"])
            }
            let pool = try #require(platform.envs["appeal"]?.pool)
            let stored = try await eventually(timeout: .seconds(60)) {
                (try? await pool.query("SELECT count(DISTINCT a.id) AS n FROM appeals a JOIN appeal_events e ON e.appeal_id = a.id WHERE a.external_id = ANY(\(Array(traces.keys))::text[])").first?.int("n")) == 3
            }
            #expect(stored)
            for (externalID, traceID) in traces {
                let rows = try await pool.query("""
                    SELECT DISTINCT e.traceparent FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id WHERE a.external_id = \(externalID)
                    """).rows.map { $0.string("traceparent") }
                #expect(rows.count == 1 && rows.allSatisfy { TraceHeaders.traceID(ofTraceParent: $0) == traceID }, "\(externalID): \(rows)")
            }
        }
    }

    /// Log lines written while a span is current carry its trace and span ids (`trace_id`, `span_id`), in text
    /// and JSON logs alike (both handlers take the process's metadata provider).
    @Test func logLinesCarryTheCurrentTraceID() async throws {
        TestTracing.bootstrap()
        let provider = VecheTracing.loggingMetadataProvider
        #expect(provider.get()[VecheTracing.traceIDKey] == nil)
        try await withSpan("log correlation") { _ in
            let traceID = try #require(TraceHeaders.traceID(ofTraceParent: TraceHeaders.currentTraceParent()))
            let metadata = provider.get()
            #expect(metadata[VecheTracing.traceIDKey].map { "\($0)" } == traceID)
            #expect(metadata[VecheTracing.spanIDKey] != nil)
        }
    }
}
