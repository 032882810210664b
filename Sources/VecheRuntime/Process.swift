import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheAuth
@_exported import VecheMetrics

/// Connections a service process shares: NATS, JetStream, its PostgreSQL pool, and its identity.
public struct ServiceEnvironment: Sendable {
    public var config: VecheConfig
    public var logger: Logger
    public var nats: NatsConnection
    public var jetStream: JetStream
    public var pool: PGPool?
    /// Verifies callers' access tokens (the provider's JWKS, refreshed on key rotation).
    public var verifier: TokenVerifier
    /// This process's own token (client credentials), when it has a client id.
    public var credentials: ClientCredentials?
    /// RPC transport for calls the service makes as itself (carries its own token).
    public var rpc: any RPCTransport
    /// Callers' grants from the directory, cached and dropped on change; run it with the service.
    public var grants: GrantCache

    /// Connects to NATS (and PostgreSQL when `database` is true), retrying while servers start.
    /// `schema` is the service's own PostgreSQL schema (nil: no database).
    public static func connect(config: VecheConfig, name: String, schema: String?) async throws -> ServiceEnvironment {
        var logger = Logger(label: "veche.\(name)")
        logger.logLevel = config.logLevel
        // The instance id in the connection name tells instances apart in the servers' /connz.
        let nats = try await NatsConnection.connect(url: config.natsURL, name: "\(name) \(config.instanceID)", logger: logger,
                                                    reconnect: config.natsReconnect,
                                                    credentials: .init(user: config.natsUser, password: config.natsPassword, caFile: config.natsCAFile))
        let js = try JetStream(connection: nats, replicas: config.jsReplicas)
        var pool: PGPool?
        if let schema { pool = try await PGPool(conninfo: config.postgres, size: config.dbPoolSize, schema: schema, logger: logger) }
        let verifier = TokenVerifier(settings: config.oidc, logger: logger)
        let credentials = config.oidc.clientID.isEmpty ? nil : ClientCredentials(endpoint: TokenEndpoint(settings: config.oidc))
        let rpc: any RPCTransport
        if let credentials {
            rpc = CredentialedTransport(base: nats, bearer: { try await credentials.token() })
        } else {
            rpc = nats
        }
        let grants = GrantCache(source: DirectoryGrantSource(transport: rpc), nats: nats, logger: logger)
        // Best effort, so the first calls do not pay for it: the provider's keys and this process's own token.
        do { try await verifier.refresh() } catch { logger.notice("provider keys not loaded yet; loaded on the first call") }
        if let credentials { _ = try? await credentials.token() }
        return ServiceEnvironment(config: config, logger: logger, nats: nats, jetStream: js, pool: pool, verifier: verifier,
                                  credentials: credentials, rpc: rpc, grants: grants)
    }

    /// The standard authenticator: tokens verified here, grants from the directory (cached).
    public var authenticator: TokenAuthenticator { TokenAuthenticator(verifier: verifier, grants: grants) }

    /// The service's RPC host with the platform's defaults from `config` (concurrency, queue bound,
    /// default deadline), callers authenticated by `authenticator` (default: the standard one) and, for a
    /// service with a database, idempotency keys on its mutating endpoints.
    /// `services` are the host and the key store (which deletes expired keys); run both.
    public func rpcHost(info: NatsServiceHost.Info, endpoints: [RPCEndpoint],
                        authenticator: (any RPCAuthenticator)? = nil) -> (host: NatsServiceHost, services: [any Service]) {
        var services: [any Service] = []
        var interceptors: [any RPCInterceptor] = []
        if let pool {
            let store = IdempotencyStore(pool: pool, ttl: config.idempotencyTTL, logger: logger)
            interceptors.append(IdempotencyInterceptor(store: store))
            services.append(store)
        }
        let host = NatsServiceHost(info: info, endpoints: endpoints, connection: nats, authenticator: authenticator ?? self.authenticator,
                                   logger: logger, instanceID: config.instanceID,
                                   concurrency: config.handlerConcurrency, queueCapacity: config.handlerQueue,
                                   defaultDeadline: config.defaultDeadline, interceptors: interceptors)
        return (host, [host] + services)
    }

    /// The `/metrics` listener when `VECHE_METRICS_PORT` is set.
    public var metricsServer: MetricsServer? {
        config.metricsPort.map { MetricsServer(port: $0, logger: logger) }
    }

    public func requirePool() throws -> PGPool {
        guard let pool else { throw RPCError.internalError("service started without a database") }
        return pool
    }

    public func close() {
        pool?.close()
        nats.close()
    }
}

/// JetStream streams, declared once. Every service ensures the streams it touches (idempotent).
public enum Streams {
    public static let intake = JetStream.StreamSpec(name: Subjects.Intake.stream, subjects: [Subjects.Intake.wildcard], duplicateWindow: .seconds(3600))
    public static let mentions = JetStream.StreamSpec(name: Subjects.Mentions.stream, subjects: [Subjects.Mentions.wildcard], duplicateWindow: .seconds(3600))
    public static let appealEvents = JetStream.StreamSpec(name: Subjects.AppealEvents.stream, subjects: [Subjects.AppealEvents.wildcard], duplicateWindow: .seconds(600))
    /// Notifications for messenger bridges: kept a week for a bridge that is down (de-duplicated by outbox id).
    public static let notifications = JetStream.StreamSpec(name: Subjects.Notifications.stream, subjects: [Subjects.Notifications.wildcard],
                                                           maxAge: .seconds(7 * 86_400), duplicateWindow: .seconds(3600))
    public static let surveyBatches = JetStream.StreamSpec(name: Subjects.SurveyBatches.stream, subjects: [Subjects.SurveyBatches.wildcard], duplicateWindow: .seconds(3600))
}

/// The lifecycle every service's `main` shares: setup, running its services until a signal, shutdown and exit.
public enum VecheProcess {
    /// The body of every service's `main`: config from the environment, logging, connections,
    /// `build` (migrations happen there), then run until SIGTERM — or stop after building with `migrateOnly`.
    public static func serve(name: String, schema: String?, migrateOnly: Bool,
                             _ build: (ServiceEnvironment) async throws -> [any Service]) async throws {
        let config = try VecheConfig()
        VecheLogging.bootstrap(config, process: name)
        VecheMetrics.bootstrap()
        let env = try await ServiceEnvironment.connect(config: config, name: name, schema: schema)
        await runToEnd(name, logger: env.logger, close: env.close) {
            let services = try await build(env)
            if migrateOnly { return }
            // First in the group, so it stops last: spans of the final requests are still exported.
            let tracing = VecheTracing.bootstrap(serviceName: name, logger: env.logger)
            try await run((tracing.map { [$0] } ?? []) + services + (env.metricsServer.map { [$0] } ?? []), logger: env.logger)
        }
    }

    /// Runs `body` (a process's services until they stop), then `close`s its connections and ends the
    /// process with `end`: code 0 after a clean stop, 1 after an error (logged).
    public static func runToEnd(_ process: String, logger: Logger, close: () -> Void, _ body: () async throws -> Void) async -> Never {
        do {
            try await body()
        } catch {
            close()
            logger.critical("\(process) stopped: \(error)")
            end(code: 1)
        }
        close()
        end(code: 0)
    }

    /// Ends the process once its services have stopped and its connections are closed, with `_exit`.
    /// A normal `exit` runs the C libraries' exit handlers — OpenSSL's `OPENSSL_cleanup`, pulled in by
    /// libcurl (URLSession) and libpq — which free OpenSSL's global locks while threads the process does not
    /// own (URLSession's dispatch workers) may still be using them: appeal-service died with SIGSEGV in
    /// `pthread_rwlock_rdlock(NULL)` after a clean shutdown in CI. Everything durable is committed by then and
    /// log lines are written unbuffered; C stdio buffers are flushed here.
    public static func end(code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// Runs services until SIGTERM/SIGINT, then shuts them down gracefully in reverse order.
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
