"""PostgreSQL with automatic failover by pg_auto_failover (Debian postgresql-15-auto-failover):
a monitor and two data nodes (primary + streaming-replication standby, synchronous by default).

Why pg_auto_failover rather than Patroni: it needs no separate consensus store (Patroni needs etcd,
Consul or ZooKeeper, i.e. one more clustered service to deploy and lose), it is one Debian package with
the PostgreSQL extension it uses, and two data nodes + a monitor is exactly the region layout. The
monitor is not on the data path: losing it stops failover, not service.

Failover timing is tightened for the loopback cluster (defaults take ~30-50 s): the monitor checks
health every second and declares a node dead after 3 s; a primary that cannot reach the monitor or
its standby demotes itself after 5 s (network_partition_timeout), and the monitor waits 8 s
(primary_demote_timeout, kept above that) before the standby may accept writes - so a partitioned old
primary has stopped writing before the new one starts.
"""
import os
import shutil
import subprocess

from .layout import HOST
from .procs import chown_for, kill_tree, run_as, wait_for

PG_BIN = "/usr/lib/postgresql/15/bin"
MONITOR = "pg-monitor"
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "3000",
    "pgautofailover.primary_demote_timeout": "8000",
}
NODE_TIMEOUTS = {"timeout.network_partition_timeout": "5"}
# pg_autoctl sizes shared_buffers at a quarter of RAM; several instances share this machine.
SERVER_SETTINGS = "shared_buffers = '128MB'\nmax_connections = 200\n"


class PgHA:
    def __init__(self, layout, procs):
        self.layout = layout
        self.procs = procs
        self.user = run_as()
        self.root = layout.dir("pg")

    # -- paths and commands --------------------------------------------------------------------

    def pgdata(self, name):
        return os.path.join(self.root, name)

    def env(self):
        """pg_autoctl keeps its config and state under XDG dirs: keep them inside the cluster's state."""
        xdg = os.path.join(self.root, "xdg")
        return dict(os.environ, XDG_CONFIG_HOME=os.path.join(xdg, "config"), XDG_DATA_HOME=os.path.join(xdg, "data"),
                    XDG_RUNTIME_DIR=os.path.join(xdg, "run"), PG_CONFIG=os.path.join(PG_BIN, "pg_config"))

    def autoctl(self, *args, check=True):
        """Runs one pg_autoctl command (as the postgres user when we are root)."""
        argv = ["pg_autoctl", *args]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        r = subprocess.run(argv, env=self.env(), cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}")
        return r.stdout

    def monitor_uri(self):
        return f"postgres://autoctl_node@{HOST}:{self.layout.monitor_port}/pg_auto_failover?sslmode=disable"

    def sql(self, port, query, dbname="postgres", timeout=5, attrs="any"):
        """Runs `query` with psql; returns rows as lists of strings (None when the server is unreachable,
        or is not what `attrs`, a libpq target_session_attrs, asks for)."""
        conninfo = f"host={HOST} port={port} user=postgres dbname={dbname} target_session_attrs={attrs}"
        r = subprocess.run(["psql", conninfo, "-tAX", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", query],
                           env=dict(os.environ, PGCONNECT_TIMEOUT="2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            return None
        return [line.split("|") for line in r.stdout.splitlines() if line]

    # -- create / run -------------------------------------------------------------------------

    def _prepare_dirs(self):
        for d in (self.root, os.path.join(self.root, "xdg"), os.path.join(self.root, "xdg", "run")):
            os.makedirs(d, exist_ok=True)
            chown_for(d, self.user)

    def _append_settings(self, name):
        path = os.path.join(self.pgdata(name), "postgresql.auto.conf")
        with open(path, "a") as f:
            f.write(SERVER_SETTINGS)

    def _run(self, name):
        self.procs.start(name, ["pg_autoctl", "run", "--pgdata", self.pgdata(name)], env=self.env(), user=self.user,
                         cwd=self.root)

    def _common(self, name, port):
        return ["--pgctl", os.path.join(PG_BIN, "pg_ctl"), "--pgdata", self.pgdata(name), "--pgport", str(port),
                "--hostname", HOST, "--listen", HOST, "--auth", "trust", "--no-ssl", "--ssl-mode", "disable"]

    def create_monitor(self):
        self.autoctl("create", "monitor", *self._common(MONITOR, self.layout.monitor_port))
        self._append_settings(MONITOR)
        self._run(MONITOR)
        if not wait_for(lambda: self.sql(self.layout.monitor_port, "SELECT 1", "pg_auto_failover"), 30):
            raise RuntimeError(f"pg_auto_failover monitor did not start; see {self.procs.log_path(MONITOR)}")
        for key, value in MONITOR_SETTINGS.items():
            self.sql(self.layout.monitor_port, f"ALTER SYSTEM SET {key} = '{value}'", "pg_auto_failover")
        self.sql(self.layout.monitor_port, "SELECT pg_reload_conf()", "pg_auto_failover")

    def create_node(self, node):
        """Registers a data node: the first becomes the primary (initdb), the next a standby (pg_basebackup)."""
        self.autoctl("create", "postgres", *self._common(node.name, node.port), "--name", node.name, "--dbname", "veche",
                     "--monitor", self.monitor_uri())
        if node.index == 1:
            self._append_settings(node.name)
        for key, value in NODE_TIMEOUTS.items():
            self.autoctl("config", "set", "--pgdata", self.pgdata(node.name), key, value)
        self._run(node.name)

    def up(self):
        """Creates what does not exist yet, starts what is not running, waits for primary + secondary."""
        self._prepare_dirs()
        if os.path.exists(os.path.join(self.pgdata(MONITOR), "PG_VERSION")):
            self._run(MONITOR)
        else:
            self.create_monitor()
        for node in self.layout.pg:
            if os.path.exists(os.path.join(self.pgdata(node.name), "PG_VERSION")):
                self._run(node.name)
            else:
                self.create_node(node)
                if node.index == 1 and not wait_for(lambda: self.primary(), 60):
                    raise RuntimeError("the first node did not become primary")
        if not wait_for(self.healthy, 120):
            raise RuntimeError(f"PostgreSQL nodes did not reach primary + secondary: {self.state()}")
        # On a resume the monitor reports its last known states before the primary accepts connections again.
        if not wait_for(self.primary, 60):
            raise RuntimeError(f"no PostgreSQL node accepts writes: {self.state()}")

    def start(self, node):
        """Restarts a killed data node: its keeper rejoins it as a standby (pg_rewind when needed)."""
        self._run(node.name)

    # -- faults -------------------------------------------------------------------------------

    def kill(self, node):
        """kill -9 of a whole data node: the keeper, the postmaster and every backend (a host crash)."""
        postmaster = self.postmaster_pid(node)
        self.procs.kill(node.name)
        if postmaster:
            kill_tree(postmaster)

    def postmaster_pid(self, node):
        try:
            with open(os.path.join(self.pgdata(node.name), "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def stop_all(self):
        for name in [n.name for n in reversed(self.layout.pg)] + [MONITOR]:
            if self.procs.alive(name):
                self.autoctl("stop", "--pgdata", self.pgdata(name), check=False)
                if not wait_for(lambda: not self.procs.alive(name), 30):
                    self.procs.kill(name)

    # -- state --------------------------------------------------------------------------------

    def state(self):
        """The monitor's view: [{"name", "port", "reported", "assigned", "health"}]."""
        rows = self.sql(self.layout.monitor_port, "SELECT nodename, nodeport, reportedstate, goalstate, health "
                                                  "FROM pgautofailover.node ORDER BY nodeid", "pg_auto_failover") or []
        return [{"name": r[0], "port": int(r[1]), "reported": r[2], "assigned": r[3], "health": int(r[4])} for r in rows]

    def primary(self):
        """The data node that accepts writes now, as libpq sees it (what the services' connection string
        picks), or None."""
        for node in self.layout.pg:
            if self.sql(node.port, "SELECT 1", timeout=3, attrs="read-write"):
                return node
        return None

    def healthy(self):
        states = sorted((s["reported"], s["assigned"]) for s in self.state())
        return states == [("primary", "primary"), ("secondary", "secondary")]

    def purge(self):
        shutil.rmtree(self.root, ignore_errors=True)
