import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Real servers for integration tests: a private nats-server (JetStream, random port, temp store)
/// and a fresh PostgreSQL database on the server started by `scripts/veche test`.
public final class TestCluster: @unchecked Sendable {
    public let natsPort: Int
    let natsProcess: Process
    let storeDir: URL
    public let database: String
    let adminConninfo: String
    public var logger: Logger

    public var natsURL: String { "nats://127.0.0.1:\(natsPort)" }
    public var conninfo: String { adminConninfo.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(database)") }

    public static var adminConninfo: String {
        ProcessInfo.processInfo.environment["VECHE_TEST_POSTGRES_ADMIN"] ?? "host=127.0.0.1 port=5432 dbname=postgres user=postgres"
    }

    private init(natsPort: Int, process: Process, storeDir: URL, database: String, logger: Logger) {
        self.natsPort = natsPort
        self.natsProcess = process
        self.storeDir = storeDir
        self.database = database
        self.adminConninfo = Self.adminConninfo
        self.logger = logger
    }

    public static func start(label: String = "test") async throws -> TestCluster {
        var logger = Logger(label: "veche.test.\(label)")
        logger.logLevel = ProcessInfo.processInfo.environment["VECHE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        let (process, port, dir) = try await startNats()
        let db = "veche_t_" + NUID.next(length: 12).lowercased()
        let admin = try await PGPool(conninfo: adminConninfo, size: 1, logger: logger, connectTimeout: .seconds(5))
        _ = try await admin.withConnection { try $0.execute("CREATE DATABASE \(db)") }
        admin.close()
        return TestCluster(natsPort: port, process: process, storeDir: dir, database: db, logger: logger)
    }

    static func startNats() async throws -> (Process, Int, URL) {
        for _ in 0..<5 {
            let port = Int.random(in: 20000..<60000)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-nats-\(NUID.next(length: 8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
            if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nats-server") { p.executableURL = URL(fileURLWithPath: "/usr/bin/nats-server") }
            p.arguments = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            for _ in 0..<100 {
                if Self.portOpen(port) { return (p, port, dir) }
                if !p.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            p.terminate()
        }
        throw RPCError.unavailable("could not start nats-server")
    }

    static func portOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    public var config: VecheConfig {
        var c = VecheConfig(environment: [:])
        c.natsURL = natsURL
        c.postgres = conninfo
        c.logLevel = logger.logLevel
        c.dbPoolSize = 3
        return c
    }

    public func environment(_ name: String, schema: String?) async throws -> ServiceEnvironment {
        var env = try await ServiceEnvironment.connect(config: config, name: name, schema: schema)
        env.logger = logger
        return env
    }

    public func stop() async {
        if natsProcess.isRunning {
            natsProcess.terminate()
            natsProcess.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: storeDir)
        if let admin = try? await PGPool(conninfo: adminConninfo, size: 1, logger: logger, connectTimeout: .seconds(5)) {
            _ = try? await admin.withConnection { try $0.execute("DROP DATABASE IF EXISTS \(self.database) WITH (FORCE)") }
            admin.close()
        }
    }
}

/// Runs services in a ServiceGroup for the duration of `body`, then shuts them down gracefully.
public func withServices<T: Sendable>(_ services: [any Service], logger: Logger, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
    let running = Task { try await group.run() }
    do {
        let value = try await body()
        await group.triggerGracefulShutdown()
        try await running.value
        return value
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

/// Starts a cluster, runs `body`, always cleans up.
public func withCluster<T: Sendable>(_ label: String = #function, _ body: (TestCluster) async throws -> T) async throws -> T {
    let cluster = try await TestCluster.start(label: label)
    do {
        let v = try await body(cluster)
        await cluster.stop()
        return v
    } catch {
        await cluster.stop()
        throw error
    }
}

/// Polls until `condition` holds or the timeout passes.
public func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
