import Foundation

/// Least privilege in PostgreSQL, in one place for `veche-tool db-setup` (scripts/veche, compose) and the test
/// clusters: every service logs in as its own role, which owns only its schema (no superuser, no CREATE on
/// the database, no USAGE on other schemas); migrations run as that role. The audit log lives in schema
/// `audit`, owned by a role nobody logs in as: services may only INSERT into it (and AgencyService read it
/// for the curator), so no service can rewrite or delete what it did.
public enum DatabaseRoles {
    /// A service's PostgreSQL login role and the one schema it owns.
    public struct ServiceRole: Sendable, Hashable {
        public let schema: String
        public let role: String
    }

    public static let services = [
        ServiceRole(schema: "appeal", role: "veche_appeal"),
        ServiceRole(schema: "agency", role: "veche_agency"),
        ServiceRole(schema: "rating", role: "veche_rating"),
        ServiceRole(schema: "survey", role: "veche_survey"),
    ]
    /// Owns schema `audit` (NOLOGIN).
    public static let auditOwner = "veche_audit"
    /// The one service that reads the audit log (QueryAudit, curator only).
    public static let auditReader = "veche_agency"

    public static func role(forSchema schema: String) -> String? { services.first { $0.schema == schema }?.role }

    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    static func ident(_ s: String) -> String { SQL.quoteIdentifier(s) }

    /// Creates the login roles (cluster-wide) if missing; `resetPasswords` also sets their passwords to the
    /// given ones. Safe when several test runs do it at once: serialised by an advisory lock of the database
    /// `admin` is connected to (connect to the same one, e.g. `postgres`) and tolerant of a role created meanwhile.
    public static func ensureRoles(_ admin: PGConnection, passwords: [String: String], resetPasswords: Bool) throws {
        try admin.unsafeExecute("BEGIN")
        do {
            try admin.unsafeExecute("SELECT pg_advisory_xact_lock(hashtext('veche-roles'))")
            try admin.unsafeExecute("""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(literal(auditOwner))) THEN
                    CREATE ROLE \(ident(auditOwner)) NOLOGIN;
                  END IF;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END $$
                """)
            for s in services {
                guard let pw = passwords[s.role], !pw.isEmpty else { throw PGError(sqlState: "28P01", message: "no password for \(s.role)", detail: "", constraint: "") }
                try admin.unsafeExecute("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(literal(s.role))) THEN
                        CREATE ROLE \(ident(s.role)) LOGIN PASSWORD \(literal(pw));
                      END IF;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END $$
                    """)
                try admin.unsafeExecute("ALTER ROLE \(ident(s.role)) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
                if resetPasswords { try admin.unsafeExecute("ALTER ROLE \(ident(s.role)) PASSWORD \(literal(pw))") }
            }
            try admin.unsafeExecute("COMMIT")
        } catch {
            _ = try? admin.unsafeExecute("ROLLBACK")
            throw error
        }
    }

    /// Prepares one database (connected as an administrator to it): nothing for PUBLIC, CONNECT for the service
    /// roles, one schema per service owned by its role (objects an administrator created earlier are handed
    /// over), and the audit schema.
    public static func prepareDatabase(_ admin: PGConnection, database: String) throws {
        let roles = services.map { ident($0.role) }.joined(separator: ", ")
        try admin.unsafeExecute("REVOKE ALL ON DATABASE \(ident(database)) FROM PUBLIC")
        try admin.unsafeExecute("GRANT CONNECT ON DATABASE \(ident(database)) TO \(roles)")
        try admin.unsafeExecute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        // GIN operator classes for plain types: AppealService's search index pairs the text vector with the day of
        // receipt (its migration 26). A service role may not create extensions; the administrator does, once.
        try admin.unsafeExecute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        for s in services {
            let schema = ident(s.schema), role = ident(s.role)
            try admin.unsafeExecute("CREATE SCHEMA IF NOT EXISTS \(schema) AUTHORIZATION \(role)")
            try admin.unsafeExecute("ALTER SCHEMA \(schema) OWNER TO \(role)")
            try admin.unsafeExecute("REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC")
            try admin.unsafeExecute("""
                DO $$ DECLARE r record; BEGIN
                  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = \(literal(s.schema)) AND c.relkind IN ('r', 'p', 'v', 'm')
                             AND pg_get_userbyid(c.relowner) <> \(literal(s.role)) LOOP
                    EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', \(literal(s.schema)), r.relname, \(literal(s.role)));
                  END LOOP;
                  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = \(literal(s.schema)) AND c.relkind = 'S'
                             AND pg_get_userbyid(c.relowner) <> \(literal(s.role)) LOOP
                    EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO %I', \(literal(s.schema)), r.relname, \(literal(s.role)));
                  END LOOP;
                END $$
                """)
        }
        try prepareAudit(admin, roles: roles)
    }

    static func prepareAudit(_ admin: PGConnection, roles: String) throws {
        let owner = ident(auditOwner)
        try admin.unsafeExecute("CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION \(owner)")
        try admin.unsafeExecute("SET ROLE \(owner)")
        do {
            try admin.unsafeExecute("""
                CREATE TABLE IF NOT EXISTS audit.entries (
                    id bigserial PRIMARY KEY,
                    at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    service text NOT NULL,
                    actor text NOT NULL,
                    client_id text NOT NULL DEFAULT '',
                    source text NOT NULL DEFAULT '',
                    action text NOT NULL,
                    appeal_id uuid,
                    target text NOT NULL DEFAULT '',
                    detail text NOT NULL DEFAULT ''
                );
                CREATE INDEX IF NOT EXISTS entries_appeal_idx ON audit.entries (appeal_id, id) WHERE appeal_id IS NOT NULL;
                CREATE INDEX IF NOT EXISTS entries_actor_idx ON audit.entries (actor, id);
                CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
                END $$;
                CREATE OR REPLACE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON audit.entries
                    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
                REVOKE ALL ON SCHEMA audit FROM PUBLIC;
                REVOKE ALL ON audit.entries FROM PUBLIC;
                REVOKE ALL ON FUNCTION audit.refuse_change() FROM PUBLIC;
                """)
            try admin.unsafeExecute("RESET ROLE")
        } catch {
            _ = try? admin.unsafeExecute("RESET ROLE")
            throw error
        }
        try admin.unsafeExecute("GRANT USAGE ON SCHEMA audit TO \(roles)")
        try admin.unsafeExecute("GRANT INSERT ON audit.entries TO \(roles)")
        try admin.unsafeExecute("GRANT USAGE ON SEQUENCE audit.entries_id_seq TO \(roles)")
        try admin.unsafeExecute("GRANT SELECT ON audit.entries TO \(ident(auditReader))")
    }

    /// A libpq password file (`passfile=` in a conninfo) for the service roles.
    public static func passfile(passwords: [String: String]) -> String {
        services.compactMap { s in passwords[s.role].map { "*:*:*:\(s.role):\($0.replacingOccurrences(of: ":", with: "\\:"))" } }
            .joined(separator: "\n") + "\n"
    }
}
