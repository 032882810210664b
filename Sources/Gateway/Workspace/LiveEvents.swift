import Contracts
import Foundation
import Hummingbird
import HTTPTypes
import ServiceLifecycle
import Synchronization
import VecheAuth
import WorkspaceUI

/// Fans the appeal events the gateway receives from NATS (`veche.events.v1.appeal.>`, a core subscription:
/// live hints, not a durable feed) out to the open server-sent-event streams. Each stream has a small
/// buffer that keeps the newest events: a slow browser misses hints, never blocks the others.
final class AppealEventHub: Sendable {
    private let streams = Mutex<[UUID: AsyncStream<AppealV1.AppealEvent>.Continuation]>([:])

    init() {}

    /// Called from the NATS delivery thread with the raw protobuf payload. With no stream open the event is not
    /// even decoded: during a bulk intake nobody may be watching, and decoding every event cost the gateway CPU.
    func deliver(_ payload: [UInt8]) {
        let open = streams.withLock { Array($0.values) }
        guard !open.isEmpty, let event = try? AppealV1.AppealEvent(serializedBytes: payload) else { return }
        for c in open { c.yield(event) }
    }

    /// A stream of events until the returned stream is dropped (its termination unregisters it).
    func subscribe() -> AsyncStream<AppealV1.AppealEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: AppealV1.AppealEvent.self, bufferingPolicy: .bufferingNewest(64))
        continuation.onTermination = { [weak self] _ in _ = self?.streams.withLock { $0.removeValue(forKey: id) } }
        streams.withLock { $0[id] = continuation }
        return stream
    }

    /// Ends every stream (graceful shutdown).
    func finishAll() {
        for c in streams.withLock({ Array($0.values) }) { c.finish() }
    }

    var count: Int { streams.withLock { $0.count } }
}

/// `GET /ws/events`: `text/event-stream` of the appeal events the signed-in person may see (the same
/// `AppealAccess` rule the service applies), as `event: appeal` with the appeal id, number, version, the
/// event in words and the actor — no text or personal data. The stream ends on graceful shutdown.
struct LiveEvents: Sendable {
    let routes: WorkspaceRoutes
    let hub: AppealEventHub

    struct Payload: Encodable {
        var id: String
        var number: String
        var version: Int64
        var event: String
        var status: String
        var actor: String
    }

    func register(on router: Router<GatewayContext>) {
        router.get("ws/events") { request, context in
            guard let viewer = try await routes.viewer(request, context) else { throw AuthError.unauthenticated("sign in first") }
            let principal = viewer.principal
            let stream = hub.subscribe()
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "retry: 3000\n: connected\n\n"))
                for try await event in stream.cancelOnGracefulShutdown() {
                    guard let a = event.appeal else { continue }
                    let view = AppealAccess.view(principal, AppealFacts(a))
                    guard view != .none else { continue }
                    try await writer.write(ByteBuffer(string: Self.frame(event, a, view: view)))
                }
                try await writer.finish(nil)
            })
        }
    }

    /// One server-sent event; a viewer without the full view sees staff by role only, as AppealService shows them.
    static func frame(_ e: AppealV1.AppealEvent, _ a: AppealV1.Appeal, view: AppealView) -> String {
        let actor = view == .full ? e.actor : AppealAccess.publicActor(e.actor)
        let p = Payload(id: a.id, number: a.number, version: a.version, event: Labels.event(e.type),
                        status: Labels.status(a.status), actor: Labels.actor(actor))
        let json = (try? JSONEncoder().encode(p)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(e.eventId)\nevent: appeal\ndata: \(json)\n\n"
    }
}
