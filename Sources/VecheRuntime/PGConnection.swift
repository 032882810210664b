import CPQ
import Foundation
import Logging

/// One libpq connection. Not thread-safe: a `PGPool` confines each connection to its own thread and
/// lends it to one caller at a time. `conninfo` may name several hosts (libpq multi-host syntax,
/// e.g. `host=db1,db2 port=5432,5432 target_session_attrs=read-write`): every (re)connect goes
/// through the whole list, so after a fail-over the connection lands on the new primary.
public final class PGConnection {
    private(set) var conn: OpaquePointer?
    let conninfo: String
    let logger: Logger
    let schema: String?
    private var noticeBox: Unmanaged<NoticeBox>?
    /// Cursors opened by `forEachRow` (their names are unique per connection).
    private var cursors = 0
    /// Statements this server session has prepared (see `PGStatementCache`).
    private var statements: PGStatementCache

    /// `statementCacheCapacity`: how many statement texts stay prepared on this connection (0: none).
    init(conninfo: String, schema: String?, logger: Logger, statementCacheCapacity: Int = 256) throws {
        self.conninfo = conninfo
        self.logger = logger
        self.schema = schema
        statements = PGStatementCache(capacity: statementCacheCapacity)
        try connect()
    }

    deinit {
        if let conn { PQfinish(conn) }
        noticeBox?.release()
    }

    private func connect() throws {
        if let conn { PQfinish(conn) }
        conn = nil
        statements = PGStatementCache(capacity: statements.capacity)   // a new session has none prepared
        guard let c = PQconnectdb(conninfo) else { throw PGError(sqlState: "08000", message: "out of memory", connectionLost: true) }
        guard PQstatus(c) == CONNECTION_OK else {
            let msg = PQerrorMessage(c).map { String(cString: $0) } ?? "connection failed"
            PQfinish(c)
            throw PGError(sqlState: "08001", message: msg.trimmingCharacters(in: .whitespacesAndNewlines), connectionLost: true)
        }
        conn = c
        noticeBox?.release()
        let box = Unmanaged.passRetained(NoticeBox(logger: logger))
        noticeBox = box
        PQsetNoticeProcessor(c, { ctx, message in
            guard let ctx, let message else { return }
            let box = Unmanaged<NoticeBox>.fromOpaque(ctx).takeUnretainedValue()
            box.logger.debug("postgres notice", metadata: ["notice": "\(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))"])
        }, box.toOpaque())
        _ = try unsafeExecute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        if let schema {
            // The service's own schema first; created by its migrations.
            _ = try unsafeExecute("SET search_path TO \(SQL.quoteIdentifier(schema)), public")
        }
    }

    /// True when the connection is usable. Reads whatever the server sent meanwhile without blocking, so a
    /// backend terminated by the server (restart, fail-over, pg_terminate_backend) is noticed before use.
    var isHealthy: Bool {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { return false }
        // A terminated backend sends its FATAL message, then closes: the first read takes the message,
        // the next one sees the end of the stream. Reads that find nothing return at once.
        for _ in 0..<3 {
            if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK { return false }
        }
        return true
    }

    /// Re-establishes the connection unless it is healthy. Only connection establishment is ever retried.
    func ensureHealthy() throws {
        if isHealthy { return }
        logger.notice("PostgreSQL connection lost, reconnecting")
        try connect()
    }

    /// True inside a BEGIN … COMMIT block.
    var inTransactionBlock: Bool {
        guard let conn else { return false }
        let s = PQtransactionStatus(conn)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// True when a statement failed inside the open transaction (only ROLLBACK is possible).
    var transactionAborted: Bool {
        guard let conn else { return false }
        return PQtransactionStatus(conn) == PQTRANS_INERROR
    }

    /// True when `s` holds a NUL byte, which libpq would take as the end of the value (memchr over the UTF-8 of a
    /// native string: batch inserts bind whole columns, and a byte-by-byte scan was 1.5 % of the intake's CPU).
    static func hasNUL(_ s: String) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { b in b.count > 0 && memchr(b.baseAddress!, 0, b.count) != nil } ?? s.utf8.contains(0)
    }

    /// Runs one parameterised statement; a statement run before on this connection runs prepared (see
    /// `PGStatementCache`; `SQL.planEachCall` opts out).
    @discardableResult
    public func query(_ sql: SQL) throws -> PGResult {
        let conn = try live()
        // libpq takes binds as C strings: a NUL would silently cut the value. Refuse it (PostgreSQL's own code).
        if sql.binds.contains(where: { $0.map(Self.hasNUL) == true }) { throw PGError.nulCharacter }
        let autocommit = !inTransactionBlock
        let name = sql.planEachCall || transactionAborted ? nil : try preparedName(sql.text, conn)
        let count = sql.binds.count
        var cStrings: [UnsafeMutablePointer<CChar>?] = sql.binds.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let res: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: count) { params in
                if let name { return PQexecPrepared(conn, name, Int32(count), params, nil, nil, 0) }
                return PQexecParams(conn, sql.text, Int32(count), nil, params, nil, nil, 0)
            }
        }
        do {
            return try consume(res, mayHaveCommitted: autocommit)
        } catch let e as PGError where name != nil && PGStatementCache.isStale(e) {
            // Refused before it ran. Prepared again next time; in autocommit nothing happened, so it runs once more
            // now (unnamed); inside a transaction the transaction is aborted and the caller decides.
            statements.forget(sql.text, refusal: e)
            guard autocommit else { throw e }
            logger.debug("prepared statement was stale, running it again", metadata: ["sqlstate": "\(e.sqlState)"])
            return try query(sql.plannedEachCall())
        }
    }

    /// The server-side name to run `text` under, preparing it now if this is its second use; nil: run it unnamed.
    private func preparedName(_ text: String, _ conn: OpaquePointer) throws -> String? {
        try deallocateEvicted()   // names forgotten while a transaction was aborted
        switch statements.use(text) {
        case .unnamed:
            return nil
        case .prepared(let name):
            return name
        case .prepare(let name):
            // A statement the server refuses to prepare would fail the same way unnamed: its error is the caller's.
            _ = try consume(PQprepare(conn, name, text, 0, nil))
            statements.didPrepare(text, name: name)
            try deallocateEvicted()   // the one beyond capacity
            return name
        }
    }

    private func deallocateEvicted() throws {
        guard !statements.evicted.isEmpty else { return }
        for old in statements.takeEvicted() {
            _ = try unsafeExecute("DEALLOCATE \(SQL.quoteIdentifier(old))")
        }
    }

    /// Number of statement texts prepared on this connection now.
    var preparedStatementCount: Int { statements.count }

    /// Rows fetched per round trip by `forEachRow` unless told otherwise.
    public static let rowsPerFetch = 10_000

    /// Runs `sql` (a query) through a cursor and hands its rows to `body` `chunk` at a time, so neither libpq nor the
    /// row copies ever hold more than one chunk of a large result. Must run inside a transaction (cursors live in one).
    public func forEachRow(_ sql: SQL, chunk: Int = PGConnection.rowsPerFetch, _ body: (PGRow) throws -> Void) throws {
        let chunk = max(1, chunk)
        cursors += 1
        let name = "veche_rows_\(cursors)"
        try query("DECLARE \(identifier: name) NO SCROLL CURSOR FOR " + sql)
        while true {
            let rows = try query("FETCH \(integer: chunk) FROM \(identifier: name)").rows
            for r in rows { try body(r) }
            if rows.count < chunk { break }
        }
        try query("CLOSE \(identifier: name)")
    }

    /// Runs statements without binds (migrations, session settings, DDL). Never pass user input here:
    /// the text goes to the server as it is.
    @discardableResult
    public func unsafeExecute(_ trustedSQL: String) throws -> PGResult {
        let conn = try live()
        let mayCommit = !inTransactionBlock || trustedSQL.uppercased().hasPrefix("COMMIT")
        return try consume(PQexec(conn, trustedSQL), mayHaveCommitted: mayCommit)
    }

    /// `COPY table (columns) FROM STDIN` with text-format rows (tab separated, \N for NULL; values escaped here).
    public func copyIn(table: String, columns: [String], rows: [[String?]]) throws {
        let conn = try live()
        let statement = "COPY \(SQL.quoteIdentifier(table)) (\(columns.map(SQL.quoteIdentifier).joined(separator: ", "))) FROM STDIN"
        let autocommit = !inTransactionBlock
        _ = try consume(PQexec(conn, statement), allowCopyIn: true)
        var buffer = ""
        func flush() throws {
            guard !buffer.isEmpty else { return }
            let ok = buffer.withCString { PQputCopyData(conn, $0, Int32(strlen($0))) }
            buffer.removeAll(keepingCapacity: true)
            if ok != 1 { throw lastError("COPY data", mayHaveCommitted: false) }
        }
        for row in rows {
            if row.contains(where: { $0.map(Self.hasNUL) == true }) {
                _ = PQputCopyEnd(conn, "row contains a NUL character")
                while let r = PQgetResult(conn) { PQclear(r) }
                throw PGError.nulCharacter
            }
            buffer += row.map { $0.map(PGConnection.copyEscape) ?? "\\N" }.joined(separator: "\t")
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 { try flush() }
        }
        try flush()
        guard PQputCopyEnd(conn, nil) == 1 else { throw lastError("COPY end", mayHaveCommitted: false) }
        _ = try consume(PQgetResult(conn), mayHaveCommitted: autocommit)
        while let extra = PQgetResult(conn) { PQclear(extra) }
    }

    private func live() throws -> OpaquePointer {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw PGError(sqlState: "08003", message: "connection is not open", connectionLost: true)
        }
        return conn
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

    /// The error after a failed call; when the connection is gone and the statement may have committed
    /// (COMMIT, or autocommit), the outcome is unknown.
    private func lastError(_ what: String, mayHaveCommitted: Bool) -> PGError {
        let msg = conn.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? what
        let lost = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PGError(sqlState: "08006", message: msg.trimmingCharacters(in: .whitespacesAndNewlines),
                       connectionLost: lost, outcomeUnknown: lost && mayHaveCommitted)
    }

    private func consume(_ res: OpaquePointer?, allowCopyIn: Bool = false, mayHaveCommitted: Bool = false) throws -> PGResult {
        guard let res else { throw lastError("no result", mayHaveCommitted: mayHaveCommitted) }
        var clearOnExit = true
        defer { if clearOnExit, !(allowCopyIn && PQresultStatus(res) == PGRES_COPY_IN) { PQclear(res) } }
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
            // A FATAL error (e.g. 57P01 terminating connection) or a dropped socket leaves the connection bad.
            let lost = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
            let state = field(code)
            throw PGError(sqlState: state.isEmpty && lost ? "08006" : state, message: message, detail: field(detail),
                          constraint: field(constraint), connectionLost: lost, outcomeUnknown: lost && mayHaveCommitted)
        }
        let affected = PQcmdTuples(res).map { Int(String(cString: $0)) ?? 0 } ?? 0
        let nRows = PQntuples(res)
        guard nRows > 0 else { return PGResult(rows: [], affectedRows: affected) }
        // The rows read the result in place and clear it when the last of them goes.
        clearOnExit = false
        let storage = PGResultStorage(taking: res)
        return PGResult(rows: (0..<nRows).map { PGRow(storage: storage, row: $0) }, affectedRows: affected)
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
