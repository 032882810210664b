import CPQ
import Contracts
import Foundation
import Logging
import Synchronization

// MARK: - SQL built by interpolation into binds

/// A value that can be sent as a text-format bind parameter.
public protocol PGBindable: Sendable {
    var pgText: String? { get }
}

extension String: PGBindable { public var pgText: String? { self } }
extension Substring: PGBindable { public var pgText: String? { String(self) } }
extension Int: PGBindable { public var pgText: String? { String(self) } }
extension Int32: PGBindable { public var pgText: String? { String(self) } }
extension Int64: PGBindable { public var pgText: String? { String(self) } }
extension Double: PGBindable { public var pgText: String? { isFinite ? String(self) : nil } }
extension Bool: PGBindable { public var pgText: String? { self ? "t" : "f" } }
extension UUID: PGBindable { public var pgText: String? { uuidString.lowercased() } }
extension Date: PGBindable { public var pgText: String? { PGTime.format(self) } }
extension Optional: PGBindable where Wrapped: PGBindable { public var pgText: String? { self?.pgText } }
extension Array: PGBindable where Element: PGBindable {
    /// A PostgreSQL array literal; use with an explicit cast, e.g. `= ANY(\(ids)::text[])`.
    public var pgText: String? {
        "{" + map { v -> String in
            guard let t = v.pgText else { return "NULL" }
            return "\"" + t.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

/// SQL text with `$n` placeholders and their binds. Values interpolated with `\(x)` always become binds;
/// only `\(identifier:)` (quoted) and another `SQL` fragment (its binds renumbered) splice text.
public struct SQL: ExpressibleByStringInterpolation, Sendable, CustomStringConvertible {
    public var text: String
    public var binds: [String?]

    public init(stringLiteral value: String) {
        text = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [String?] = []
        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        public mutating func appendInterpolation<T: PGBindable>(_ value: T) {
            binds.append(value.pgText)
            text += "$\(binds.count)"
        }
        /// NULL when nil.
        public mutating func appendInterpolation<T: PGBindable>(_ value: T?) {
            binds.append(value?.pgText)
            text += "$\(binds.count)"
        }
        public mutating func appendInterpolation(identifier: String) {
            text += SQL.quoteIdentifier(identifier)
        }
        /// Splices another SQL fragment, renumbering its binds.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += SQL.renumber(fragment.text, offset: binds.count)
            binds += fragment.binds
        }
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var out = lhs
        out.text += renumber(rhs.text, offset: lhs.binds.count)
        out.binds += rhs.binds
        return out
    }

    static func renumber(_ text: String, offset: Int) -> String {
        guard offset > 0, text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "$" {
                var j = text.index(after: i)
                var digits = ""
                while j < text.endIndex, let d = text[j].wholeNumberValue, text[j].isASCII { digits.append(String(d)); j = text.index(after: j) }
                if let n = Int(digits) { out += "$\(n + offset)"; i = j; continue }
            }
            out.append(c)
            i = text.index(after: i)
        }
        return out
    }

    /// A double-quoted SQL identifier (embedded quotes doubled).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Joins fragments with a separator (e.g. " AND ").
    public static func join(_ parts: [SQL], separator: String) -> SQL {
        guard var out = parts.first else { return "" }
        for p in parts.dropFirst() { out = out + SQL(stringLiteral: separator) + p }
        return out
    }

    /// The statement text only; bind values are never printed (they may hold personal data).
    public var description: String { text }
}

// MARK: - Errors

/// A database error. `description` is redacted: SQLSTATE and the server's primary message, no bind values.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public var sqlState: String
    public var message: String
    public var detail: String
    public var constraint: String

    public var description: String { "PostgreSQL error \(sqlState): \(message)" }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isConnectionFailure: Bool { sqlState.hasPrefix("08") || sqlState.isEmpty }

    /// Maps well-known SQLSTATE classes to RPC status codes; nil for internal errors.
    public var rpcError: RPCError? {
        switch sqlState {
        case "23505": return .alreadyExists("duplicate value violates \(constraint.isEmpty ? "a unique constraint" : constraint)")
        case "23503": return .failedPrecondition("referenced row does not exist (\(constraint))")
        case "23514", "22P02", "22007", "22008", "22003", "22021": return .invalidArgument(message)
        case "40001", "40P01": return .unavailable("transaction conflict, retry")
        default: return isConnectionFailure ? .unavailable("database unavailable") : nil
        }
    }
}

// MARK: - Rows

/// One result row, copied out of libpq (Sendable; the PGresult is already cleared).
public struct PGRow: Sendable {
    let values: [String?]
    let columns: [String: Int]

    public subscript(_ name: String) -> String? {
        guard let i = columns[name], i < values.count else { return nil }
        return values[i]
    }

    public func string(_ name: String) -> String { self[name] ?? "" }
    public func int(_ name: String) -> Int64 { self[name].flatMap { Int64($0) } ?? 0 }
    public func int32(_ name: String) -> Int32 { self[name].flatMap { Int32($0) } ?? 0 }
    public func double(_ name: String) -> Double { self[name].flatMap { Double($0) } ?? 0 }
    public func bool(_ name: String) -> Bool { self[name] == "t" }
    public func date(_ name: String) -> Date? { self[name].flatMap(PGTime.parse) }
    /// timestamptz as Unix epoch milliseconds, 0 when NULL.
    public func epochMs(_ name: String) -> Int64 { date(name).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }
    public func isNull(_ name: String) -> Bool { self[name] == nil }
    /// A text[] column.
    public func stringArray(_ name: String) -> [String] { PGArray.parse(self[name] ?? "") }
}

public struct PGResult: Sendable {
    public var rows: [PGRow]
    public var affectedRows: Int
    public var first: PGRow? { rows.first }
}

public enum PGTime {
    /// Text form of a timestamptz bind.
    public static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    /// Parses PostgreSQL's ISO output "2026-11-23 16:11:30.123456+00" (session TimeZone=UTC).
    public static func parse(_ s: String) -> Date? {
        let u = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= u.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2) else { return nil }
        var i = 19
        var frac = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 { frac += Double(u[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offsetSeconds = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            let oh = num(i + 1, 2) ?? 0
            let om = (i + 3 < u.count && u[i + 3] == UInt8(ascii: ":")) ? (num(i + 4, 2) ?? 0) : 0
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        let days = daysFromCivil(y, mo, d)
        let secs = Double(days * 86400 + h * 3600 + mi * 60 + se - offsetSeconds) + frac
        return Date(timeIntervalSince1970: secs)
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

public enum PGArray {
    /// Parses a one-dimensional text array literal like {a,"b c",NULL}.
    public static func parse(_ s: String) -> [String] {
        guard s.count >= 2, s.first == "{", s.last == "}" else { return [] }
        let body = Array(s.dropFirst().dropLast())
        var out: [String] = []
        var cur = ""
        var quoted = false
        var wasQuoted = false
        var i = 0
        while i < body.count {
            let c = body[i]
            if quoted {
                if c == "\\", i + 1 < body.count { cur.append(body[i + 1]); i += 2; continue }
                if c == "\"" { quoted = false } else { cur.append(c) }
            } else if c == "\"" {
                quoted = true; wasQuoted = true
            } else if c == "," {
                if wasQuoted || cur != "NULL" { out.append(cur) }
                cur = ""; wasQuoted = false
            } else {
                cur.append(c)
            }
            i += 1
        }
        if !body.isEmpty, wasQuoted || cur != "NULL" { out.append(cur) }
        return out
    }
}

// MARK: - Connection (used only on its pool thread)

public final class PGConnection {
    private(set) var conn: OpaquePointer?
    let conninfo: String
    let logger: Logger
    let schema: String?
    private var noticeBox: Unmanaged<NoticeBox>?

    init(conninfo: String, schema: String?, logger: Logger) throws {
        self.conninfo = conninfo
        self.logger = logger
        self.schema = schema
        try connect()
    }

    deinit {
        if let conn { PQfinish(conn) }
        noticeBox?.release()
    }

    private func connect() throws {
        if let conn { PQfinish(conn) }
        guard let c = PQconnectdb(conninfo) else { throw PGError(sqlState: "08000", message: "out of memory", detail: "", constraint: "") }
        conn = c
        guard PQstatus(c) == CONNECTION_OK else {
            let msg = PQerrorMessage(c).map { String(cString: $0) } ?? "connection failed"
            throw PGError(sqlState: "08001", message: msg.trimmingCharacters(in: .whitespacesAndNewlines), detail: "", constraint: "")
        }
        noticeBox?.release()
        let box = Unmanaged.passRetained(NoticeBox(logger: logger))
        noticeBox = box
        PQsetNoticeProcessor(c, { ctx, message in
            guard let ctx, let message else { return }
            let box = Unmanaged<NoticeBox>.fromOpaque(ctx).takeUnretainedValue()
            box.logger.debug("postgres notice", metadata: ["notice": "\(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))"])
        }, box.toOpaque())
        _ = try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        if let schema {
            // The service's own schema first; created by its migrations.
            _ = try execute("SET search_path TO \(SQL.quoteIdentifier(schema)), public")
        }
    }

    /// Reconnects if the server dropped the connection.
    func ensureHealthy() throws {
        if let conn, PQstatus(conn) == CONNECTION_OK { return }
        try connect()
    }

    /// Runs one parameterised statement.
    @discardableResult
    public func query(_ sql: SQL) throws -> PGResult {
        guard let conn else { throw PGError(sqlState: "08003", message: "no connection", detail: "", constraint: "") }
        // libpq takes binds as C strings: a NUL would silently cut the value. Refuse it (PostgreSQL's own code).
        if sql.binds.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PGError(sqlState: "22021", message: "text contains a NUL character (U+0000), which cannot be stored", detail: "", constraint: "")
        }
        let count = sql.binds.count
        var cStrings: [UnsafeMutablePointer<CChar>?] = sql.binds.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let res: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: count) { params in
                PQexecParams(conn, sql.text, Int32(count), nil, params, nil, nil, 0)
            }
        }
        return try consume(res)
    }

    /// Runs statements without binds (migrations, session settings). Never pass user input here.
    @discardableResult
    public func execute(_ trustedSQL: String) throws -> PGResult {
        guard let conn else { throw PGError(sqlState: "08003", message: "no connection", detail: "", constraint: "") }
        return try consume(PQexec(conn, trustedSQL))
    }

    /// COPY ... FROM STDIN with text-format rows (tab separated, \N for NULL; values escaped here).
    public func copyIn(_ copySQL: String, rows: [[String?]]) throws {
        guard let conn else { throw PGError(sqlState: "08003", message: "no connection", detail: "", constraint: "") }
        _ = try consume(PQexec(conn, copySQL), allowCopyIn: true)
        var buffer = ""
        func flush() throws {
            guard !buffer.isEmpty else { return }
            let ok = buffer.withCString { PQputCopyData(conn, $0, Int32(strlen($0))) }
            buffer.removeAll(keepingCapacity: true)
            if ok != 1 { throw lastError("COPY data") }
        }
        for row in rows {
            if row.contains(where: { $0?.utf8.contains(0) == true }) {
                _ = PQputCopyEnd(conn, "row contains a NUL character")
                while let r = PQgetResult(conn) { PQclear(r) }
                throw PGError(sqlState: "22021", message: "text contains a NUL character (U+0000), which cannot be stored", detail: "", constraint: "")
            }
            buffer += row.map { $0.map(PGConnection.copyEscape) ?? "\\N" }.joined(separator: "\t")
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 { try flush() }
        }
        try flush()
        guard PQputCopyEnd(conn, nil) == 1 else { throw lastError("COPY end") }
        _ = try consume(PQgetResult(conn))
        while let extra = PQgetResult(conn) { PQclear(extra) }
    }

    static func copyEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private func lastError(_ what: String) -> PGError {
        let msg = conn.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? what
        return PGError(sqlState: "08000", message: msg.trimmingCharacters(in: .whitespacesAndNewlines), detail: "", constraint: "")
    }

    private func consume(_ res: OpaquePointer?, allowCopyIn: Bool = false) throws -> PGResult {
        guard let res else { throw lastError("no result") }
        defer { if !(allowCopyIn && PQresultStatus(res) == PGRES_COPY_IN) { PQclear(res) } }
        let status = PQresultStatus(res)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            break
        case PGRES_COPY_IN where allowCopyIn:
            PQclear(res)
            return PGResult(rows: [], affectedRows: 0)
        default:
            func field(_ code: Int32) -> String {
                PQresultErrorField(res, code).map { String(cString: $0) } ?? ""
            }
            let code = Int32(UInt8(ascii: "C")), primary = Int32(UInt8(ascii: "M")), detail = Int32(UInt8(ascii: "D")), constraint = Int32(UInt8(ascii: "n"))
            var message = field(primary)
            if message.isEmpty { message = PQresultErrorMessage(res).map { String(cString: $0) } ?? "unknown error" }
            throw PGError(sqlState: field(code), message: message, detail: field(detail), constraint: field(constraint))
        }
        let nRows = Int(PQntuples(res)), nCols = Int(PQnfields(res))
        var columns: [String: Int] = [:]
        for c in 0..<nCols {
            if let n = PQfname(res, Int32(c)) { columns[String(cString: n)] = c }
        }
        var rows: [PGRow] = []
        rows.reserveCapacity(nRows)
        for r in 0..<nRows {
            var values: [String?] = []
            values.reserveCapacity(nCols)
            for c in 0..<nCols {
                if PQgetisnull(res, Int32(r), Int32(c)) == 1 {
                    values.append(nil)
                } else if let v = PQgetvalue(res, Int32(r), Int32(c)) {
                    values.append(String(cString: v))
                } else {
                    values.append(nil)
                }
            }
            rows.append(PGRow(values: values, columns: columns))
        }
        let affected = PQcmdTuples(res).map { Int(String(cString: $0)) ?? 0 } ?? 0
        return PGResult(rows: rows, affectedRows: affected)
    }
}

final class NoticeBox {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

extension Optional where Wrapped == UnsafeMutablePointer<UnsafePointer<CChar>?> {
    fileprivate func withMemoryRebound<R>(to: UnsafePointer<CChar>?.Type, capacity: Int, _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        body(self.map { UnsafePointer($0) })
    }
}

extension Optional where Wrapped == UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
    fileprivate func withMemoryRebound<R>(to: UnsafePointer<CChar>?.Type, capacity: Int, _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        guard let p = self else { return body(nil) }
        return p.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: capacity) { body(UnsafePointer($0)) }
    }
}

// MARK: - Pool: each connection lives on its own thread

/// A fixed pool of libpq connections, each owned by a dedicated thread; work is closures run there,
/// so libpq never blocks Swift's cooperative pool.
public final class PGPool: Sendable {
    private let workers: [PGWorker]
    private let next = Atomic<Int>(0)
    public let logger: Logger

    /// Connects `size` connections, retrying while the server starts (up to `connectTimeout`).
    /// `schema`: the owning service's schema, put first on every connection's search_path.
    public init(conninfo: String, size: Int, schema: String? = nil, logger: Logger, connectTimeout: Duration = .seconds(30)) async throws {
        self.logger = logger
        var ws: [PGWorker] = []
        for i in 0..<max(1, size) {
            ws.append(try await PGWorker.start(index: i, conninfo: conninfo, schema: schema, logger: logger, connectTimeout: connectTimeout))
        }
        workers = ws
    }

    /// Runs `body` with a connection on its thread. Retries once on a dropped connection.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let w = workers[next.add(1, ordering: .relaxed).oldValue % workers.count]
        return try await w.run(body)
    }

    /// BEGIN … COMMIT around `body`; ROLLBACK when it throws.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withConnection { conn in
            try conn.execute("BEGIN")
            do {
                let v = try body(conn)
                try conn.execute("COMMIT")
                return v
            } catch {
                _ = try? conn.execute("ROLLBACK")
                throw error
            }
        }
    }

    @discardableResult
    public func query(_ sql: SQL) async throws -> PGResult {
        try await withConnection { try $0.query(sql) }
    }

    public func close() { workers.forEach { $0.stop() } }
}

final class PGWorker: @unchecked Sendable {
    private let executor: BlockingExecutor
    private var connection: PGConnection?   // touched only on the executor's single thread

    private init(executor: BlockingExecutor) { self.executor = executor }

    static func start(index: Int, conninfo: String, schema: String?, logger: Logger, connectTimeout: Duration) async throws -> PGWorker {
        let w = PGWorker(executor: BlockingExecutor(name: "pg-\(index)", threads: 1))
        let started = ContinuousClock.now
        while true {
            do {
                try await w.executor.run { w.connection = try PGConnection(conninfo: conninfo, schema: schema, logger: logger) }
                return w
            } catch {
                if ContinuousClock.now - started > connectTimeout { w.stop(); throw error }
                logger.warning("PostgreSQL not reachable yet, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await executor.run {
            guard let conn = self.connection else { throw PGError(sqlState: "08003", message: "no connection", detail: "", constraint: "") }
            do {
                try conn.ensureHealthy()
                return try body(conn)
            } catch let e as PGError where e.isConnectionFailure {
                try conn.ensureHealthy()
                return try body(conn)
            }
        }
    }

    func stop() {
        executor.submit { self.connection = nil }
        executor.shutdown()
    }
}

// MARK: - Migrations

public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
    public init(_ version: Int, _ name: String, _ sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies a service's migrations to its own schema, once, under an advisory lock, each in a transaction.
public enum Migrator {
    @discardableResult
    public static func migrate(pool: PGPool, schema: String, migrations: [Migration]) async throws -> [Int] {
        let ordered = migrations.sorted { $0.version < $1.version }
        return try await pool.transaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))")
            let quoted = SQL.quoteIdentifier(schema)
            // Deployed, the schema is created by the administrator and owned by the service's role, which
            // has no CREATE right on the database: only create it when it is really missing.
            if try conn.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)").first == nil {
                try conn.execute("CREATE SCHEMA \(quoted)")
            }
            try conn.execute("""
                CREATE TABLE IF NOT EXISTS \(quoted).schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let done = Set(try conn.execute("SELECT version FROM \(quoted).schema_migrations").rows.map { Int($0.int("version")) })
            var applied: [Int] = []
            for m in ordered where !done.contains(m.version) {
                try conn.execute("SET LOCAL search_path TO \(quoted), public")
                try conn.execute(m.sql)
                try conn.query("INSERT INTO \(identifier: schema).schema_migrations (version, name) VALUES (\(m.version), \(m.name))")
                applied.append(m.version)
            }
            return applied
        }
    }
}

/// bytea in text form (hex).
public enum PGBytes {
    public static func encode(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\"); out[1] = UInt8(ascii: "x")
        for (i, b) in bytes.enumerated() {
            out[2 + i * 2] = hex[Int(b >> 4)]
            out[3 + i * 2] = hex[Int(b & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "\\"), u[1] == UInt8(ascii: "x"), u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity((u.count - 2) / 2)
        var i = 2
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
