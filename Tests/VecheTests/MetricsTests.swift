import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheRuntime
import VecheTestSupport
@testable import Gateway

/// The Prometheus exposition of a process: counters and histograms move with real traffic through the
/// gateway and the services (the test process hosts both, so one registry holds both sides).
@Suite("Metrics: RPCs, HTTP routes and the connection pool in the Prometheus format")
struct MetricsTests {
    /// Reads `/metrics` through the metrics listener's router.
    static func scrape() async throws -> Exposition {
        try await Application(router: MetricsServer.router()).test(.router) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return Exposition(text: String(buffer: r.body))
        }
    }

    /// Sums of samples by metric name and label fragments (`code="200"`), from the text format.
    struct Exposition {
        let text: String
        func value(_ name: String, _ labels: [String] = []) -> Double {
            text.split(separator: "\n").reduce(0) { sum, line in
                guard line.hasPrefix(name + "{") || line.hasPrefix(name + " "), labels.allSatisfy({ line.contains($0) }),
                      let v = line.split(separator: " ").last.flatMap({ Double($0) }) else { return sum }
                return sum + v
            }
        }
    }

    @Test func rpcHttpAndPoolMetricsMoveWithTraffic() async throws {
        VecheMetrics.bootstrap()
        try await withPlatform { platform in
            let rpcOK = ["service=\"AppealService\"", "method=\"ListAppeals\"", "code=\"200\""]
            let rpcDenied = ["service=\"AppealService\"", "method=\"ListAppeals\"", "code=\"403\""]
            let route = ["http_route=\"/api/v1/appeals\"", "http_request_method=\"GET\""]
            let before = try await Self.scrape()
            let staff = try await bearer(operatorUser)
            let sociologist = try await bearer(.user("sociologist"))
            let statuses = try await platform.gateway().test(.router) { client in
                [try await client.execute(uri: "/api/v1/appeals", method: .get, headers: staff).status,
                 try await client.execute(uri: "/api/v1/appeals", method: .get).status,
                 // Signed in, but no role that may list appeals: the service itself refuses and counts a 403.
                 try await client.execute(uri: "/api/v1/appeals", method: .get, headers: sociologist).status]
            }
            #expect(statuses == [.ok, .unauthorized, .forbidden])
            let after = try await Self.scrape()
            #expect(after.value("veche_rpc_requests_total", rpcOK) >= before.value("veche_rpc_requests_total", rpcOK) + 1)
            #expect(after.value("veche_rpc_requests_total", rpcDenied) >= before.value("veche_rpc_requests_total", rpcDenied) + 1)
            #expect(after.value("veche_rpc_duration_seconds_count", Array(rpcOK.prefix(2)))
                    >= before.value("veche_rpc_duration_seconds_count", Array(rpcOK.prefix(2))) + 1)
            #expect(after.value("hb_requests", route + ["http_response_status_code=\"200\""])
                    >= before.value("hb_requests", route + ["http_response_status_code=\"200\""]) + 1)
            #expect(after.value("hb_requests", route + ["http_response_status_code=\"401\""])
                    >= before.value("hb_requests", route + ["http_response_status_code=\"401\""]) + 1)
            #expect(after.value("veche_db_pool_wait_seconds_count", ["schema=\"appeal\""])
                    > before.value("veche_db_pool_wait_seconds_count", ["schema=\"appeal\""]))
            #expect(after.text.contains("# TYPE veche_db_pool_in_use gauge"))
        }
    }
}
