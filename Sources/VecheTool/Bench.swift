import ArgumentParser
import Contracts
import DataKit
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// Benchmarks print figures; they assert nothing (targets live here, not in timed tests).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks: protobuf, NATS RPC, PostgreSQL writes, end-to-end intake.")
    @Option(help: "Messages / rows per benchmark.") var count = 20_000
    @Option(help: "Concurrent RPC callers.") var concurrency = 32
    @Flag(help: "Also measure end-to-end intake through a running AppealService (`scripts/veche run`).") var intake = false
    @Option(help: "Real-text appeals the intake benchmark submits.") var intakeCount = 100_000
    @Option(help: "Shared data directory (default $VECHE_SHARED_DATA).") var data: String?
    @Flag(help: "Only the intake's text work per tool (no servers needed).") var text = false
    @Option(help: "Database of the services' schemas (the intake benchmark reads appeal.appeals there).") var appealDatabase = "veche"

    func run() async throws {
        if text {
            guard let dir = data ?? DataFiles.sharedDataDirectory(from: FileManager.default.currentDirectoryPath + "/x") ?? DataFiles.sharedDataDirectory()
            else { throw ValidationError("shared/data not found; pass --data DIR") }
            try TextBench.run(dataDirectory: dir, count: min(count, 20_000))
            return
        }
        let config = try VecheConfig()
        var logger = Logger(label: "veche.bench")
        logger.logLevel = .warning
        benchProto()
        // NATS user `bench` (its private echo subjects, intake on the portal channel) and the import client's token.
        let (nats, _) = try await ToolConnection.connect(config: config, name: "veche-bench", logger: logger)
        defer { nats.close() }
        try await benchRPC(nats, logger: logger)
        let pool = try await PGPool(conninfo: config.postgres, size: 1, logger: logger)
        defer { pool.close() }
        try await benchDB(pool)
        if intake { try await benchIntake(nats, config: config) }
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        print(String(format: "peak RSS: %.1f MiB", Double(usage.ru_maxrss) / 1024))
    }

    static func sampleAppeal(_ i: Int) -> AppealV1.Appeal {
        AppealV1.Appeal(id: UUID().uuidString, number: "2026-\(i)", channel: .pos, status: .registered,
                        author: CommonV1.Person(fullName: "Иванов Иван", email: "i@example.ru"), title: "Отопление",
                        text: String(repeating: "Нет отопления в квартире, батареи холодные. ", count: 8),
                        location: CommonV1.GeoPoint(latitude: 51.7, longitude: 36.2), topicCode: "housing", categoryCode: "housing.heating",
                        monitoringFlags: ["corruption"], receivedAtMs: 1_760_000_000_000, deadlines: .init(registerDueMs: 1, forwardDueMs: 2, answerDueMs: 3))
    }

    func benchProto() {
        let a = Self.sampleAppeal(1)
        let start = ContinuousClock.now
        var bytes = 0
        for _ in 0..<count { bytes += a.serializedBytes().count }
        let enc = ContinuousClock.now - start
        let wire = a.serializedBytes()
        let s2 = ContinuousClock.now
        for _ in 0..<count { _ = try? AppealV1.Appeal(serializedBytes: wire) }
        let dec = ContinuousClock.now - s2
        print(String(format: "protobuf-c Appeal (%d B): encode %.0f msg/s, decode %.0f msg/s", wire.count, rate(count, enc), rate(count, dec)))
        _ = bytes
    }

    struct Echo: AppealV1.AppealService.Handler {
        func submitAppeal(request: AppealV1.SubmitAppealRequest, context: RPCContext) async throws -> AppealV1.SubmitAppealResponse { .init() }
        func getAppeal(request: AppealV1.GetAppealRequest, context: RPCContext) async throws -> AppealV1.GetAppealResponse {
            .init(appeal: Bench.sampleAppeal(0))
        }
        func listAppeals(request: AppealV1.ListAppealsRequest, context: RPCContext) async throws -> AppealV1.ListAppealsResponse { .init() }
        func transition(request: AppealV1.TransitionRequest, context: RPCContext) async throws -> AppealV1.TransitionResponse { .init() }
        func answerAppeal(request: AppealV1.AnswerAppealRequest, context: RPCContext) async throws -> AppealV1.AnswerAppealResponse { .init() }
        func rateAppeal(request: AppealV1.RateAppealRequest, context: RPCContext) async throws -> AppealV1.RateAppealResponse { .init() }
        func getStats(request: AppealV1.GetStatsRequest, context: RPCContext) async throws -> AppealV1.GetStatsResponse { .init() }
        func reclassifyAppeal(request: AppealV1.ReclassifyAppealRequest, context: RPCContext) async throws -> AppealV1.ReclassifyAppealResponse { .init() }
        func getActivity(request: AppealV1.GetActivityRequest, context: RPCContext) async throws -> AppealV1.GetActivityResponse { .init() }
    }

    func benchRPC(_ nats: NatsConnection, logger: Logger) async throws {
        // An in-process echo service under a private name, so a running AppealService is not disturbed.
        let endpoints = Echo().endpoints.map { e in RPCEndpoint(name: e.name, subject: "bench." + e.subject, handle: e.handle) }
        let host = NatsServiceHost(info: .init(name: "BenchEcho", version: "0", description: "benchmark echo"), endpoints: endpoints,
                                   connection: nats, authenticator: UnauthenticatedBenchmarkAccess(), logger: logger)
        let task = Task { try await host.run() }
        await host.waitUntilReady()
        let subject = "bench." + AppealV1.AppealService.Method.GetAppeal.subject
        let payload = AppealV1.GetAppealRequest(id: "x").serializedBytes()
        let n = count, c = concurrency
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for w in 0..<c {
                group.addTask {
                    var l: [Double] = []
                    for _ in stride(from: w, to: n, by: c) {
                        let t0 = ContinuousClock.now
                        _ = try await nats.request(subject: subject, payload: payload, headers: [:], timeout: .seconds(5))
                        let d = ContinuousClock.now - t0
                        l.append(d.inSeconds * 1e6)
                    }
                    return l
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all.sorted()
        }
        let elapsed = ContinuousClock.now - start
        func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(String(format: "NATS RPC (ADR-32 host, %d callers): %.0f req/s, p50 %.0f µs, p99 %.0f µs", c, rate(n, elapsed), pct(0.5), pct(0.99)))
        task.cancel()
    }

    func benchDB(_ pool: PGPool) async throws {
        let n = count
        try await pool.withConnection { conn in
            try conn.unsafeExecute("CREATE TEMP TABLE IF NOT EXISTS bench_rows (id bigint, body text, at timestamptz)")
            try conn.unsafeExecute("TRUNCATE bench_rows")
            let t0 = ContinuousClock.now
            for i in 0..<min(n, 2000) { try conn.query("INSERT INTO bench_rows VALUES (\(i), \("текст обращения \(i)"), now())") }
            let auto = ContinuousClock.now - t0
            let t1 = ContinuousClock.now
            try conn.unsafeExecute("BEGIN")
            for i in 0..<n { try conn.query("INSERT INTO bench_rows VALUES (\(i), \("текст обращения \(i)"), now())") }
            try conn.unsafeExecute("COMMIT")
            let tx = ContinuousClock.now - t1
            let rows: [[String?]] = (0..<(n * 10)).map { ["\($0)", "текст обращения \($0)", "2026-11-01 00:00:00+00"] }
            let t2 = ContinuousClock.now
            try conn.copyIn(table: "bench_rows", columns: ["id", "body", "at"], rows: rows)
            let copy = ContinuousClock.now - t2
            print(String(format: "PostgreSQL inserts: autocommit %.0f rows/s, one transaction %.0f rows/s, COPY %.0f rows/s",
                         rate(min(n, 2000), auto), rate(n, tx), rate(n * 10, copy)))
            // Point lookups by key, the same statement prepared (`PGStatementCache`) and planned at every call,
            // alternating rounds so both see the same machine.
            try conn.unsafeExecute("CREATE INDEX IF NOT EXISTS bench_rows_id ON bench_rows (id); ANALYZE bench_rows")
            let lookups = min(n, 5_000)
            func timeLookups(planEachCall: Bool) throws -> Duration {
                let started = ContinuousClock.now
                for i in 0..<lookups {
                    var sql: SQL = "SELECT id, body, at FROM bench_rows WHERE id = \(i % n)"
                    sql.planEachCall = planEachCall
                    _ = try conn.query(sql)
                }
                return ContinuousClock.now - started
            }
            var prepared = Duration.zero, planned = Duration.zero
            for _ in 0..<2 {
                prepared += try timeLookups(planEachCall: false)
                planned += try timeLookups(planEachCall: true)
            }
            print(String(format: "PostgreSQL point lookups: prepared %.0f/s, planned at every call %.0f/s (%.2f×)",
                         rate(2 * lookups, prepared), rate(2 * lookups, planned), planned / prepared))
        }
    }

    func benchIntake(_ nats: NatsConnection, config: VecheConfig) async throws {
        let token = try await ClientCredentials(endpoint: TokenEndpoint(settings: config.oidc)).token()
        let env = ProcessInfo.processInfo.environment
        // The administrator's conninfo names database `postgres`; the services' schemas live in `appealDatabase`.
        let conninfo = config.postgres.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(appealDatabase)")
        try await IntakeBench(count: intakeCount, dataDirectory: data ?? env["VECHE_SHARED_DATA"] ?? "/work/shared/data",
                              appealDatabase: conninfo, stateDirectory: env["VECHE_STATE_DIR"]).run(nats, token: token)
    }

    func rate(_ n: Int, _ d: Duration) -> Double { Self.rate(n, d) }

    static func rate(_ n: Int, _ d: Duration) -> Double {
        d > .zero ? Double(n) / d.inSeconds : 0
    }
}
