"""Shared fixtures: a private nats-server (JetStream), a fresh PostgreSQL database and Veche binaries
built by `swift build` (VECHE_BIN_DIR, default .build/debug)."""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.environ.get("VECHE_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
PG_ADMIN = os.environ.get("VECHE_TEST_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 dbname=postgres user=postgres")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def psql(sql):
    params = dict(kv.split("=", 1) for kv in PG_ADMIN.split())
    subprocess.run(["psql", "-h", params["host"], "-p", params["port"], "-U", params["user"], "-d", params["dbname"],
                    "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)


class Platform:
    def __init__(self):
        self.nats_port = free_port()
        self.store = tempfile.mkdtemp(prefix="veche-pynats-")
        nats_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.nats = subprocess.Popen([nats_bin, "-js", "-a", "127.0.0.1", "-p", str(self.nats_port), "-sd", self.store],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.nats_port)
        self.db = "veche_py_" + uuid.uuid4().hex[:10]
        psql(f"CREATE DATABASE {self.db}")
        self.http_port = free_port()
        self.env = dict(os.environ, VECHE_NATS_URL=self.nats_url, VECHE_POSTGRES=PG_ADMIN.replace("dbname=postgres", f"dbname={self.db}"),
                        VECHE_LOG_LEVEL="warning", VECHE_HTTP_PORT=str(self.http_port), VECHE_HTTP_HOST="127.0.0.1")
        self.procs = {}

    @property
    def nats_url(self):
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, name, *args):
        self.procs[name] = subprocess.Popen([os.path.join(BIN_DIR, name), *args], env=self.env)

    def stop(self):
        codes = {}
        for name, p in reversed(list(self.procs.items())):
            p.terminate()
            codes[name] = p.wait(timeout=20)
        self.nats.terminate()
        self.nats.wait(timeout=10)
        psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        shutil.rmtree(self.store, ignore_errors=True)
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
