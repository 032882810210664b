import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An SMTP server's refusal or a broken session: the reply code (0 when the connection itself failed) and
/// the server's text.
public struct SMTPError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    public var message: String
    /// 4xx replies and connection trouble are worth retrying; 5xx are permanent refusals.
    public var isTransient: Bool { code == 0 || (400..<500).contains(code) }
    public var description: String { code == 0 ? "SMTP: \(message)" : "SMTP \(code): \(message)" }
}

/// One e-mail: plain UTF-8 text.
public struct MailMessage: Sendable, Hashable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    /// `Message-ID` without the angle brackets; a stable id lets receivers recognise a resent copy.
    public var messageID: String
    public var date: Date

    public init(from: String, to: [String], subject: String, body: String, messageID: String, date: Date = Date()) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.date = date
    }

    /// RFC 5322 text: RFC 2047 encoded subject, base64 body (7-bit safe on any relay), CRLF line ends.
    public var rfc5322: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        // RFC 2047: encoded words of at most 75 characters (45 UTF-8 bytes each, never splitting a character), folded.
        var words: [String] = [], chunk = ""
        for ch in subject {
            if chunk.utf8.count + String(ch).utf8.count > 45 { words.append(chunk); chunk = "" }
            chunk.append(ch)
        }
        words.append(chunk)
        let subjectWord = words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
        let body64 = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: \(subjectWord)",
            "Date: \(formatter.string(from: date))", "Message-ID: <\(messageID)>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", body64,
        ].joined(separator: "\r\n")
    }
}

/// Where and as whom to send e-mail.
public struct SMTPSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// The name given in EHLO.
    public var heloName: String
    /// Socket read / write timeout.
    public var timeoutSeconds: Int

    public init(host: String = "127.0.0.1", port: Int, heloName: String = "veche.local", timeoutSeconds: Int = 30) {
        self.host = host
        self.port = port
        self.heloName = heloName
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A plain SMTP client (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT) over a blocking socket —
/// no maintained Swift SMTP library is available here. Every call blocks: run it on a `BlockingExecutor`.
/// Meant for a relay on the same host or network (no TLS, no AUTH).
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    public init(settings: SMTPSettings) { self.settings = settings }

    /// Delivers one message in its own session. Throws `SMTPError` on any refusal or I/O failure.
    public func send(_ message: MailMessage) throws {
        let session = try SMTPSession(settings: settings)
        defer { session.close() }
        try session.expect(220)
        try session.command("EHLO \(settings.heloName)", expect: 250)
        try session.command("MAIL FROM:<\(Self.address(message.from))>", expect: 250)
        for rcpt in message.to { try session.command("RCPT TO:<\(Self.address(rcpt))>", expect: 250, 251) }
        try session.command("DATA", expect: 354)
        // Dot-stuffing: a line starting with "." gets a second one (RFC 5321 4.5.2).
        let data = message.rfc5322.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        try session.command(data + "\r\n.", expect: 250)
        try? session.command("QUIT", expect: 221)
    }

    /// The bare address of `Name <addr>` or `addr`; refuses line breaks and angle brackets (header injection).
    static func address(_ s: String) throws -> String {
        var a = s
        if let open = s.lastIndex(of: "<"), let close = s.lastIndex(of: ">"), open < close {
            a = String(s[s.index(after: open)..<close])
        }
        a = a.trimmingCharacters(in: .whitespaces)
        guard !a.isEmpty, a.contains("@"), !a.contains(where: { "\r\n<> ".contains($0) }) else {
            throw SMTPError(code: 0, message: "not an e-mail address: \(s.debugDescription)")
        }
        return a
    }
}

/// One connected socket and its reply reader.
private final class SMTPSession {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(settings: SMTPSettings) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(settings.host, String(settings.port), &hints, &res) == 0, let first = res else {
            throw SMTPError(code: 0, message: "cannot resolve \(settings.host)")
        }
        defer { freeaddrinfo(res) }
        var ai: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let a = ai, connected < 0 {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: settings.timeoutSeconds, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { connected = s } else { Glibc.close(s) }
            }
            ai = a.pointee.ai_next
        }
        guard connected >= 0 else {
            throw SMTPError(code: 0, message: "cannot connect to \(settings.host):\(settings.port): \(String(cString: strerror(errno)))")
        }
        fd = connected
    }

    func close() { Glibc.close(fd) }

    func command(_ line: String, expect codes: Int...) throws {
        let bytes = Array((line + "\r\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SMTPError(code: 0, message: "write failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        try readReply(codes)
    }

    func expect(_ codes: Int...) throws { try readReply(codes) }

    /// Reads one (possibly multi-line) reply and checks its code.
    private func readReply(_ codes: [Int]) throws {
        var text: [String] = []
        while true {
            let line = try readLine()
            text.append(String(line.dropFirst(4)))
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError(code: 0, message: "malformed reply \(line.debugDescription)") }
            // "250-..." continues, "250 ..." ends the reply.
            if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
            guard codes.contains(code) else { throw SMTPError(code: code, message: text.joined(separator: " ")) }
            return
        }
    }

    private func readLine() throws -> String {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = buffer[..<nl]
                buffer.removeFirst(nl + 1)
                return String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw SMTPError(code: 0, message: n == 0 ? "server closed the connection" : "read failed: \(String(cString: strerror(errno)))") }
            buffer += chunk[..<n]
        }
    }
}
