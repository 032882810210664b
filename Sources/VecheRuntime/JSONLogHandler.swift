import Foundation
import Logging
import Synchronization

/// One JSON object per line on stderr (`VECHE_LOG_FORMAT=json`): `ts` (RFC 3339, milliseconds, UTC),
/// `level`, `service`, `instance`, `logger`, `msg`, then the metadata (`request-id`, `appeal`, `error`, …)
/// as string fields. Log lines never carry personal data: handlers log ids and reasons, not texts, names,
/// e-mails or phones (Tests/python/test_logs.py checks a full run).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let service: String
    let instance: String

    public init(label: String, service: String, instance: String) {
        self.label = label
        self.service = service
        self.instance = instance
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var fields: [String: String] = [:]
        let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(explicit ?? [:]) { $1 }
        for (key, value) in merged { fields[key] = "\(value)" }
        fields["ts"] = Self.timestamp(Date())
        fields["level"] = level.rawValue
        fields["service"] = service
        fields["instance"] = instance
        fields["logger"] = label
        fields["msg"] = message.description
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.output.withLock { _ in FileHandle.standardError.write(data) }
    }

    /// Serialises writes so concurrent lines never interleave.
    private static let output = Mutex(())

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }
}
