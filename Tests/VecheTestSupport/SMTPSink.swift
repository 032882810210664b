import Foundation
import Contracts
import VecheRuntime

/// A real SMTP server for tests: Python's aiosmtpd (PyPI, installed by `scripts/veche test`) on a free
/// loopback port, storing every accepted message in a maildir that the test reads back.
public final class SMTPSink: @unchecked Sendable {
    public let port: Int
    public let maildir: URL
    private var process: Process?

    /// One stored message, decoded (RFC 2047 subject, base64 body).
    public struct Message: Sendable, Hashable {
        public var to: String
        public var subject: String
        public var messageID: String
        public var body: String
    }

    /// A sink that is not started yet: `port` is free now (use it to test a relay that is down), `start()` opens it.
    public init(port: Int? = nil) throws {
        self.port = try port ?? freeLoopbackPort()
        maildir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-smtp-\(NUID.next(length: 8))")
        for sub in ["new", "cur", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    /// Starts aiosmtpd and waits until it accepts connections (a start that exits early, e.g. a slow interpreter
    /// start on a loaded machine racing a port, is tried again on the same port).
    public func start() async throws {
        for _ in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", maildir.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            process = p
            for _ in 0..<400 {
                if TestCluster.portOpen(port) { return }
                guard p.isRunning else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            if p.isRunning { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw RPCError.unavailable("aiosmtpd did not start on port \(port) (pip install aiosmtpd)")
    }

    /// Kills the server (SIGKILL: a child of the test runner may inherit a blocked SIGTERM) and reaps it.
    public func stop() {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: maildir)
    }

    /// Every message delivered so far.
    public func messages() throws -> [Message] {
        let files = try FileManager.default.contentsOfDirectory(at: maildir.appendingPathComponent("new"), includingPropertiesForKeys: nil)
        return try files.map { try Self.parse(String(decoding: Data(contentsOf: $0), as: UTF8.self)) }
    }

    static func parse(_ raw: String) -> Message {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = text.components(separatedBy: "\n\n")
        var headers: [String: String] = [:]
        var last = ""
        for line in (parts.first ?? "").split(separator: "\n") {
            if line.first == " " || line.first == "\t" {   // folded continuation
                headers[last, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            last = line[..<colon].lowercased()
            headers[last] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        // Every RFC 2047 base64 word, concatenated (the whitespace between adjacent words is not part of the text).
        var subject = headers["subject"] ?? ""
        if subject.hasPrefix("=?") {
            subject = subject.split(separator: " ").map { word -> String in
                let w = String(word)
                guard w.lowercased().hasPrefix("=?utf-8?b?"), w.hasSuffix("?=") else { return w }
                return Data(base64Encoded: String(w.dropFirst(10).dropLast(2))).map { String(decoding: $0, as: UTF8.self) } ?? w
            }.joined()
        }
        let body64 = parts.dropFirst().joined(separator: "\n\n").replacingOccurrences(of: "\n", with: "")
        let body = Data(base64Encoded: body64).map { String(decoding: $0, as: UTF8.self) } ?? body64
        return Message(to: headers["to"] ?? "", subject: subject, messageID: headers["message-id"] ?? "", body: body)
    }
}
