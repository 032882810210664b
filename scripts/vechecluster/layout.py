"""Where every piece of the loopback cluster lives: ports, directories, names (one source of truth).

Port plan (all on 127.0.0.1), from three bases:
  VECHE_CLUSTER_NATS_PORT (default 4400): NATS node i (1..3) serves clients on base+i, routes on base+10+i,
      monitoring on base+20+i; the federal hub (federation test) clients base+31, leaf nodes base+32,
      monitoring base+33.
  VECHE_CLUSTER_PG_PORT (default 5600): pg_auto_failover monitor on base, data nodes on base+1 and base+2.
  VECHE_CLUSTER_HTTP_PORT (default 8200): gateway i (1..2) on base+i.
State under VECHE_CLUSTER_STATE_DIR (default $VECHE_STATE_DIR/cluster, i.e. /var/tmp/veche/cluster).
Identities and secrets (NATS users, OAuth clients, PostgreSQL roles) are the single-node platform's
(VECHE_SECRETS_DIR, see identity.py); the NATS users and permissions are generated into the cluster's state
unless VECHE_NATS_AUTH_CONF names a file to include instead.
"""
import os
from dataclasses import dataclass, field

from . import identity

HOST = "127.0.0.1"
NATS_NODES = 3
PG_NODES = 2
INSTANCES = 2
SERVICES = ("agency-service", "appeal-service", "rating-service", "survey-service")
# ADR-32 names the services announce on $SRV.PING (Contracts' generated `name`).
SERVICE_NAMES = {"agency-service": "AgencyService", "appeal-service": "AppealService",
                 "rating-service": "RatingService", "survey-service": "SurveyService"}
STREAMS = ("VECHE_INTAKE", "VECHE_MENTIONS", "VECHE_APPEAL_EVENTS", "VECHE_SURVEY_BATCHES")


def _port(env, name, default):
    value = env.get(name, "")
    return int(value) if value.strip() else default


@dataclass(frozen=True)
class NatsNode:
    """One nats-server of the regional cluster ("nats-<i>")."""
    name: str
    index: int
    client_port: int
    route_port: int
    monitor_port: int

    @property
    def url(self):
        return f"nats://{HOST}:{self.client_port}"


@dataclass(frozen=True)
class PgNode:
    """A pg_auto_failover data node, PostgreSQL + its keeper ("pg-node<i>")."""
    name: str
    index: int
    port: int


@dataclass(frozen=True)
class Instance:
    """One running copy of a service or of the gateway ("<program>-<i>")."""
    name: str
    program: str
    http_port: int = 0


@dataclass
class Layout:
    state: str
    nats_base: int
    pg_base: int
    http_base: int
    js_domain: str = "region"
    cluster_name: str = "veche-region"
    auth_conf: str = ""
    # True: auth_conf is generated from the platform's users (veche-tool bus-config) before NATS starts.
    generate_auth: bool = False
    secrets: str = ""
    federal_leaf_port: int = 0
    nats: list = field(default_factory=list)
    pg: list = field(default_factory=list)
    instances: list = field(default_factory=list)

    @classmethod
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        state = env.get("VECHE_CLUSTER_STATE_DIR") or os.path.join(env.get("VECHE_STATE_DIR") or "/var/tmp/veche", "cluster")
        layout = cls(state=os.path.abspath(state),
                     nats_base=_port(env, "VECHE_CLUSTER_NATS_PORT", 4400),
                     pg_base=_port(env, "VECHE_CLUSTER_PG_PORT", 5600),
                     http_base=_port(env, "VECHE_CLUSTER_HTTP_PORT", 8200),
                     js_domain=env.get("VECHE_CLUSTER_JS_DOMAIN") or "region",
                     auth_conf=env.get("VECHE_NATS_AUTH_CONF") or os.path.join(os.path.abspath(state), "nats-auth.conf"),
                     generate_auth=not env.get("VECHE_NATS_AUTH_CONF"),
                     secrets=identity.secrets_dir(env))
        if env.get("VECHE_CLUSTER_FEDERATION", "") in ("1", "true", "yes"):
            layout.federal_leaf_port = layout.hub_leaf_port
        b = layout.nats_base
        layout.nats = [NatsNode(f"nats-{i}", i, b + i, b + 10 + i, b + 20 + i) for i in range(1, NATS_NODES + 1)]
        layout.pg = [PgNode(f"pg-node{i}", i, layout.pg_base + i) for i in range(1, PG_NODES + 1)]
        layout.instances = [Instance(f"{p}-{i}", p) for p in SERVICES for i in range(1, INSTANCES + 1)]
        layout.instances += [Instance(f"gateway-{i}", "gateway", layout.http_base + i) for i in range(1, INSTANCES + 1)]
        return layout

    # Federal hub (one node, its own JetStream domain) used to show regions federating.
    @property
    def hub_client_port(self):
        return self.nats_base + 31

    @property
    def hub_leaf_port(self):
        return self.nats_base + 32

    @property
    def hub_monitor_port(self):
        return self.nats_base + 33

    @property
    def monitor_port(self):
        return self.pg_base

    @property
    def nats_url_list(self):
        """What VECHE_NATS_URL holds in the cluster: every node, comma-separated."""
        return ",".join(n.url for n in self.nats)

    @property
    def postgres_hosts(self):
        """Multi-host libpq string without a user: a new connection always lands on the current primary."""
        hosts = ",".join(HOST for _ in self.pg)
        ports = ",".join(str(n.port) for n in self.pg)
        return f"host={hosts} port={ports} dbname=veche target_session_attrs=read-write connect_timeout=2"

    @property
    def postgres_conninfo(self):
        """The administrator's connection (operations and tests); services log in with their own roles."""
        return f"{self.postgres_hosts} user=postgres"

    def dir(self, *parts):
        return os.path.join(self.state, *parts)

    def nats_node(self, name):
        return next(n for n in self.nats if n.name == name)

    def pg_node(self, name):
        return next(n for n in self.pg if n.name == name)

    def instance(self, name):
        return next(i for i in self.instances if i.name == name)

    def gateways(self):
        return [i for i in self.instances if i.program == "gateway"]

    def service_env(self, instance, base_env=None):
        """Environment of one service or gateway instance."""
        env = dict(os.environ if base_env is None else base_env)
        # Instances are spread over the nodes deterministically: each lists "its" node first and keeps
        # the order, the others follow as reconnect targets. application_name shows in pg_stat_activity
        # which instance holds which connection.
        k = self.instances.index(instance) % len(self.nats)
        urls = [n.url for n in self.nats[k:] + self.nats[:k]]
        env.update(identity.process_env(instance.program, self.secrets, f"{self.postgres_hosts} application_name={instance.name}"))
        env.update(VECHE_NATS_URL=",".join(urls), VECHE_NATS_RANDOMIZE="0",
                   VECHE_JS_REPLICAS=str(NATS_NODES),
                   VECHE_INSTANCE_ID=instance.name, VECHE_LOG_LEVEL=env.get("VECHE_LOG_LEVEL", "info"), VECHE_HTTP_HOST=HOST)
        if instance.http_port:
            env["VECHE_HTTP_PORT"] = str(instance.http_port)
        return env
