import Foundation

/// One schema change of a service, applied once in version order (see `Migrator`).
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
                try conn.unsafeExecute("CREATE SCHEMA \(quoted)")
            }
            try conn.unsafeExecute("""
                CREATE TABLE IF NOT EXISTS \(quoted).schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let done = Set(try conn.unsafeExecute("SELECT version FROM \(quoted).schema_migrations").rows.map { Int($0.int("version")) })
            var applied: [Int] = []
            for m in ordered where !done.contains(m.version) {
                try conn.unsafeExecute("SET LOCAL search_path TO \(quoted), public")
                try conn.unsafeExecute(m.sql)
                try conn.query("INSERT INTO \(identifier: schema).schema_migrations (version, name) VALUES (\(m.version), \(m.name))")
                applied.append(m.version)
            }
            return applied
        }
    }
}
