import Contracts
import Foundation
import Hummingbird

/// `GET /ready`: 200 when every backend service has at least one instance answering its ADR-32
/// `$SRV.PING.<Service>` (an instance subscribes only after its migrations ran and its database pool and
/// streams are up), 503 otherwise; the body names each service's state. Public, like `/health` (liveness),
/// so load balancers and compose health checks can use it without credentials; it reveals no data.
struct ReadinessRoutes {
    let transport: any RPCTransport
    var timeout: Duration = .seconds(2)

    struct Report: Codable, Sendable {
        var ready: Bool
        var services: [String: String]
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/ready") { request, context -> Response in
            let report = await check()
            return try JSONResponse(report, status: report.ready ? .ok : .serviceUnavailable).response(from: request, context: context)
        }
    }

    func check() async -> Report {
        await withTaskGroup(of: (String, String).self) { group in
            for name in Subjects.Discovery.platformServices {
                group.addTask {
                    do {
                        _ = try await transport.request(subject: Subjects.Discovery.ping(name), payload: [], headers: [:], timeout: timeout)
                        return (name, "ready")
                    } catch {
                        return (name, "not ready: \(error)")
                    }
                }
            }
            var states: [String: String] = [:]
            for await (name, state) in group { states[name] = state }
            return Report(ready: states.values.allSatisfy { $0 == "ready" }, services: states)
        }
    }
}
