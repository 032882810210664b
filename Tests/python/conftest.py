"""Shared fixtures: a private nats-server (JetStream) with the platform's generated users and permissions,
a fresh PostgreSQL database prepared for the per-service roles, Veche binaries built by `swift build`
(VECHE_BIN_DIR, default .build/debug), and access tokens from the OpenID Connect provider that
`scripts/veche test` runs (secrets in VECHE_SECRETS_DIR)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from vechecluster import identity  # noqa: E402  (the components' identities, one source of truth)

BIN_DIR = os.environ.get("VECHE_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
PG_ADMIN = os.environ.get("VECHE_TEST_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 dbname=postgres user=postgres")
SECRETS = identity.secrets_dir()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def psql(sql):
    subprocess.run(["psql", "-d", PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)


def client_token(client_id):
    """An access token of a machine (client credentials)."""
    return identity.client_token(client_id, SECRETS)


def user_token(username):
    """An access token of a demo user (password grant through the command-line client)."""
    return identity.user_token(username, SECRETS)


def bearer(token):
    return {"Authorization": "Bearer " + token}


class Platform:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="veche-py-")
        self.bus_secrets = os.path.join(self.tmp, "secrets")
        self.nats_port = free_port()
        conf = os.path.join(self.tmp, "nats.conf")
        subprocess.run([os.path.join(BIN_DIR, "veche-tool"), "bus-config", "--port", str(self.nats_port),
                        "--store", os.path.join(self.tmp, "js"), "--secrets", self.bus_secrets, "--out", conf,
                        "--bcrypt-cost", "4"], check=True, stdout=subprocess.DEVNULL)
        nats_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.nats = subprocess.Popen([nats_bin, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.nats_port)
        self.db = "veche_py_" + uuid.uuid4().hex[:10]
        psql(f"CREATE DATABASE {self.db}")
        subprocess.run([os.path.join(BIN_DIR, "veche-tool"), "db-setup", "--admin", PG_ADMIN, "--database", self.db,
                        "--secrets", SECRETS], check=True, stdout=subprocess.DEVNULL)
        self.http_port = free_port()
        self.procs = {}

    @property
    def nats_url(self):
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def bus_password(self, user):
        with open(os.path.join(self.bus_secrets, "nats", user)) as f:
            return f.read().strip()

    async def connect(self, user):
        """A nats-py connection as bus user `user` (its permissions apply)."""
        import nats
        return await nats.connect(self.nats_url, user=user, password=self.bus_password(user), inbox_prefix=f"_INBOX_{user}".encode())

    def start(self, name, *args, env=None, log=False):
        base = {kv.split("=", 1)[0]: kv.split("=", 1)[1] for kv in PG_ADMIN.split()}
        e = dict(os.environ, **identity.process_env(name, SECRETS, f"host={base['host']} port={base['port']} dbname={self.db}"))
        # This private server's bus users have their own passwords (bus_secrets).
        e.update(VECHE_NATS_URL=self.nats_url, VECHE_LOG_LEVEL="warning", VECHE_HTTP_PORT=str(self.http_port),
                 VECHE_HTTP_HOST="127.0.0.1", VECHE_NATS_PASSWORD_FILE=os.path.join(self.bus_secrets, "nats", identity.COMPONENTS[name][0]))
        e.update(env or {})
        if log:
            # The process's stderr (its log lines) kept in a file the test reads afterwards.
            os.makedirs(os.path.join(self.tmp, "logs"), exist_ok=True)
            with open(self.log_path(name), "ab") as f:
                self.procs[name] = subprocess.Popen([os.path.join(BIN_DIR, name), *args], env=e, stderr=f)
        else:
            self.procs[name] = subprocess.Popen([os.path.join(BIN_DIR, name), *args], env=e)

    def log_path(self, name):
        return os.path.join(self.tmp, "logs", name + ".log")

    def stop_processes(self):
        """SIGTERM to the platform's processes (reverse start order); their exit codes by name."""
        codes = {}
        for name, p in reversed(list(self.procs.items())):
            if p.poll() is None:
                p.terminate()
            codes[name] = p.wait(timeout=20)
        return codes

    def stop(self):
        codes = self.stop_processes()
        self.nats.terminate()
        self.nats.wait(timeout=10)
        psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return codes


@pytest.fixture(scope="session")
def pb_modules():
    """Python protobuf modules generated from proto/ with protoc, by package: appeal, common, survey, ..."""
    import importlib
    out = tempfile.mkdtemp(prefix="veche-pyproto-")
    protos = []
    for dp, _, fs in os.walk(os.path.join(ROOT, "proto")):
        protos += [os.path.relpath(os.path.join(dp, f), os.path.join(ROOT, "proto")) for f in fs if f.endswith(".proto")]
    subprocess.run(["protoc", "-I", os.path.join(ROOT, "proto"), f"--python_out={out}"] + protos, check=True)
    sys.path.insert(0, out)
    modules = {p.split("/")[1]: importlib.import_module(p[:-len(".proto")].replace("/", ".") + "_pb2") for p in protos}
    yield modules
    sys.path.remove(out)
    shutil.rmtree(out)


@pytest.fixture(scope="module")
def pb(pb_modules):
    return pb_modules["appeal"], pb_modules["common"]
