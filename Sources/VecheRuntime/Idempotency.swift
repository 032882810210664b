import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheAuth

/// Idempotency keys for mutating RPCs, one mechanism for every service (installed on `NatsServiceHost`
/// as an `RPCInterceptor`).
///
/// A mutating request carrying `Idempotency-Key` (HTTP header, forwarded by the gateway as the NATS header
/// of the same name) runs inside one shared database transaction (`PGPool.withSharedTransaction`):
/// * the first database use takes a transaction-scoped advisory lock on (principal, method, key) and
///   looks for a stored outcome — a concurrent duplicate waits there for the first to finish (up to its
///   deadline, at most `maxLockWait`), then gets 409 "still in progress", which is safe to retry;
/// * the handler's response (or its deterministic error: 400, 404, 409, 412, 422) is stored in the
///   **same transaction** as the handler's changes, so a retry after a lost reply or a 504 returns the first
///   outcome and never applies the change twice; transient failures (503, 504, internal) are not stored;
/// * the same key with a different request (payload or effective time differs) is refused with 422;
/// * keys expire after `ttl` (default 24 h, `VECHE_IDEMPOTENCY_TTL_HOURS`); the store is a `Service`
///   that deletes expired keys.
/// Errors raised before the handler touched the database (input validation) are not stored, so a
/// corrected request may reuse the key. Keys belong to the authenticated caller (`Principal.key`; a citizen by
/// the hash of their appeal token): one caller's key never replays another caller's outcome.
public final class IdempotencyStore: Service, Sendable {
    public let pool: PGPool
    public let ttl: Duration
    public let sweepInterval: Duration
    public let maxLockWait: Duration
    let logger: Logger

    /// Headers that change what a request does, so they are part of its fingerprint.
    public static let fingerprintHeaders = [RPCHeader.effectiveTime]
    /// Error codes that are an outcome of the request itself (stored and replayed).
    static let storedErrorCodes: Set<RPCStatusCode> = [.invalidArgument, .notFound, .alreadyExists, .failedPrecondition,
                                                       .unprocessable, .permissionDenied]
    public static let maxKeyLength = 255

    public init(pool: PGPool, ttl: Duration = .seconds(24 * 3600), sweepInterval: Duration = .seconds(600),
                maxLockWait: Duration = .seconds(10), logger: Logger) {
        self.pool = pool
        self.ttl = ttl
        self.sweepInterval = sweepInterval
        self.maxLockWait = maxLockWait
        self.logger = logger
    }

    /// The table every service with mutating RPCs adds to its own schema (as one of its migrations).
    public static let migrationSQL = """
        -- First outcome of each mutating request made with an Idempotency-Key (see IdempotencyStore).
        CREATE TABLE idempotency_keys (
            principal text NOT NULL,
            scope text NOT NULL,                  -- the RPC subject, e.g. veche.appeal.v1.Transition
            key text NOT NULL,
            fingerprint bytea NOT NULL,           -- sha256 of the request payload and fingerprint headers
            status int NOT NULL,                  -- 0: success (response holds the reply), else the RPC error code
            response bytea NOT NULL DEFAULT '\\x',
            error_message text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (principal, scope, key)
        );
        CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
        """

    /// One keyed request.
    struct Request: Sendable {
        var principal: String
        var scope: String
        var key: String
        /// Bytes whose sha256 is the fingerprint.
        var material: [UInt8]

        init(key raw: String, endpoint: RPCEndpoint, payload: [UInt8], context: RPCContext) throws {
            guard (1...IdempotencyStore.maxKeyLength).contains(raw.utf8.count), raw.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw RPCError.invalidArgument("\(RPCHeader.idempotencyKey) must be 1–\(IdempotencyStore.maxKeyLength) visible ASCII characters")
            }
            principal = context.principal?.key ?? ""
            scope = endpoint.subject
            key = raw
            material = payload
            for h in IdempotencyStore.fingerprintHeaders {
                material += [0] + Array("\(h)=\(context.metadata[h] ?? "")".utf8)
            }
        }
    }

    /// A stored outcome; thrown from inside the shared transaction to stop the handler and replay it.
    struct Stored: Error {
        var sameRequest: Bool
        var status: Int
        var response: [UInt8]
        var message: String

        init(_ row: PGRow) {
            sameRequest = row.bool("same_request")
            status = Int(row.int("status"))
            response = row.bytes("response") ?? []
            message = row.string("error_message")
        }

        func replay(_ r: Request) throws -> [UInt8] {
            guard sameRequest else {
                throw RPCError(.unprocessable, "\(RPCHeader.idempotencyKey) '\(r.key)' was already used for a different request to "
                    + "\(r.scope); send a new key with a new request")
            }
            if status == 0 { return response }
            throw RPCError(RPCStatusCode(rawValue: status), message)
        }
    }

    /// Runs `body` (the endpoint) at most once per key and returns the first outcome.
    func perform(_ r: Request, deadline: Date?, _ body: () async throws -> [UInt8]) async throws -> [UInt8] {
        // A finished request is replayed without running anything (and without waiting for a lock).
        if let stored = try await pool.withConnection({ try Self.lookup($0, r) }) { return try stored.replay(r) }
        let wait = min(maxLockWait, deadline.map { .milliseconds(max(0, Int64($0.timeIntervalSinceNow * 1000))) } ?? maxLockWait)
        let ttlSeconds = Int(ttl.components.seconds)
        do {
            return try await pool.withSharedTransaction(prepare: { conn in
                try Self.claim(conn, r, lockWait: wait)
            }, finish: { conn, outcome in
                try Self.record(conn, r, outcome: outcome, ttlSeconds: ttlSeconds)
            }, body)
        } catch let stored as Stored {
            return try stored.replay(r)
        }
    }

    static func lookup(_ conn: PGConnection, _ r: Request) throws -> Stored? {
        try conn.query("""
            SELECT status, response, error_message, fingerprint = sha256(\(PGBytes.encode(r.material))::bytea) AS same_request
            FROM idempotency_keys WHERE principal = \(r.principal) AND scope = \(r.scope) AND key = \(r.key) AND expires_at > now()
            """).first.map(Stored.init)
    }

    /// In the shared transaction, before the handler's first statement: serialise on the key, then replay
    /// a stored outcome (by throwing it) or let the handler run.
    static func claim(_ conn: PGConnection, _ r: Request, lockWait: Duration) throws {
        let ms = max(1, lockWait.wholeMilliseconds)
        try conn.query("SELECT set_config('lock_timeout', \(String(ms) + "ms"), true)")
        do {
            try conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\(r.principal + "\u{1F}" + r.scope + "\u{1F}" + r.key), 0))")
        } catch let e as PGError where e.sqlState == "55P03" {
            throw RPCError.alreadyExists("a request with \(RPCHeader.idempotencyKey) '\(r.key)' is still being processed; retry shortly")
        }
        try conn.query("SELECT set_config('lock_timeout', '0', true)")
        if let stored = try lookup(conn, r) { throw stored }
    }

    /// After the handler: stores its outcome when it is one; false rolls everything back.
    static func record(_ conn: PGConnection, _ r: Request, outcome: Result<[UInt8], any Error>, ttlSeconds: Int) throws -> Bool {
        let status: Int, response: [UInt8], message: String
        switch outcome {
        case .success(let bytes):
            (status, response, message) = (0, bytes, "")
        case .failure(let error):
            let rpc = (error as? RPCError) ?? (error as? any RPCErrorConvertible)?.rpcError
            guard let rpc, storedErrorCodes.contains(rpc.code) else { return false }
            (status, response, message) = (rpc.code.rawValue, [], rpc.message)
        }
        try conn.query("""
            INSERT INTO idempotency_keys (principal, scope, key, fingerprint, status, response, error_message, expires_at)
            VALUES (\(r.principal), \(r.scope), \(r.key), sha256(\(PGBytes.encode(r.material))::bytea), \(status),
                    \(PGBytes.encode(response))::bytea, \(message), now() + make_interval(secs => \(ttlSeconds)))
            ON CONFLICT (principal, scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
                response = EXCLUDED.response, error_message = EXCLUDED.error_message, created_at = now(), expires_at = EXCLUDED.expires_at
            """)
        return true
    }

    /// Deletes expired keys every `sweepInterval` until shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let n = try await self.pool.query("DELETE FROM idempotency_keys WHERE expires_at <= now()").affectedRows
                    if n > 0 { self.logger.info("idempotency keys expired", metadata: ["deleted": "\(n)"]) }
                } catch is CancellationError {
                    break   // shutting down
                } catch {
                    self.logger.warning("could not delete expired idempotency keys", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.sweepInterval)
            }
        }
    }
}

/// Applies `IdempotencyStore` to the mutating endpoints of a host.
public struct IdempotencyInterceptor: RPCInterceptor {
    public let store: IdempotencyStore

    public init(store: IdempotencyStore) { self.store = store }

    public func intercept(endpoint: RPCEndpoint, payload: [UInt8], context: RPCContext,
                          next: @Sendable ([UInt8], RPCContext) async throws -> [UInt8]) async throws -> [UInt8] {
        guard endpoint.isMutating, let key = context.metadata[RPCHeader.idempotencyKey] else {
            return try await next(payload, context)
        }
        let request = try IdempotencyStore.Request(key: key, endpoint: endpoint, payload: payload, context: context)
        return try await store.perform(request, deadline: context.deadline) { try await next(payload, context) }
    }
}
