import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheAuth
import VecheRuntime

/// Real servers for integration tests, under the same least privilege as a deployment:
/// * a private nats-server (JetStream, random port, temp store) with the generated permission config
///   (`BusPermissions`): one user per component, nothing anonymous;
/// * a fresh PostgreSQL database on the server `scripts/veche test` started, prepared by `DatabaseRoles`
///   (services log in as their own roles, owning only their schemas; the audit schema);
/// * the OpenID Connect provider (glewlwyd) `scripts/veche test` configured: services use their own client
///   credentials, tests act as the demo users and machines (`TestPrincipal`).
public final class TestCluster: @unchecked Sendable {
    public let natsPort: Int
    let natsProcess: Process
    let storeDir: URL
    public let database: String
    let adminConninfo: String
    public var logger: Logger
    /// Generated per cluster: the bus users' passwords.
    let busPasswords: [String: String]
    let dbPasswords: [String: String]
    private let callerConnection = NSLock()
    private var caller: NatsConnection?

    public var natsURL: String { "nats://127.0.0.1:\(natsPort)" }

    public static var adminConninfo: String {
        ProcessInfo.processInfo.environment["VECHE_TEST_POSTGRES_ADMIN"] ?? "host=127.0.0.1 port=5432 dbname=postgres user=postgres"
    }

    /// The secrets directory `scripts/veche` keeps (client secrets, demo users, database role passwords).
    public static var secrets: SecretStore {
        let env = ProcessInfo.processInfo.environment
        return SecretStore(directory: env["VECHE_SECRETS_DIR"] ?? ((env["VECHE_STATE_DIR"] ?? "/var/tmp/veche") + "/secrets"))
    }

    /// A bus user of the test server only (never of a deployment) that may use every subject: the runtime's
    /// own tests (service host, idempotency) run small services of their own with it.
    public static let unrestrictedUser = BusUser(name: "runtime-test", publish: [">"], subscribe: [">"], allowResponses: true)

    /// The test database as the server's administrator: for tests of the runtime's pool itself (services log in
    /// as their own roles, see `config(_:schema:)`).
    public var databaseAdminConninfo: String { Self.conninfo(adminConninfo, database: database) }

    /// Integrating systems and survey teams of the test bus (the same demo lists as `scripts/veche`).
    public static let integrations = ["pos", "portal", "email", "social", "messenger"]
    public static let teams = ["team-1", "team-2"]

    private init(natsPort: Int, process: Process, storeDir: URL, database: String, logger: Logger,
                 busPasswords: [String: String], dbPasswords: [String: String]) {
        self.natsPort = natsPort
        self.natsProcess = process
        self.storeDir = storeDir
        self.database = database
        self.adminConninfo = Self.adminConninfo
        self.logger = logger
        self.busPasswords = busPasswords
        self.dbPasswords = dbPasswords
    }

    public static func start(label: String = "test") async throws -> TestCluster {
        var logger = Logger(label: "veche.test.\(label)")
        logger.logLevel = ProcessInfo.processInfo.environment["VECHE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        let users = BusPermissions.users(integrations: integrations, teams: teams) + [unrestrictedUser]
        let busPasswords = Dictionary(uniqueKeysWithValues: users.map { ($0.name, NUID.next(length: 24)) })
        let (process, port, dir) = try await startNats(users: users, passwords: busPasswords)
        // From here on a failure (the database refusing, the task cancelled) must not leave the server running: no
        // `TestCluster` exists yet whose `stop` would end it (earlier runs left nats-server processes behind so).
        do {
            return try await prepareDatabase(process: process, port: port, dir: dir, logger: logger, busPasswords: busPasswords)
        } catch {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
    }

    private static func prepareDatabase(process: Process, port: Int, dir: URL, logger: Logger,
                                        busPasswords: [String: String]) async throws -> TestCluster {
        let db = "veche_t_" + NUID.next(length: 12).lowercased()
        var dbPasswords: [String: String] = [:]
        for s in DatabaseRoles.services { dbPasswords[s.role] = try secrets.value("pg/\(s.role)") }
        let pw = dbPasswords
        let admin = try await PGPool(conninfo: adminConninfo, size: 1, logger: logger, connectTimeout: .seconds(5))
        _ = try await admin.withConnection { conn in
            try conn.unsafeExecute("CREATE DATABASE \(db)")
            // Roles are cluster-wide: created once, concurrently safe; passwords are those scripts/veche set.
            try DatabaseRoles.ensureRoles(conn, passwords: pw, resetPasswords: false)
        }
        admin.close()
        let target = try await PGPool(conninfo: conninfo(adminConninfo, database: db), size: 1, logger: logger, connectTimeout: .seconds(5))
        try await target.withConnection { try DatabaseRoles.prepareDatabase($0, database: db) }
        target.close()
        return TestCluster(natsPort: port, process: process, storeDir: dir, database: db, logger: logger,
                           busPasswords: busPasswords, dbPasswords: dbPasswords)
    }

    static func conninfo(_ base: String, database: String, user: String? = nil, password: String? = nil) -> String {
        var parts = base.split(separator: " ").map(String.init).filter { !$0.hasPrefix("dbname=") }
        parts.append("dbname=\(database)")
        if let user {
            parts = parts.filter { !$0.hasPrefix("user=") && !$0.hasPrefix("passfile=") && !$0.hasPrefix("password=") }
            parts.append("user=\(user)")
            if let password { parts.append("password=\(password)") }
        }
        return parts.joined(separator: " ")
    }

    static func startNats(users: [BusUser], passwords: [String: String]) async throws -> (Process, Int, URL) {
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-nats-\(NUID.next(length: 8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let config = dir.appendingPathComponent("nats.conf")
            // The deployment's permissions; a cheap bcrypt cost keeps the many test connections fast.
            try BusPermissions.serverConfig(port: port, storeDir: dir.appendingPathComponent("js").path, users: users,
                                            passwords: passwords, bcryptCost: 4).write(to: config, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
            if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nats-server") { p.executableURL = URL(fileURLWithPath: "/usr/bin/nats-server") }
            p.arguments = ["-c", config.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            for _ in 0..<600 {   // up to 30 s: a loaded machine starts processes slowly
                if Self.portOpen(port) { return (p, port, dir) }
                if !p.isRunning { break }
                do { try await Task.sleep(for: .milliseconds(50)) } catch {
                    p.terminate()   // cancelled while waiting: the server must not outlive the test
                    throw error
                }
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

    /// Bus user and client id of a component, by the short names tests use ("appeal", "gateway", ...).
    public static func identity(of name: String) -> (busUser: String, clientID: String) {
        switch name {
        case "appeal": return (BusPermissions.appealService, "veche-appeal-service")
        case "agency": return (BusPermissions.agencyService, "veche-agency-service")
        case "rating": return (BusPermissions.ratingService, "veche-rating-service")
        case "survey": return (BusPermissions.surveyService, "veche-survey-service")
        case "gateway": return (BusPermissions.gateway, "veche-gateway")
        case "import": return (BusPermissions.importer, "veche-import")
        default: return (name, "veche-" + name)
        }
    }

    /// The process configuration of component `name`: its bus user, its database role (for its schema), its client.
    public func config(_ name: String, schema: String? = nil) -> VecheConfig {
        let (user, client) = Self.identity(of: name)
        var env = ProcessInfo.processInfo.environment
        env["VECHE_CLIENT_ID"] = client
        env["VECHE_CLIENT_SECRET"] = Self.secrets.read("clients/\(client)") ?? ""
        var c: VecheConfig
        do { c = try VecheConfig(environment: env) } catch { fatalError("the test environment's VECHE_* settings: \(error)") }
        c.natsURL = natsURL
        c.natsUser = user
        c.natsPassword = busPasswords[user] ?? ""
        if let schema, let role = DatabaseRoles.role(forSchema: schema) {
            c.postgres = Self.conninfo(adminConninfo, database: database, user: role, password: dbPasswords[role])
        }
        c.logLevel = logger.logLevel
        c.dbPoolSize = 3
        return c
    }

    /// A configuration without a component identity (gateway settings such as time zone and ports).
    public var config: VecheConfig { config("gateway") }

    public func environment(_ name: String, schema: String?) async throws -> ServiceEnvironment {
        var env = try await ServiceEnvironment.connect(config: config(name, schema: schema), name: name, schema: schema)
        env.logger = logger
        return env
    }

    /// The credentials of bus user `user` on this cluster's nats-server (a wrong password for an unknown user).
    public func busCredentials(of user: String) -> NatsConnection.Credentials {
        .init(user: user, password: busPasswords[user] ?? "wrong")
    }

    /// A bus connection as `user` (e.g. an integrating system publishing intake), for tests that talk NATS directly.
    public func connectBus(as user: String) async throws -> NatsConnection {
        try await NatsConnection.connect(url: natsURL, name: "test-\(user)", logger: logger,
                                         credentials: busCredentials(of: user), connectTimeout: .seconds(30))
    }

    /// The cluster's caller connection: the gateway's bus user, which may publish every method.
    public func callerBus() async throws -> NatsConnection {
        if let existing = callerConnection.withLock({ caller }) { return existing }
        let fresh = try await connectBus(as: BusPermissions.gateway)
        return callerConnection.withLock { () -> NatsConnection in
            if let raced = caller { fresh.close(); return raced }
            caller = fresh
            return fresh
        }
    }

    /// RPCs as `principal` over the caller connection.
    public func transport(as principal: TestPrincipal) async throws -> any RPCTransport {
        let nats = try await callerBus()
        let token = try await Tokens.shared.token(principal)
        return PatientTransport(base: CredentialedTransport(base: nats) { [RPCHeader.authorization: "Bearer " + token] })
    }

    /// Stops the cluster's nats-server (for tests of what clients do without it); `stop()` still cleans up.
    public func stopNats() {
        if natsProcess.isRunning {
            natsProcess.terminate()
            natsProcess.waitUntilExit()
        }
    }

    public func stop() async {
        callerConnection.withLock { caller }?.close()
        if natsProcess.isRunning {
            natsProcess.terminate()
            natsProcess.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: storeDir)
        if let admin = try? await PGPool(conninfo: adminConninfo, size: 1, logger: logger, connectTimeout: .seconds(5)) {
            _ = try? await admin.withConnection { try $0.unsafeExecute("DROP DATABASE IF EXISTS \(self.database) WITH (FORCE)") }
            admin.close()
        }
    }
}

/// Who a test acts as: a demo user of the identity provider (password grant through `veche-cli`) or a
/// machine client (client credentials). Their roles come from the directory's demo seed.
public enum TestPrincipal: Sendable, Hashable {
    case user(String)
    case client(String)
}

/// Access tokens from the real provider, cached for the test run (they live an hour).
public actor Tokens {
    public static let shared = Tokens()
    private var cache: [TestPrincipal: (String, Date)] = [:]

    public func token(_ p: TestPrincipal) async throws -> String {
        if let (t, until) = cache[p], Date() < until { return t }
        let settings = OIDCSettings()
        let secrets = TestCluster.secrets
        let r: TokenResponse
        switch p {
        case .user(let name):
            let endpoint = TokenEndpoint(settings: settings, clientID: "veche-cli", clientSecret: secrets.read("clients/veche-cli") ?? "")
            r = try await endpoint.password(username: name, password: try Self.password(of: name))
        case .client(let id):
            r = try await TokenEndpoint(settings: settings, clientID: id, clientSecret: secrets.read("clients/\(id)") ?? "").clientCredentials()
        }
        cache[p] = (r.accessToken, Date().addingTimeInterval(Double(r.expiresIn ?? 300) - 120))
        return r.accessToken
    }

    /// A demo user's password from `secrets/users.json` (written by scripts/idp_setup.py).
    public static func password(of user: String) throws -> String {
        guard let data = TestCluster.secrets.read("users.json").map({ Data($0.utf8) }),
              let users = try JSONSerialization.jsonObject(with: data) as? [String: [String: String]],
              let pw = users[user]?["password"] else {
            throw RPCError.unavailable("no demo user \(user) in \(TestCluster.secrets.path("users.json")); run scripts/veche test")
        }
        return pw
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

/// Polls until `condition` holds or the timeout passes (a guard against a hang, not a timing: it only costs time
/// when the condition never holds, so the default is generous for a loaded CI machine).
public func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

extension TestCluster {
    public func appeals(as p: TestPrincipal) async throws -> AppealV1.AppealService.Client { .init(transport: try await transport(as: p)) }
    public func agencies(as p: TestPrincipal) async throws -> AgencyV1.AgencyService.Client { .init(transport: try await transport(as: p)) }
    public func ratings(as p: TestPrincipal) async throws -> RatingV1.RatingService.Client { .init(transport: try await transport(as: p)) }
    public func surveys(as p: TestPrincipal) async throws -> SurveyV1.SurveyService.Client { .init(transport: try await transport(as: p)) }

    /// AppealService as the citizen holding `token` (given at intake).
    public func appeals(citizen token: String) async throws -> AppealV1.AppealService.Client {
        .init(transport: PatientTransport(base: CredentialedTransport(base: try await callerBus()) { [RPCHeader.citizenToken: token] }))
    }

    /// A JetStream context as bus user `user` (e.g. an integrating system), closed with the returned connection.
    public func jetStream(as user: String) async throws -> (NatsConnection, JetStream) {
        let nats = try await connectBus(as: user)
        return (nats, try JetStream(connection: nats))
    }
}


/// Tokens that must be refused: a real token with its payload or header altered (the signature no longer
/// matches, or names a key the provider never published).
public enum ForgedToken {
    static func b64(_ s: Substring) -> Data? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b)
    }

    static func enc(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func edit(_ token: String, part: Int, _ change: (inout [String: Any]) -> Void) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let data = b64(Substring(parts[part])),
              var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return token }
        change(&object)
        parts[part] = enc((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        return parts.joined(separator: ".")
    }

    /// The same token with one claim changed (e.g. another username): its signature no longer matches.
    public static func tampered(_ token: String, claim: String, value: Any) -> String {
        edit(token, part: 1) { $0[claim] = value }
    }

    /// The same token naming a signing key the provider never published.
    public static func unknownKey(_ token: String) -> String {
        edit(token, part: 0) { $0["kid"] = "forged-" + NUID.next(length: 6) }
    }
}

extension ProtoMessage {
    /// The wire form with the first byte of every `%00` in its strings turned into NUL (and of every `%FF` into
    /// the byte 0xFF, which is not UTF-8): how another system's encoder can send text that must be refused, not
    /// truncated. Lengths stay as they are.
    public func serializedBytesWithRawBytes() -> [UInt8] {
        var b = serializedBytes()
        var i = 0
        while i + 2 < b.count {
            if b[i] == UInt8(ascii: "%") {
                if b[i + 1] == UInt8(ascii: "0"), b[i + 2] == UInt8(ascii: "0") { b[i] = 0 }
                if b[i + 1] == UInt8(ascii: "F"), b[i + 2] == UInt8(ascii: "F") { b[i] = 0xFF }
            }
            i += 1
        }
        return b
    }
}

/// Gives every call of a test four times its timeout (and deadline): the test machine is shared and can be very
/// busy; a test asserts outcomes, never times.
public struct PatientTransport: RPCTransport {
    public let base: any RPCTransport
    public init(base: any RPCTransport) { self.base = base }

    public func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8] {
        let patient = timeout * 4
        var h = headers
        if h[RPCHeader.deadline] != nil {
            let ms = Double(patient.components.seconds) * 1000 + Double(patient.components.attoseconds) / 1e15
            h[RPCHeader.deadline] = String(Int64(Date().timeIntervalSince1970 * 1000 + ms))
        }
        return try await base.request(subject: subject, payload: payload, headers: h, timeout: patient)
    }
}
