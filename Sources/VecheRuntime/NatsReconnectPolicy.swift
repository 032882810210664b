import CNATS
import Foundation
import Logging

/// How a NATS connection rides through the loss of its server, e.g. one node of a cluster: cnats
/// reconnects to another listed or gossiped server, re-subscribes, and buffers publishes made meanwhile.
public struct NatsReconnectPolicy: Sendable {
    /// Pause before trying the same server again (`VECHE_NATS_RECONNECT_WAIT_MS`, default 250).
    public var reconnectWait: Duration = .milliseconds(250)
    /// Upper bound of the random delay added to `reconnectWait`, so instances do not reconnect in step.
    public var reconnectJitter: Duration = .milliseconds(100)
    /// Reconnect attempts before the connection gives up for good; -1: never give up (a service
    /// without NATS is useless, and its supervisor would only restart it).
    public var maxReconnects: Int32 = -1
    /// Bytes of publishes buffered while disconnected (`VECHE_NATS_RECONNECT_BUFFER`, default 8 MiB);
    /// beyond that a publish fails at once instead of blocking.
    public var reconnectBufferBytes: Int32 = 8 << 20
    /// Ping interval and unanswered pings after which a silent server (a partition, not a closed
    /// socket) is treated as gone: ~10 s with the defaults.
    public var pingInterval: Duration = .seconds(5)
    public var maxPingsOut: Int32 = 2
    /// Try the servers in random order (spreads clients over a cluster), or in the listed order
    /// (`VECHE_NATS_RANDOMIZE=0`: a deployment places each instance on "its" node by listing it first).
    public var randomize = true

    public init() {}

    public init(environment env: [String: String]) {
        if let ms = env["VECHE_NATS_RECONNECT_WAIT_MS"].flatMap(Int64.init), ms >= 0 { reconnectWait = .milliseconds(ms) }
        if let bytes = env["VECHE_NATS_RECONNECT_BUFFER"].flatMap(Int32.init), bytes > 0 { reconnectBufferBytes = bytes }
        if let flag = env["VECHE_NATS_RANDOMIZE"]?.lowercased() { randomize = !["0", "false", "no"].contains(flag) }
    }

    /// Splits a comma-separated URL list ("nats://a:4222, nats://b:4222"), as `VECHE_NATS_URL` may hold
    /// for the nodes of a cluster, dropping empty entries.
    public static func serverList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Writes `servers` and these settings into cnats options.
    func apply(servers: [String], to opts: OpaquePointer) throws {
        guard !servers.isEmpty else { throw NatsError(status: NATS_INVALID_ARG, context: "no NATS server URL (VECHE_NATS_URL)") }
        var cStrings = servers.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let s = cStrings.withUnsafeMutableBufferPointer { buf -> natsStatus in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                natsOptions_SetServers(opts, $0, Int32(buf.count))
            }
        }
        guard s == NATS_OK else { throw NatsError(status: s, context: "server list \(servers)") }
        _ = natsOptions_SetNoRandomize(opts, !randomize)
        _ = natsOptions_SetMaxReconnect(opts, maxReconnects)
        _ = natsOptions_SetReconnectWait(opts, reconnectWait.wholeMilliseconds)
        _ = natsOptions_SetReconnectJitter(opts, reconnectJitter.wholeMilliseconds, reconnectJitter.wholeMilliseconds)
        _ = natsOptions_SetReconnectBufSize(opts, reconnectBufferBytes)
        _ = natsOptions_SetPingInterval(opts, pingInterval.wholeMilliseconds)
        _ = natsOptions_SetMaxPingsOut(opts, maxPingsOut)
    }
}

/// Logs the connection's disconnects and reconnects (with the server it reached), so recovery after a
/// node loss is visible in every service's log. Retained while the connection lives: released by the
/// closed callback, which cnats delivers last; or by `release()` when the connection never came up.
final class NatsConnectionEvents: @unchecked Sendable {
    let logger: Logger

    private init(logger: Logger) { self.logger = logger }

    /// Installs the callbacks on `opts` and returns the retained context.
    static func install(on opts: OpaquePointer, logger: Logger) -> UnsafeMutableRawPointer {
        let context = Unmanaged.passRetained(NatsConnectionEvents(logger: logger)).toOpaque()
        _ = natsOptions_SetDisconnectedCB(opts, { nc, closure in
            // cnats reports a deliberate close as a disconnect too.
            guard let closure, let nc, !natsConnection_IsClosed(nc) else { return }
            Unmanaged<NatsConnectionEvents>.fromOpaque(closure).takeUnretainedValue()
                .logger.warning("disconnected from NATS, reconnecting")
        }, context)
        _ = natsOptions_SetReconnectedCB(opts, { nc, closure in
            guard let closure, let nc else { return }
            var url = [CChar](repeating: 0, count: 256)
            _ = natsConnection_GetConnectedUrl(nc, &url, url.count)
            Unmanaged<NatsConnectionEvents>.fromOpaque(closure).takeUnretainedValue()
                .logger.notice("reconnected to NATS", metadata: ["url": "\(String(cString: url))"])
        }, context)
        _ = natsOptions_SetClosedCB(opts, { _, closure in
            guard let closure else { return }
            Unmanaged<NatsConnectionEvents>.fromOpaque(closure).release()
        }, context)
        return context
    }

    /// For a connection attempt that failed: cnats delivers no callbacks then.
    static func release(_ context: UnsafeMutableRawPointer) {
        Unmanaged<NatsConnectionEvents>.fromOpaque(context).release()
    }
}
