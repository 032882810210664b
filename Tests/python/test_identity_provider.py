"""The identity provider as `scripts/veche` sets it up: glewlwyd on the platform's PostgreSQL, behind haproxy
(scripts/idp_setup.py, scripts/idp_database.py)."""
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import PG_ADMIN, ROOT, SECRETS
from vechecluster import identity

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import idp_database  # noqa: E402

IDP = f"http://127.0.0.1:{os.environ.get('VECHE_IDP_PORT', '4593')}"
# The web client's redirect URI is registered for the gateway's configured port (scripts/idp_setup.py).
REDIRECT = f"http://127.0.0.1:{os.environ.get('VECHE_HTTP_PORT', '8080')}/auth/callback"
SQLITE_SCHEMA = "/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3"


def sign_in(user, password, web_secret):
    """The web sign-in as the login page and the gateway do it: log in, consent, authorization code, tokens, refresh.
    Returns "ok" or what failed."""
    s = requests.Session()
    r = s.post(IDP + "/api/auth/", json={"username": user, "password": password})
    if r.status_code != 200:
        return f"login {r.status_code}"
    r = s.put(IDP + "/api/auth/grant/veche-web/", json={"scope": "openid veche"})
    if r.status_code != 200:
        return f"consent {r.status_code}"
    r = s.get(IDP + "/api/oidc/auth", allow_redirects=False,
              params={"response_type": "code", "client_id": "veche-web", "redirect_uri": REDIRECT, "scope": "openid veche",
                      "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8), "g_continue": ""})
    query = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers.get("Location", "")).query)
    if "code" not in query:
        return f"authorization {r.status_code} {query.get('error')}"
    r = requests.post(IDP + "/api/oidc/token", auth=("veche-web", web_secret),
                      data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT})
    if r.status_code != 200:
        return f"token {r.status_code} {r.text[:100]}"
    r = requests.post(IDP + "/api/oidc/token", auth=("veche-web", web_secret),
                      data={"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]})
    return "ok" if r.status_code == 200 else f"refresh {r.status_code} {r.text[:100]}"


def test_eighty_sign_ins_at_once_all_succeed():
    """glewlwyd takes a new row's id with a second statement on a connection all its threads share, so concurrent
    requests took each other's ids: without the one-request-at-a-time proxy 2 to 8 of 40 such sign-ins failed
    (`server_error`, `invalid_code`) on SQLite and on PostgreSQL alike."""
    users = json.loads(identity.secret(SECRETS, "users.json"))
    web = identity.secret(SECRETS, "clients/veche-web")
    jobs = [(u, users[u]["password"]) for u in sorted(users)] * 8
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda job: sign_in(job[0], job[1], web), jobs))
    failed = [r for r in results if r != "ok"]
    assert not failed, f"{len(failed)} of {len(jobs)} sign-ins failed: {sorted(set(failed))}"


def pg(database, sql):
    conninfo = PG_ADMIN.replace("dbname=postgres", f"dbname={database}")
    return subprocess.run(["psql", conninfo, "-qAtc", sql], check=True, capture_output=True, text=True).stdout.strip()


def test_an_sqlite_provider_database_is_copied_into_postgresql_with_the_known_passwords_hashed_anew():
    """An earlier version kept the provider's data in SQLite: every row is copied (Unix-second times become
    timestamps, id sequences continue after the copied ids), the passwords the platform generated are hashed again
    the way glewlwyd checks them in PostgreSQL, a user whose password is unknown is named, and the file is kept
    aside."""
    database = "idp_copy_test_" + secrets.token_hex(4)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "glewlwyd.db")
        db = sqlite3.connect(path)
        with open(SQLITE_SCHEMA) as f:
            db.executescript(f.read())
        db.execute("INSERT INTO g_user (gu_username, gu_name, gu_email, gu_enabled) VALUES ('hand-made', 'Добавлен вручную', '', 1)")
        db.execute("INSERT INTO g_user_password (gu_id, guw_password) SELECT gu_id, 'pbkdf2-hash,150000' FROM g_user WHERE gu_username = 'hand-made'")
        db.execute("""INSERT INTO gpo_code (gpoc_plugin_name, gpoc_authorization_type, gpoc_username, gpoc_client_id, gpoc_redirect_uri,
                      gpoc_code_hash, gpoc_expires_at, gpoc_issued_for, gpoc_user_agent) VALUES
                      ('oidc', 1, 'hand-made', 'veche-web', 'http://x/cb', 'h', 1796458341, '127.0.0.1', 'it''s a test')""")
        db.commit()
        db.close()
        said = []
        try:
            idp_database.ensure(PG_ADMIN, database, secrets.token_urlsafe(12), sqlite_path=path,
                                known_passwords={"admin": "the admin's password"}, log=said.append)
            assert pg(database, "SELECT string_agg(gu_username, ',' ORDER BY gu_username) FROM g_user") == "admin,hand-made"
            assert pg(database, """SELECT guw_password = crypt('the admin''s password', guw_password) FROM g_user_password
                                   JOIN g_user USING (gu_id) WHERE gu_username = 'admin'""") == "t"
            assert pg(database, "SELECT count(*) FROM g_user_password JOIN g_user USING (gu_id) WHERE gu_username = 'hand-made'") == "0"
            assert any("hand-made" in line for line in said), said
            assert pg(database, "SELECT extract(epoch FROM gpoc_expires_at)::bigint || ' ' || gpoc_user_agent FROM gpo_code") == "1796458341 it's a test"
            # The next id follows the copied ones.
            assert pg(database, "SELECT nextval(pg_get_serial_sequence('g_user', 'gu_id')) > max(gu_id) FROM g_user") == "t"
            assert os.path.exists(path + ".migrated") and not os.path.exists(path)
        finally:
            pg("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            pg("postgres", f"DROP ROLE IF EXISTS {database}")
