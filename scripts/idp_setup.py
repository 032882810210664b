#!/usr/bin/env python3
"""Configures and starts the local OpenID Connect provider (glewlwyd 2.7 from Debian), idempotently.

On the first run it creates its PostgreSQL database (idp_database.py), replaces the default admin password with a
generated one, adds the OIDC plugin (RS256, a generated private JWKS so keys can be rotated), the `veche` scope, a demo
user for every role of the ЦУР and a confidential client for every machine (services, gateway, integrating
systems, survey teams, import, the web sign-in and the command-line client). Later runs only start the
server and add what is missing. Every secret is generated here and kept under STATE/secrets (mode 0600):

    secrets/idp/admin.password        glewlwyd administrator password
    secrets/idp/jwks-private.json     signing keys (the first key is the default; --rotate-key adds a new one)
    secrets/clients/<client id>       client secrets
    secrets/users.json                demo users: username -> {password, role}
    secrets/pg/glewlwyd               the provider's PostgreSQL role (owner of its database `glewlwyd`)

Which role a user or machine has is NOT decided here: the provider only says who someone is. The platform's
directory (AgencyService) holds the role assignments; its demo seed assigns the roles printed below.
"""
import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import idp_database

BASE_CONFIG = "/etc/glewlwyd/glewlwyd.conf"
WEBAPP = "/usr/share/glewlwyd/webapp"
# Debian ships the web app's config.json as a link to this directory; the file inside is the real one.
WEBAPP_CONFIG = "/etc/glewlwyd/config-2.7.json/config.json"
SCOPE = "veche"
# glewlwyd 2.7 (through its database library, hoel) runs an INSERT and then asks for the new row's id (`lastval()`
# in PostgreSQL, the last rowid in SQLite) as two statements on one database connection that all its request threads
# share. Requests served at the same time then take each other's ids: of 40 sign-ins at once 2 to 8 failed
# (`server_error` from the authorization or token endpoint; PostgreSQL logged foreign-key violations such as
# "Key (gpoc_id)=(540) is not present in table gpo_code"), and a token could in principle be stored under another
# request's row. Every request therefore reaches glewlwyd through this proxy, one at a time (`maxconn 1`); the
# others wait in its queue. A sign-in is a handful of requests of a few milliseconds each.
PROXY_CONFIG = """# Written by scripts/idp_setup.py: the identity provider's port; glewlwyd gets one request at a time.
global
  maxconn 4096
defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 60s
  timeout server 30s
  timeout queue 30s
frontend provider
  bind 127.0.0.1:{port}
  default_backend glewlwyd
backend glewlwyd
  server glewlwyd 127.0.0.1:{backend} maxconn 1
"""

# Demo users: one per role of the ЦУР (the directory seed assigns these roles; see KurskSeed.roleAssignments).
DEMO_USERS = [
    ("kurator", "Куратор ЦУР", "куратор: читает всё, утверждает целевые KPI и ежемесячный доклад, журнал аудита"),
    ("cur-head", "Руководитель ЦУР", "руководитель ЦУР: справочники, маршрутизация, сроки, веса, роли"),
    ("sector-housing", "Ответственный за блок ЖКХ", "ответственный за отраслевой блок: обращения темы housing"),
    ("sector-head-roads", "Руководитель блока «Дороги»", "руководитель отраслевого блока: обращения темы roads"),
    ("operator", "Оператор ЦУР", "оператор/модератор: разбор, классификация, маршрутизация"),
    ("executor-zhkh", "Исполнитель комитета ЖКХ", "исполнитель: обращения своего органа и подведомственных"),
    ("executor-kursk", "Исполнитель администрации г. Курска", "исполнитель: администрация Курска и подведомственные"),
    ("media", "Ответственный за СМИ", "ответственный за масс-медиа: публичные сообщения, соцсети"),
    ("sociologist", "Социолог ЦУР", "социолог: опросы, веса, оценки"),
    ("analyst", "Аналитик", "аналитик: только чтение, персональные данные скрыты"),
]

SERVICES = ["veche-appeal-service", "veche-agency-service", "veche-rating-service", "veche-survey-service", "veche-gateway"]


def log(msg):
    print(f"[idp] {msg}", file=sys.stderr, flush=True)


def b64u(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_rsa_jwk(kid):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_numbers()
    pub = priv.public_numbers
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64u(pub.n), "e": b64u(pub.e),
            "d": b64u(priv.d), "p": b64u(priv.p), "q": b64u(priv.q), "dp": b64u(priv.dmp1), "dq": b64u(priv.dmq1),
            "qi": b64u(priv.iqmp)}


def write_secret(path, text):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def rewrite(path, text):
    """Writes `text` to `path` (created with mode 0600) and says whether it differs from what was there."""
    try:
        with open(path) as f:
            changed = f.read() != text
    except FileNotFoundError:
        changed = True
    write_secret(path, text)
    return changed


def secret(path, make=lambda: secrets.token_urlsafe(24)):
    """Reads a secret file, creating it first when missing."""
    if not os.path.exists(path):
        write_secret(path, make())
    with open(path) as f:
        return f.read().strip()


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Provider:
    def __init__(self, state, port, http_ports, integrations, teams, pg_admin, pg_database, backend_port=0):
        self.requested_backend_port = backend_port
        self.pg_admin = pg_admin
        self.pg_database = pg_database
        self.dir = os.path.join(state, "idp")
        self.secrets = os.path.join(state, "secrets")
        self.port = port
        self.http_ports = http_ports
        self.integrations = integrations
        self.teams = teams
        self.base = f"http://127.0.0.1:{port}"
        self.api = self.base + "/api"
        self.issuer = self.api + "/oidc"
        self.session = requests.Session()

    # MARK: server

    def write_config(self, backend):
        """Writes glewlwyd's configuration (mode 0600: it holds the database password); returns its path and whether
        it changed. glewlwyd listens on `backend`; its external URL is the proxy's."""
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        sqlite_path = os.path.join(self.dir, "glewlwyd.db")
        if os.path.exists(sqlite_path) and self.stop_own("glewlwyd"):
            log("glewlwyd stopped: its SQLite database moves to PostgreSQL")
        conninfo = idp_database.ensure(self.pg_admin, self.pg_database, secret(os.path.join(self.secrets, "pg", self.pg_database)),
                                       sqlite_path=sqlite_path, known_passwords=self.known_passwords(), log=log)
        lines = []
        with open(BASE_CONFIG) as f:
            for line in f:
                key = line.split("=", 1)[0].strip()
                if line.startswith("@include"):
                    line = f'database = {{ type = "postgre" conninfo = "{conninfo}" }};\n'
                elif key == "port":
                    line = f"port={backend}\n"
                elif key == "external_url":
                    line = f'external_url="{self.base}"\nbind_address="127.0.0.1"\nstatic_files_path="{self.webapp()}/"\n'
                elif key == "log_mode":
                    line = 'log_mode="console"\n'
                elif key == "admin_session_authentication":
                    line = 'admin_session_authentication="cookie"\n'
                elif key == "allow_origin":
                    # The platform's gateway talks to the provider server to server; browsers only navigate to it.
                    line = f'allow_origin="{self.base}"\n'
                elif key in ("log_file", "static_files_path", "bind_address"):
                    continue
                lines.append(line)
        conf = os.path.join(self.dir, "glewlwyd.conf")
        return conf, rewrite(conf, "".join(lines))

    def webapp(self):
        """The login web app, served with its real config.json (the packaged link points at a directory).
        Copied, not linked: glewlwyd serves no file that resolves outside its static directory (404)."""
        out = os.path.join(self.dir, "webapp")
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(WEBAPP):
            source, target = os.path.join(WEBAPP, name), os.path.join(out, name)
            if name == "config.json":
                continue
            if os.path.islink(target):
                os.unlink(target)
            if os.path.isdir(source):
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, target)
        if os.path.exists(WEBAPP_CONFIG):
            shutil.copyfile(WEBAPP_CONFIG, os.path.join(out, "config.json"))
        return out

    def start(self):
        """glewlwyd on its backend port, and the proxy in front of it on the provider's port."""
        backend = self.backend_port()
        conf, changed = self.write_config(backend)
        if changed and self.stop_own("glewlwyd"):
            log("glewlwyd restarts with its new configuration")
        if port_open(backend):
            log(f"glewlwyd already listening on {backend}")
        else:
            self.launch("glewlwyd", ["glewlwyd", f"--config-file={conf}"], backend)
        proxy, changed = self.write_proxy_config(backend)
        if changed and self.stop_own("haproxy"):
            log("the provider's proxy restarts with its new configuration")
        if port_open(self.port):
            log(f"the provider's proxy already listening on {self.port}")
        else:
            self.launch("haproxy", ["haproxy", "-f", proxy, "-db"], self.port)

    def backend_port(self):
        """Where glewlwyd itself listens: --backend-port, else the port recorded at an earlier start, else a free one."""
        path = os.path.join(self.dir, "backend.port")
        port = self.requested_backend_port
        if not port and os.path.exists(path):
            with open(path) as f:
                port = int(f.read().strip() or 0)
        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        with open(path, "w") as f:
            f.write(str(port))
        return port

    def write_proxy_config(self, backend):
        """Writes haproxy's configuration (PROXY_CONFIG: one request at a time to glewlwyd); returns its path and
        whether it changed."""
        path = os.path.join(self.dir, "haproxy.cfg")
        return path, rewrite(path, PROXY_CONFIG.format(port=self.port, backend=backend))

    def launch(self, name, argv, port):
        """Starts `name` in its own session (log and pid file in the provider's directory) and waits for its port."""
        log(f"starting {name} on 127.0.0.1:{port}")
        logf = open(os.path.join(self.dir, f"{name}.log"), "ab")
        p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        with open(os.path.join(self.dir, f"{name}.pid"), "w") as f:
            f.write(str(p.pid))
        for _ in range(100):
            if port_open(port):
                return
            if p.poll() is not None:
                break
            time.sleep(0.1)
        logf.close()
        with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
            tail = "".join(f.readlines()[-15:])
        raise SystemExit(f"{name} did not start; {self.dir}/{name}.log ends with:\n{tail}")

    def known_passwords(self):
        """The passwords this script generated (administrator, demo users): username -> password."""
        known = {}
        users_path = os.path.join(self.secrets, "users.json")
        if os.path.exists(users_path):
            with open(users_path) as f:
                known = {u: e["password"] for u, e in json.load(f).items()}
        admin = os.path.join(self.secrets, "idp", "admin.password")
        if os.path.exists(admin):
            known["admin"] = secret(admin)
        return known

    def stop_own(self, name):
        """Stops the `name` this script started (its pid file); False when none of ours runs."""
        try:
            with open(os.path.join(self.dir, f"{name}.pid")) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if name.encode() not in f.read():
                    return False
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return False
        for _ in range(100):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return True
            except OSError:
                return True
            time.sleep(0.1)
        raise SystemExit(f"{name} (pid {pid}) did not stop for its new configuration")

    # MARK: administration API

    def login_admin(self):
        path = os.path.join(self.secrets, "idp", "admin.password")
        if os.path.exists(path):
            password = secret(path)
            r = self.session.post(self.api + "/auth/", json={"username": "admin", "password": password})
            if r.status_code == 200:
                return
        # First run: the packaged default password, replaced at once by a generated one.
        r = self.session.post(self.api + "/auth/", json={"username": "admin", "password": "password"})
        if r.status_code != 200:
            raise SystemExit("cannot sign in to glewlwyd as admin (password in secrets/idp/admin.password is wrong?)")
        new = secrets.token_urlsafe(24)
        self.call("put", "/user/admin?source=database", {"username": "admin", "name": "The Administrator",
                                                        "scope": ["g_admin", "g_profile"], "enabled": True,
                                                        "password": new})
        write_secret(path, new)
        log("replaced the default glewlwyd admin password (secrets/idp/admin.password)")

    def call(self, method, path, body=None, ok=(200,)):
        r = getattr(self.session, method)(self.api + path, json=body)
        if r.status_code not in ok:
            raise SystemExit(f"glewlwyd {method.upper()} {path}: {r.status_code} {r.text[:300]}")
        return r

    def exists(self, path):
        return self.session.get(self.api + path).status_code == 200

    def jwks(self, rotate):
        path = os.path.join(self.secrets, "idp", "jwks-private.json")
        if not os.path.exists(path):
            write_secret(path, json.dumps({"keys": [new_rsa_jwk("veche-1")]}))
        with open(path) as f:
            keys = json.load(f)
        if rotate:
            kid = f"veche-{secrets.token_hex(4)}"
            # The new key signs from now on; the old ones stay published until tokens signed with them expire.
            # Three keys at most: tokens live an hour, so an older key signs nothing still valid.
            keys["keys"] = [new_rsa_jwk(kid)] + keys["keys"][:2]
            write_secret(path, json.dumps(keys))
            log(f"rotated the signing key: new kid {kid}")
        return keys

    def ensure_plugin(self, rotate):
        keys = self.jwks(rotate)
        params = {
            "iss": self.issuer, "jwt-type": "rsa", "jwt-key-size": "256",
            "jwks-private": json.dumps(keys), "default-kid": keys["keys"][0]["kid"], "jwks-show": True,
            "access-token-duration": 3600, "refresh-token-duration": 86400, "code-duration": 300,
            "refresh-token-rolling": True, "allow-non-oidc": True,
            "auth-type-code-enabled": True, "auth-type-password-enabled": True, "auth-type-client-enabled": True,
            "auth-type-refresh-enabled": True, "auth-type-token-enabled": False, "auth-type-device-enabled": False,
            "auth-type-code-revoke-replayed": True,
            "pkce-allowed": True, "pkce-method-plain-allowed": False,
            "subject-type": "public", "scope": [], "allowed-scope": ["openid", SCOPE],
            # The platform identifies people by username (the directory assigns roles to user:<username>).
            "additional-parameters": [{"user-parameter": "username", "token-parameter": "username", "token-changed": False}],
            "claims": [], "name-claim": "on-demand", "email-claim": "on-demand", "scope-claim": "no",
            "service-documentation": "", "op-policy-uri": "", "op-tos-uri": "",
            "introspection-revocation-allowed": False,
        }
        body = {"module": "oidc", "name": "oidc", "display_name": "Veche OpenID Connect", "enabled": True, "parameters": params}
        r = self.session.get(self.api + "/mod/plugin/oidc")
        if r.status_code != 200:
            self.call("post", "/mod/plugin/", body)
            log("OIDC plugin created (RS256, private JWKS)")
            return
        stored = r.json().get("parameters", {})
        if any(stored.get(k) != v for k, v in params.items()):
            self.call("put", "/mod/plugin/oidc", body)
            self.call("put", "/mod/plugin/oidc/reset")
            log("OIDC plugin settings updated")

    def ensure_scope(self):
        if not self.exists(f"/scope/{SCOPE}"):
            self.call("post", "/scope/", {"name": SCOPE, "display_name": "Veche", "description": "Veche platform API",
                                         "password_required": False, "scheme": {}})

    def ensure_user(self, username, name, password):
        body = {"username": username, "name": name, "email": f"{username}@veche.local", "enabled": True,
                "scope": ["openid", SCOPE, "g_profile"], "password": password}
        if self.exists(f"/user/{username}"):
            return
        self.call("post", "/user/?source=database", body)

    def ensure_client(self, client_id, name, grants, redirect=None):
        value = secret(os.path.join(self.secrets, "clients", client_id))
        body = {"client_id": client_id, "name": name, "enabled": True, "confidential": True, "client_secret": value,
                "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
                "authorization_type": grants, "scope": ["openid", SCOPE], "redirect_uri": redirect or []}
        if self.exists(f"/client/{client_id}"):
            self.call("put", f"/client/{client_id}", body)
        else:
            self.call("post", "/client/?source=database", body)

    def setup(self, rotate):
        self.start()
        self.login_admin()
        self.ensure_plugin(rotate)
        self.ensure_scope()
        users_path = os.path.join(self.secrets, "users.json")
        users = {}
        if os.path.exists(users_path):
            with open(users_path) as f:
                users = json.load(f)
        for username, name, role in DEMO_USERS:
            entry = users.get(username) or {"password": secrets.token_urlsafe(9), "name": name, "role": role}
            users[username] = entry
            self.ensure_user(username, name, entry["password"])
        write_secret(users_path, json.dumps(users, ensure_ascii=False, indent=1))
        for svc in SERVICES:
            self.ensure_client(svc, svc, ["client_credentials"])
        redirects = [f"http://{host}:{port}/auth/callback" for port in self.http_ports for host in ("127.0.0.1", "localhost")]
        self.ensure_client("veche-web", "Veche web sign-in", ["code", "refresh_token"], redirects)
        self.ensure_client("veche-cli", "Veche command-line and test client", ["password", "refresh_token"])
        self.ensure_client("veche-import", "Historical import", ["client_credentials"])
        self.ensure_client("veche-seed", "Demo data loader (import and the demo survey)", ["client_credentials"])
        for ch in self.integrations:
            self.ensure_client(f"veche-integration-{ch}", f"Integrating system ({ch})", ["client_credentials"])
        for team in self.teams:
            self.ensure_client(f"veche-survey-{team}", f"Survey team {team}", ["client_credentials"])
        self.wait_for_tokens()
        return users

    def wait_for_tokens(self):
        """The plugin answers once it is loaded: a client-credentials token proves the whole chain works."""
        client = SERVICES[0]
        value = secret(os.path.join(self.secrets, "clients", client))
        for _ in range(50):
            r = requests.post(self.issuer + "/token", data={"grant_type": "client_credentials", "scope": SCOPE},
                              auth=(client, value))
            if r.status_code == 200:
                return
            time.sleep(0.1)
        raise SystemExit(f"the provider issues no tokens: {r.status_code} {r.text[:200]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=4593)
    ap.add_argument("--pg-admin", required=True, help="conninfo of the PostgreSQL administrator (the provider's database is made there)")
    ap.add_argument("--backend-port", type=int, default=0, help="glewlwyd's own port behind the proxy (default: a free one, kept)")
    ap.add_argument("--pg-database", default=idp_database.DATABASE, help="the provider's database and role (a private provider's own)")
    ap.add_argument("--http-port", default="8080", help="the gateways' ports, comma-separated (sign-in redirect URIs)")
    ap.add_argument("--integrations", default="pos,portal,email,social,messenger")
    ap.add_argument("--teams", default="team-1,team-2")
    ap.add_argument("--rotate-key", action="store_true", help="add a new signing key and make it the default")
    ap.add_argument("--print-users", action="store_true", help="print the demo users and their passwords")
    a = ap.parse_args()
    if not shutil.which("glewlwyd") or not shutil.which("haproxy"):
        raise SystemExit("glewlwyd is not installed (apt-get install glewlwyd glewlwyd-common haproxy)")
    p = Provider(a.state, a.port, [int(x) for x in a.http_port.split(",") if x], [c for c in a.integrations.split(",") if c], [t for t in a.teams.split(",") if t], a.pg_admin, a.pg_database, a.backend_port)
    users = p.setup(a.rotate_key)
    if a.print_users:
        print(f"OpenID Connect provider: {p.issuer} (sign in at /auth/login on the gateway)")
        for username, entry in users.items():
            print(f"  {username:<18} {entry['password']:<14} {entry['role']}")


if __name__ == "__main__":
    main()
