import Foundation
import Logging
import VecheAuth

/// A configuration value that cannot be used; the process refuses to start with it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public var description: String { "invalid configuration: " + problems.joined(separator: "; ") }
}

/// Process configuration, read and validated once from the environment (12-factor; compose/ sets these).
public struct VecheConfig: Sendable {
    /// The region's time zone when `VECHE_TIMEZONE` is not set (the demo region, Курская область).
    public static let defaultTimeZoneIdentifier = "Europe/Moscow"

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
    /// The gateway's public origin without a trailing slash (`VECHE_PUBLIC_URL`, default
    /// `http://127.0.0.1:$VECHE_HTTP_PORT`): the sign-in redirect, the same-origin check, links in notifications.
    public var publicURL: String
    public var logLevel: Logger.Level
    /// `VECHE_LOG_FORMAT`: text (default) or json.
    public var logFormat: VecheLogging.Format
    /// The one time zone of the region (`VECHE_TIMEZONE`, an IANA name): deadlines, periods, appeal numbers,
    /// dates shown to people. Validated at start-up.
    public var timeZone: TimeZone
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
    /// Requests that may wait for a handler before further ones are answered 429 (`VECHE_HANDLER_QUEUE`).
    public var handlerQueue: Int
    /// Deadline of a request that carries none (`VECHE_DEFAULT_DEADLINE_MS`).
    public var defaultDeadline: Duration
    /// How long idempotency keys are remembered (`VECHE_IDEMPOTENCY_TTL_HOURS`, default 24).
    public var idempotencyTTL: Duration
    /// Loopback port of this process's Prometheus `/metrics` listener (`VECHE_METRICS_PORT`; nil: none).
    public var metricsPort: Int?

    /// Reads `VECHE_*` variables; unknown time zones and malformed numbers are reported together.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        var problems: [String] = []
        self.init(parsing: env, problems: &problems)
        if !problems.isEmpty { throw ConfigError(problems: problems) }
    }

    /// The configuration with every default (no environment).
    public static var defaults: VecheConfig {
        var ignored: [String] = []
        return VecheConfig(parsing: [:], problems: &ignored)
    }

    private init(parsing env: [String: String], problems: inout [String]) {
        func int(_ name: String, _ fallback: Int, min: Int = 1) -> Int {
            guard let raw = env[name], !raw.isEmpty else { return fallback }
            guard let v = Int(raw), v >= min else {
                problems.append("\(name)='\(raw)' must be an integer ≥ \(min)")
                return fallback
            }
            return v
        }
        natsURL = env["VECHE_NATS_URL"] ?? "nats://127.0.0.1:4222"
        natsReconnect = NatsReconnectPolicy(environment: env)
        jsReplicas = min(5, max(1, Int(env["VECHE_JS_REPLICAS"] ?? "") ?? 1))
        natsUser = env["VECHE_NATS_USER"] ?? ""
        natsPassword = env["VECHE_NATS_PASSWORD"] ?? env["VECHE_NATS_PASSWORD_FILE"].flatMap(Self.readSecret) ?? ""
        natsCAFile = env["VECHE_NATS_CA_FILE"] ?? ""
        oidc = OIDCSettings(environment: env)
        postgres = env["VECHE_POSTGRES"] ?? "host=127.0.0.1 port=5432 dbname=veche user=postgres"
        httpHost = env["VECHE_HTTP_HOST"] ?? "127.0.0.1"
        httpPort = int("VECHE_HTTP_PORT", 8080, min: 0)
        publicURL = (env["VECHE_PUBLIC_URL"] ?? "http://127.0.0.1:\(httpPort)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let level = (env["VECHE_LOG_LEVEL"] ?? "info").lowercased()
        logLevel = Logger.Level(rawValue: level) ?? .info
        if Logger.Level(rawValue: level) == nil {
            problems.append("VECHE_LOG_LEVEL='\(level)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let format = (env["VECHE_LOG_FORMAT"] ?? "text").lowercased()
        logFormat = VecheLogging.Format(rawValue: format) ?? .text
        if VecheLogging.Format(rawValue: format) == nil {
            problems.append("VECHE_LOG_FORMAT='\(format)' is not one of \(VecheLogging.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let zone = env["VECHE_TIMEZONE"] ?? Self.defaultTimeZoneIdentifier
        if let tz = TimeZone(identifier: zone) {
            timeZone = tz
        } else {
            problems.append("VECHE_TIMEZONE='\(zone)' is not an IANA time zone name (e.g. Europe/Moscow, Asia/Yekaterinburg)")
            timeZone = Self.defaultTimeZone
        }
        instanceID = env["VECHE_INSTANCE_ID"] ?? NUID.next()
        dbPoolSize = int("VECHE_DB_POOL", 4)
        handlerConcurrency = int("VECHE_HANDLER_CONCURRENCY", 64)
        handlerQueue = int("VECHE_HANDLER_QUEUE", 256)
        defaultDeadline = .milliseconds(int("VECHE_DEFAULT_DEADLINE_MS", 10_000))
        idempotencyTTL = .seconds(3600 * int("VECHE_IDEMPOTENCY_TTL_HOURS", 24))
        metricsPort = env["VECHE_METRICS_PORT"].map { _ in int("VECHE_METRICS_PORT", 0, min: 1) }.flatMap { $0 > 0 ? $0 : nil }
    }

    static var defaultTimeZone: TimeZone {
        TimeZone(identifier: defaultTimeZoneIdentifier) ?? TimeZone(secondsFromGMT: 3 * 3600) ?? .gmt
    }

    /// A secret kept in a file (first line, whitespace trimmed); nil when unreadable.
    public static func readSecret(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

/// Process-wide logging set-up (swift-log to stderr).
public enum VecheLogging {
    /// How log lines are written (`VECHE_LOG_FORMAT`).
    public enum Format: String, Sendable, CaseIterable {
        /// swift-log's human-readable lines.
        case text
        /// One JSON object per line (`JSONLogHandler`), for log collectors.
        case json
    }

    /// Bootstraps swift-log once per process (stderr, level and format from config; `process` names the
    /// service in JSON lines). Every line logged while a span is current carries its `trace_id` and `span_id`.
    public static func bootstrap(_ config: VecheConfig, process: String) {
        LoggingSystem.bootstrap({ label, provider in
            switch config.logFormat {
            case .text:
                var h = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                h.logLevel = config.logLevel
                return h
            case .json:
                var h = JSONLogHandler(label: label, service: process, instance: config.instanceID)
                h.metadataProvider = provider
                h.logLevel = config.logLevel
                return h
            }
        }, metadataProvider: VecheTracing.loggingMetadataProvider)
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
