"""The identity provider's database: glewlwyd's own PostgreSQL database on the platform's server.

glewlwyd first kept its data in SQLite. SQLite lets one writer in at a time and glewlwyd sets no busy timeout, so
of 40 sign-ins at once 2 or 3 failed (`server_error` at the authorization endpoint, `invalid_code` at the token
endpoint: the code's row was being written while another sign-in committed). In PostgreSQL concurrent sign-ins
only wait for row locks.

`ensure` creates the database (`glewlwyd`; a test's private provider names its own) and a login role of the same name
that owns it (password generated into secrets/pg/<name>), with pgcrypto (glewlwyd's default data hashes the first admin password with `crypt`), and glewlwyd's schema
and default data from the Debian package. A provider database left in SQLite by an earlier version is copied in
once, table by table (users, passwords, clients, grants, sessions and tokens: nobody has to sign in again), then
renamed `glewlwyd.db.migrated`. Passwords are the exception: glewlwyd hashes them itself (PBKDF2) in SQLite but with
pgcrypto's `crypt` in PostgreSQL, so an SQLite hash never matches there. The passwords the platform generated (the
administrator's, the demo users') are set again from secrets/; any other user is named in the log and needs a new
password from the administrator.
"""
import os
import re
import secrets
import sqlite3
import subprocess

SCHEMA_SQL = "/usr/share/dbconfig-common/data/glewlwyd/install/pgsql"
DEFAULT_DATA_SQL = "/usr/share/dbconfig-common/data/glewlwyd/install/postgre.default.sql"
DATABASE = "glewlwyd"
TIME_TYPES = ("timestamp with time zone", "timestamp without time zone")


def psql(conninfo, sql, database=None):
    """Runs SQL (stdin) through psql; returns its unaligned output. `database` replaces the conninfo's dbname."""
    if database:
        conninfo = re.sub(r"dbname=\S+", f"dbname={database}", conninfo)
    env = dict(os.environ)
    password = re.search(r"(?:^|\s)password=(\S+)", conninfo)
    if password:   # in the environment, not on a command line every process can read
        env["PGPASSWORD"] = password.group(1)
        conninfo = re.sub(r"(?:^|\s)password=\S+", "", conninfo).strip()
    r = subprocess.run(["psql", conninfo, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t"], input=sql, text=True,
                       capture_output=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"the provider database: psql failed: {r.stderr.strip()[:2000]}")
    return r.stdout


def literal(text):
    """A SQL string literal (standard_conforming_strings is on in PostgreSQL 15)."""
    return "'" + str(text).replace("'", "''") + "'"


def dollar_quoted(text):
    """`text` as a dollar-quoted literal whose tag does not occur in it."""
    while True:
        tag = "$v" + secrets.token_hex(4) + "$"
        if tag not in text:
            return tag + text + tag


def ensure(admin, database, password, sqlite_path=None, known_passwords=None, log=print):
    """The provider's role and database (both named `database`), schema and default data (idempotent); copies an
    SQLite database in once (`known_passwords`: username -> password, see `rehash_passwords`). Returns the conninfo
    glewlwyd connects with (host and port from `admin`)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise SystemExit(f"the provider database name {database!r} is not a plain lower-case identifier")
    exists = psql(admin, f"SELECT 1 FROM pg_roles WHERE rolname = {literal(database)}").strip()
    verb = "ALTER" if exists else "CREATE"
    psql(admin, f"{verb} ROLE {database} LOGIN PASSWORD {literal(password)}")
    if not psql(admin, f"SELECT 1 FROM pg_database WHERE datname = {literal(database)}").strip():
        log(f"creating the provider database {database} (PostgreSQL, owned by the role {database})")
        psql(admin, f"CREATE DATABASE {database} OWNER {database} ENCODING 'UTF8'")
    psql(admin, "CREATE EXTENSION IF NOT EXISTS pgcrypto", database=database)
    own = own_conninfo(admin, database, password)
    if not psql(own, "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'g_scope'").strip():
        with open(SCHEMA_SQL) as schema, open(DEFAULT_DATA_SQL) as data:
            psql(own, "BEGIN;\n" + schema.read() + "\n" + data.read() + "\nCOMMIT;\n")
        if sqlite_path and os.path.exists(sqlite_path):
            copied = copy_from_sqlite(sqlite_path, admin, database)
            unusable = rehash_passwords(admin, database, known_passwords or {})
            if unusable:
                log("these users of the SQLite provider database need a new password from the administrator "
                    "(glewlwyd hashes passwords differently in PostgreSQL): " + ", ".join(unusable))
            # Its write-ahead log folded into the file first, so the file kept aside is whole on its own.
            db = sqlite3.connect(sqlite_path)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
            db.close()
            os.rename(sqlite_path, sqlite_path + ".migrated")
            log(f"copied the SQLite provider database into PostgreSQL ({copied} rows); the old file is {sqlite_path}.migrated")
    return own


def own_conninfo(admin, database, password):
    """The conninfo of the provider's role: the admin's host and port, the provider's database, role and password."""
    keep = [kv for kv in admin.split() if kv.split("=", 1)[0] in ("host", "port")]
    return " ".join(keep + [f"dbname={database}", f"user={database}", f"password={password}"])


def copy_from_sqlite(sqlite_path, admin, database):
    """Replaces the default data with every row of the SQLite database, in one transaction (as the administrator,
    with foreign-key triggers off while the tables fill in any order), then moves every id sequence past the copied
    ids. SQLite kept times as Unix seconds; they become timestamps. Returns the number of rows copied."""
    columns = {}
    for line in psql(admin, """SELECT table_name, column_name, data_type FROM information_schema.columns
                               WHERE table_schema = 'public' ORDER BY table_name, ordinal_position""",
                     database=database).splitlines():
        table, column, data_type = line.split("\t")
        columns.setdefault(table, []).append((column, data_type))
    db = sqlite3.connect(sqlite_path)
    db.row_factory = sqlite3.Row
    statements = ["BEGIN;", "SET session_replication_role = replica;",
                  "TRUNCATE " + ", ".join(sorted(columns)) + ";"]
    total = 0
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, cols in sorted(columns.items()):
            if table not in tables:
                continue
            have = {r[1] for r in db.execute(f'PRAGMA table_info("{table}")')}
            cols = [(c, t) for c, t in cols if c in have]
            rows = db.execute(f'SELECT {", ".join(c for c, _ in cols)} FROM "{table}"').fetchall()
            if not rows:
                continue
            total += len(rows)
            values = []
            for row in rows:
                values.append("(" + ", ".join(value_sql(row[c], t) for c, t in cols) + ")")
            statements.append(f"INSERT INTO {table} ({', '.join(c for c, _ in cols)}) VALUES\n" + ",\n".join(values) + ";")
    finally:
        db.close()
    statements.append("""
        DO $$ DECLARE r record; BEGIN
          FOR r IN SELECT c.table_name, c.column_name, pg_get_serial_sequence(c.table_name, c.column_name) AS seq
                   FROM information_schema.columns c WHERE c.table_schema = 'public'
                     AND pg_get_serial_sequence(c.table_name, c.column_name) IS NOT NULL LOOP
            EXECUTE format('SELECT setval(%L, coalesce((SELECT max(%I) FROM %I), 0) + 1, false)', r.seq, r.column_name, r.table_name);
          END LOOP;
        END $$;""")
    statements.append("COMMIT;")
    psql(admin, "\n".join(statements), database=database)
    return total


def rehash_passwords(admin, database, known):
    """After a copy from SQLite: every password hash replaced by a `crypt` hash of the known password (bcrypt, as
    glewlwyd writes them in PostgreSQL), or removed where the password is not known. Returns the users left
    without a password."""
    sets = "\n".join(f"INSERT INTO g_user_password (gu_id, guw_password) SELECT gu_id, crypt({literal(pw)}, gen_salt('bf')) "
                     f"FROM g_user WHERE gu_username = {literal(user)};" for user, pw in sorted(known.items()))
    out = psql(admin, f"""BEGIN;
        DELETE FROM g_user_password;
        {sets}
        SELECT gu_username FROM g_user u
        WHERE NOT EXISTS (SELECT 1 FROM g_user_password p WHERE p.gu_id = u.gu_id) ORDER BY gu_username;
        COMMIT;""", database=database)
    return [line for line in out.splitlines() if line]


def value_sql(value, data_type):
    """One SQLite value as a PostgreSQL literal of the column's type."""
    if value is None:
        return "NULL"
    if data_type in TIME_TYPES and isinstance(value, (int, float)):
        return f"to_timestamp({float(value)!r})"
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'::bytea"
    if isinstance(value, (int, float)):
        return repr(value)
    return dollar_quoted(str(value))
