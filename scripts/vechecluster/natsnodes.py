"""The regional nats-server cluster (and the federal hub): start, kill -9, and what the monitoring
endpoints say (JetStream meta leader, stream leaders and replicas, which instance is connected where).
Monitoring is read over HTTP, so it works whatever authorization the client port requires."""
import json
import shutil
import urllib.request

from . import natsconf
from .procs import port_open, wait_for


def nats_server_binary():
    return shutil.which("nats-server") or "/usr/sbin/nats-server"


def monitor(port, path, timeout=2.0):
    """GET http://127.0.0.1:<port><path> as JSON; None when the node is down."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


class NatsCluster:
    def __init__(self, layout, procs):
        self.layout = layout
        self.procs = procs

    def start(self, node):
        """Writes the node's config (every time: the authorization file may have changed) and starts it."""
        store = self.layout.dir("nats", node.name, "store")
        conf = natsconf.write(self.layout.dir("nats", node.name), natsconf.region_node(self.layout, node, store),
                              self.layout.auth_conf)
        self.procs.start(node.name, [nats_server_binary(), "-c", conf])

    def start_all(self):
        for node in self.layout.nats:
            self.start(node)
        for node in self.layout.nats:
            if not wait_for(lambda: port_open(node.client_port), 20):
                raise RuntimeError(f"{node.name} did not open {node.client_port}; see {self.procs.log_path(node.name)}")
        if not wait_for(self.meta_leader, 30):
            raise RuntimeError("JetStream elected no meta leader")

    def kill(self, node):
        return self.procs.kill(node.name)

    def stop_all(self):
        for node in self.layout.nats:
            self.procs.stop(node.name)

    def live(self):
        return [n for n in self.layout.nats if self.procs.alive(n.name)]

    def meta_leader(self):
        """Name of the JetStream meta-group leader as a live node sees it (None while electing)."""
        for node in self.live():
            jsz = monitor(node.monitor_port, "/jsz")
            leader = ((jsz or {}).get("meta_cluster") or {}).get("leader")
            if leader:
                return leader
        return None

    def streams(self):
        """{stream: {"leader", "replicas" (configured), "peers": [{"name", "current", "lag"}], "messages",
        "consumers": {durable: {"leader", "replicas", "peers"}}}} merged from every live node."""
        out = {}
        for node in self.live():
            jsz = monitor(node.monitor_port, "/jsz?streams=true&consumers=true&config=true")
            for account in (jsz or {}).get("account_details") or []:
                for s in account.get("stream_detail") or []:
                    cluster = s.get("cluster") or {}
                    entry = out.setdefault(s["name"], {"consumers": {}})
                    entry["replicas"] = (s.get("config") or {}).get("num_replicas", 1)
                    entry["messages"] = max(entry.get("messages", 0), (s.get("state") or {}).get("messages", 0))
                    if cluster.get("leader") and node.name == cluster["leader"]:
                        entry["leader"] = cluster["leader"]
                        entry["peers"] = cluster.get("replicas") or []
                    for c in s.get("consumer_detail") or []:
                        cc = c.get("cluster") or {}
                        centry = entry["consumers"].setdefault(c["name"], {})
                        centry["replicas"] = (c.get("config") or {}).get("num_replicas") or entry["replicas"]
                        if cc.get("leader") and node.name == cc["leader"]:
                            centry["leader"] = cc["leader"]
                            centry["peers"] = cc.get("replicas") or []
        return out

    def connections(self):
        """{node name: [connection names]}: which process is connected to which node."""
        out = {}
        for node in self.live():
            connz = monitor(node.monitor_port, "/connz?limit=1024")
            out[node.name] = sorted(c.get("name", "") for c in (connz or {}).get("connections") or [])
        return out
