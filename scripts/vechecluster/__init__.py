"""The Veche regional cluster on loopback, as a library for `scripts/veche cluster` and for test and
fault-injection drivers: 3 nats-server nodes (JetStream R3), PostgreSQL primary + standby + monitor
(pg_auto_failover), two instances of every service and of the gateway.

    from vechecluster import Cluster
    c = Cluster.from_env(bin_dir=".build/debug")
    c.up()                      # create or resume everything, wait until ready
    c.kill("nats-2")            # kill -9 one component: nats-<i>, pg-node<i>, <program>-<i>
    c.start("nats-2")           # bring it back (a killed PostgreSQL node rejoins as standby)
    c.status()                  # dict: NATS leaders/replicas/connections, PostgreSQL states, processes
    c.down()
"""
import os
import shutil

from . import identity, natsconf
from .layout import HOST, Layout
from .natsnodes import NatsCluster, monitor, nats_server_binary
from .pgha import PgHA
from .procs import Processes, port_open, wait_for
from .services import Services

__all__ = ["Cluster", "Layout"]
HUB = "federal-hub"


class Cluster:
    def __init__(self, layout, bin_dir):
        self.layout = layout
        os.makedirs(layout.state, exist_ok=True)
        self.procs = Processes(layout.state)
        self.nats = NatsCluster(layout, self.procs)
        self.pg = PgHA(layout, self.procs)
        self.services = Services(layout, self.procs, bin_dir)

    @classmethod
    def from_env(cls, bin_dir=None, env=None):
        layout = Layout.from_env(env)
        return cls(layout, bin_dir or os.environ.get("VECHE_BIN_DIR", ".build/debug"))

    # -- whole cluster ------------------------------------------------------------------------

    def up(self, services=True):
        """Creates or resumes everything: NATS with the platform's users and permissions, PostgreSQL with the
        services' roles (created on the primary, replicated to the standby), then the instances."""
        if self.layout.generate_auth:
            identity.write_bus_authorization(self.services.bin_dir, self.layout.secrets, self.layout.auth_conf)
        self.nats.start_all()
        self.pg.up()
        # A resumed pair can still be settling (the monitor re-elects after both keepers report): wait for a
        # primary that the monitor and libpq agree on rather than trusting one probe.
        primary = wait_for(lambda: self.pg.healthy() and self.pg.primary(), 90, 1.0)
        if not primary:
            raise RuntimeError(f"no stable PostgreSQL primary after start: {self.pg.state()}")
        identity.setup_database(self.services.bin_dir, f"host={HOST} port={primary.port} dbname=postgres user=postgres",
                                "veche", self.layout.secrets)
        if services:
            self.services.up()

    def down(self):
        self.services.stop_all()
        self.stop_hub()
        self.nats.stop_all()
        self.pg.stop_all()

    def purge(self):
        """Deletes all state (stops everything first)."""
        self.down()
        shutil.rmtree(self.layout.state, ignore_errors=True)
        os.makedirs(self.layout.state, exist_ok=True)
        self.procs = Processes(self.layout.state)
        self.nats.procs = self.pg.procs = self.services.procs = self.procs

    # -- single components (fault injection) --------------------------------------------------

    def component_names(self):
        return [n.name for n in self.layout.nats] + [n.name for n in self.layout.pg] + [i.name for i in self.layout.instances]

    def _component(self, name):
        """(manager, item) for a component name; managers have kill(item) and start(item)."""
        if name.startswith("nats-"):
            return self.nats, self.layout.nats_node(name)
        if name.startswith("pg-node"):
            return self.pg, self.layout.pg_node(name)
        return self.services, self.layout.instance(name)

    def kill(self, name):
        """kill -9 of one component by name (see component_names())."""
        manager, item = self._component(name)
        manager.kill(item)

    def start(self, name):
        """Starts one (killed or stopped) component again."""
        manager, item = self._component(name)
        manager.start(item)

    # -- federal hub --------------------------------------------------------------------------

    def start_hub(self):
        """The federal hub (one node, JetStream domain "federal") the regional nodes connect to as leaf
        nodes when VECHE_CLUSTER_FEDERATION=1."""
        store = self.layout.dir("nats", HUB, "store")
        conf = natsconf.write(self.layout.dir("nats", HUB), natsconf.federal_hub(self.layout, store))
        self.procs.start(HUB, [nats_server_binary(), "-c", conf])
        if not wait_for(lambda: port_open(self.layout.hub_client_port), 20):
            raise RuntimeError(f"federal hub did not start; see {self.procs.log_path(HUB)}")

    def stop_hub(self):
        self.procs.stop(HUB)

    def leaf_connections(self):
        """How many regional nodes are connected to the hub as leaf nodes."""
        return (monitor(self.layout.hub_monitor_port, "/leafz") or {}).get("leafnodes", 0)

    # -- status -------------------------------------------------------------------------------

    def status(self):
        return {
            "nats": {"nodes": {n.name: {"url": n.url, "running": self.procs.alive(n.name)} for n in self.layout.nats},
                     "meta_leader": self.nats.meta_leader(),
                     "streams": self.nats.streams(),
                     "connections": self.nats.connections()},
            "postgres": {"conninfo": self.layout.postgres_conninfo,
                         "monitor_running": self.procs.alive("pg-monitor"),
                         "nodes": self.pg.state()},
            "instances": {i.name: {"running": self.procs.alive(i.name), **({"http": f"http://127.0.0.1:{i.http_port}"}
                                                                            if i.http_port else {})}
                          for i in self.layout.instances},
        }
