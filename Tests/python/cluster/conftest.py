"""Fixtures for the clustered deployment (scripts/vechecluster): one regional cluster per session —
3 nats-server nodes (JetStream R3, domain "region", leaf nodes of a federal hub), PostgreSQL
primary + standby + pg_auto_failover monitor, two instances of every service and of the gateway —
built from VECHE_BIN_DIR. Ports and state come from VECHE_CLUSTER_* (see scripts/vechecluster/layout.py).

Helpers here are meant for fault-injection drivers too: `Recovery` times how long an operation keeps
failing after a fault, `figures` collects what the session measured and prints it at the end.
Everything talks to the cluster with its own identity, as in production: `token()` gets access tokens from
the provider `scripts/veche test` runs, `bus()` gives the NATS credentials of a platform user."""
import asyncio
import functools
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from vechecluster import Cluster, identity  # noqa: E402

FIGURES = []
SECRETS = identity.secrets_dir()
# Who the tests act as: the regional portal files appeals, the curator reads them (and every instance).
PORTAL = "veche-integration-portal"
CURATOR = "user:kurator"


@functools.lru_cache(maxsize=None)
def token(who):
    """An access token: "user:<demo user>" or an OAuth client id (valid for an hour, the session's length)."""
    if who.startswith("user:"):
        return identity.user_token(who[len("user:"):], SECRETS)
    return identity.client_token(who, SECRETS)


def bearer(who):
    return {"Authorization": "Bearer " + token(who)}


def bus(user):
    """nats-py connect() keywords of platform bus user `user` (its password and private inbox)."""
    return identity.nats_options(user, SECRETS)


@pytest.fixture(scope="session")
def cluster():
    env = dict(os.environ, VECHE_CLUSTER_FEDERATION="1", VECHE_LOG_LEVEL=os.environ.get("VECHE_LOG_LEVEL", "notice"))
    c = Cluster.from_env(bin_dir=os.environ.get("VECHE_BIN_DIR", os.path.join(ROOT, ".build", "debug")), env=env)
    c.purge()
    started = time.monotonic()
    c.start_hub()
    c.up()
    FIGURES.append(("cluster up (3 NATS, PostgreSQL HA, 10 instances)", time.monotonic() - started))
    yield c
    c.down()


@pytest.fixture(scope="session")
def figures():
    """Append (what, seconds) to report it in the session summary."""
    return FIGURES


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("cluster figures (seconds)")
        for what, seconds in FIGURES:
            terminalreporter.write_line(f"{seconds:8.2f}  {what}")


class Recovery:
    """Times how long operations keep failing after a fault at `since` (time.monotonic())."""

    def __init__(self, since):
        self.since = since

    def wait(self, attempt, timeout=60.0, interval=0.2):
        """Retries `attempt()` (failure: it raises or returns falsy) until it succeeds; returns (seconds from
        `since` to that success, its value)."""
        last = None
        while time.monotonic() - self.since < timeout:
            try:
                value = attempt()
                if value:
                    return time.monotonic() - self.since, value
            except Exception as e:  # the operation under test failing is what we wait out
                last = e
            time.sleep(interval)
        raise AssertionError(f"did not recover within {timeout} s; last error: {last!r}")

    def all(self, probes, timeout=60.0):
        """Runs every probe (name -> attempt) in its own thread at once, so each figure is the time to
        that operation's first success, not to the end of the previous probe; returns {name: seconds}."""
        with ThreadPoolExecutor(len(probes)) as pool:
            futures = {name: pool.submit(self.wait, attempt, timeout) for name, attempt in probes.items()}
            return {name: f.result()[0] for name, f in futures.items()}


def http(method, url, body=None, timeout=5.0, who=None):
    """(status, parsed JSON) of one HTTP call as `who` (see token(); default: the portal for writes, the curator
    for reads); HTTP errors are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    who = who or (CURATOR if method == "GET" else PORTAL)
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **bearer(who)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def new_appeal(tag):
    """A portal appeal whose text carries a unique marker word (found again with ?q=<marker>)."""
    marker = "m" + uuid.uuid4().hex[:12]
    return marker, {"channel": "portal", "externalId": f"{tag}-{marker}", "title": "Яма на дороге",
                    "text": f"Большая яма на дороге по ул. Дзержинского, метка {marker}",
                    "address": "Курск, ул. Дзержинского, 10"}


def run(coro):
    return asyncio.run(coro)
