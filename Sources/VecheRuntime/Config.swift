import Foundation
import Logging
import VecheAuth

/// Process configuration, read from the environment (12-factor; compose/ sets these).
public struct VecheConfig: Sendable {
    /// One NATS URL, or a comma-separated list of a cluster's nodes (`VECHE_NATS_URL`).
    public var natsURL: String
    /// Reconnect settings for losing a NATS server (`VECHE_NATS_RECONNECT_*`).
    public var natsReconnect: NatsReconnectPolicy
    /// Replicas of the JetStream streams and durable consumers this process creates
    /// (`VECHE_JS_REPLICAS`: 1 on a single server, 3 on a three-node cluster).
    public var jsReplicas: Int
    /// libpq connection string; a multi-host one (`host=a,b port=p,q target_session_attrs=read-write`)
    /// lets every new connection find the current primary after a failover.
    public var postgres: String
    public var httpHost: String
    public var httpPort: Int
    public var logLevel: Logger.Level
    public var timeZone: String
    public var instanceID: String
    public var dbPoolSize: Int
    public var handlerConcurrency: Int
    /// This process's NATS user (one per service, the gateway, each integrating system and survey team);
    /// nats-server grants it only the subjects it needs (`BusPermissions`).
    public var natsUser: String
    public var natsPassword: String
    /// CA bundle for `tls://` NATS URLs (production); empty = plain TCP on loopback.
    public var natsCAFile: String
    /// Identity provider settings and this process's own client credentials.
    public var oidc: OIDCSettings

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        natsURL = env["VECHE_NATS_URL"] ?? "nats://127.0.0.1:4222"
        natsReconnect = NatsReconnectPolicy(environment: env)
        jsReplicas = min(5, max(1, Int(env["VECHE_JS_REPLICAS"] ?? "") ?? 1))
        natsUser = env["VECHE_NATS_USER"] ?? ""
        natsPassword = env["VECHE_NATS_PASSWORD"] ?? env["VECHE_NATS_PASSWORD_FILE"].flatMap(Self.readSecret) ?? ""
        natsCAFile = env["VECHE_NATS_CA_FILE"] ?? ""
        oidc = OIDCSettings(environment: env)
        postgres = env["VECHE_POSTGRES"] ?? "host=127.0.0.1 port=5432 dbname=veche user=postgres"
        httpHost = env["VECHE_HTTP_HOST"] ?? "127.0.0.1"
        httpPort = Int(env["VECHE_HTTP_PORT"] ?? "") ?? 8080
        logLevel = Logger.Level(rawValue: (env["VECHE_LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        timeZone = env["VECHE_TIMEZONE"] ?? "Europe/Moscow"
        instanceID = env["VECHE_INSTANCE_ID"] ?? NUID.next()
        dbPoolSize = Int(env["VECHE_DB_POOL"] ?? "") ?? 4
        handlerConcurrency = Int(env["VECHE_HANDLER_CONCURRENCY"] ?? "") ?? 64
    }

    /// A secret kept in a file (first line, whitespace trimmed); nil when unreadable.
    public static func readSecret(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

public enum VecheLogging {
    /// Bootstraps swift-log once per process (stderr, level from config).
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

/// Random 22-character identifiers (NATS NUID alphabet), for service instance ids and inbox tokens.
public enum NUID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    public static func next(length: Int = 22) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }
}
