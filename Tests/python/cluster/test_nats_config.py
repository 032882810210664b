"""The generated nats-server configuration: a regional node with an authorization file included and a
leaf connection to the federal hub is accepted by nats-server itself (`nats-server -t`), and the users in
the included file are enforced once the node runs."""
import os
import subprocess
import time

import pytest

from vechecluster import natsconf
from vechecluster.layout import Layout
from vechecluster.natsnodes import nats_server_binary
from vechecluster.procs import port_open, wait_for

AUTH = """authorization {
  users: [
    { user: "appeal-service", password: "s3cret", permissions: { publish: ["veche.>", "_INBOX.>", "$JS.API.>"], subscribe: ["veche.>", "_INBOX.>"] } }
  ]
}
"""


@pytest.fixture
def layout(tmp_path):
    auth = tmp_path / "users.conf"
    auth.write_text(AUTH)
    free = 47000 + os.getpid() % 1000 * 2  # a base whose +1..+33 ports are unlikely to be taken
    return Layout.from_env({"VECHE_CLUSTER_STATE_DIR": str(tmp_path / "state"), "VECHE_CLUSTER_NATS_PORT": str(free),
                            "VECHE_NATS_AUTH_CONF": str(auth), "VECHE_CLUSTER_FEDERATION": "1"})


def test_region_node_config_with_authorization_include_is_valid(layout, tmp_path):
    node = layout.nats[0]
    conf = natsconf.write(str(tmp_path / node.name), natsconf.region_node(layout, node, str(tmp_path / "store")),
                          layout.auth_conf)
    text = open(conf).read()
    assert "include ./auth.conf" in text and open(tmp_path / node.name / "auth.conf").read() == AUTH
    assert 'deny_imports: ["veche.>", "$SRV.>"]' in text and 'deny_exports: ["veche.>", "$SRV.>"]' in text
    assert f'domain: "{layout.js_domain}"' in text
    r = subprocess.run([nats_server_binary(), "-t", "-c", conf], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_included_users_are_enforced(layout, tmp_path):
    import asyncio

    import nats
    node = layout.nats[0]
    lines = [l for l in natsconf.region_node(layout, node, str(tmp_path / "store"))]
    # A lone node: drop the cluster routes and the leaf remote, keep the authorization include.
    lone = lines[:lines.index("cluster {")]
    conf = natsconf.write(str(tmp_path / "lone"), lone, layout.auth_conf)
    server = subprocess.Popen([nats_server_binary(), "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: port_open(node.client_port), 10)

        async def attempt(user, password):
            nc = await nats.connect(node.url, user=user, password=password, max_reconnect_attempts=0,
                                    allow_reconnect=False, connect_timeout=2)
            await nc.close()

        asyncio.run(attempt("appeal-service", "s3cret"))
        with pytest.raises(nats.errors.Error) as refused:
            asyncio.run(attempt("appeal-service", "wrong"))
        assert "Authorization Violation" in str(refused.value)
    finally:
        server.terminate()
        server.wait(timeout=10)
        time.sleep(0.1)
