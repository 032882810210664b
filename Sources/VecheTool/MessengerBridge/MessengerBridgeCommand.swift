import ArgumentParser
import Contracts
import Foundation
import Logging
import VecheRuntime

/// `veche-tool messenger-bridge`: runs the bridge of one messenger until SIGTERM (a `Service` in a
/// `ServiceGroup`: graceful shutdown finishes the message in hand first). It connects as bus user
/// `messenger-bridge` (`VECHE_NATS_USER` / `VECHE_NATS_PASSWORD_FILE`) and reads the bot token from a file.
struct MessengerBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger-bridge",
        abstract: "Deliver notifications addressed to a messenger through its Bot API (Telegram sendMessage wire format).")

    @Option(help: "The messenger channel whose notifications to deliver (as in VECHE_NOTIFY_MESSENGERS).")
    var channel = "telegram"
    @Option(help: "Bot API base URL (default: VECHE_MESSENGER_API_URL or https://api.telegram.org).")
    var apiURL: String?
    @Option(help: "File holding the bot token (default: VECHE_MESSENGER_TOKEN_FILE).")
    var tokenFile: String?
    @Option(help: "Seconds before the first retry of a failed delivery (doubles per attempt, at most 300).")
    var retrySeconds = 5

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let base = apiURL ?? env["VECHE_MESSENGER_API_URL"] ?? "https://api.telegram.org"
        guard let url = URL(string: base), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ValidationError("--api-url must be an http(s) URL, got \(base)")
        }
        guard let path = tokenFile ?? env["VECHE_MESSENGER_TOKEN_FILE"] else { throw ValidationError("--token-file (or VECHE_MESSENGER_TOKEN_FILE) is required") }
        guard let token = VecheConfig.readSecret(path), !token.isEmpty else { throw ValidationError("no bot token in \(path)") }
        guard retrySeconds > 0 else { throw ValidationError("--retry-seconds must be positive") }
        let config = try VecheConfig()
        VecheLogging.bootstrap(config, process: "messenger-bridge")
        var logger = Logger(label: "veche.messenger-bridge")
        logger.logLevel = config.logLevel
        let nats = try await NatsConnection.connect(url: config.natsURL, name: "messenger-bridge \(channel) \(config.instanceID)", logger: logger,
                                                    reconnect: config.natsReconnect,
                                                    credentials: .init(user: config.natsUser, password: config.natsPassword, caFile: config.natsCAFile))
        await VecheProcess.runToEnd("messenger bridge", logger: logger, close: nats.close) {
            let jetStream = try JetStream(connection: nats, replicas: config.jsReplicas)
            var bridge = MessengerBridge(channel: channel.lowercased(), client: TelegramClient(baseURL: url, token: token), logger: logger)
            bridge.retryBase = .seconds(retrySeconds)
            logger.notice("messenger bridge started", metadata: ["channel": "\(bridge.channel)", "api": "\(url.host ?? base)"])
            try await VecheProcess.run([bridge.consumer(jetStream: jetStream)], logger: logger)
        }
    }
}
