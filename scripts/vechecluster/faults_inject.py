"""The faults: kill -9 of a service or gateway instance, of one NATS node and of the PostgreSQL primary, each
undone (restarted) before the next. Time to recover: from the kill to the last failed attempt of the load
(timeout, refused connection, 429, 5xx, unacknowledged publish) before the next fault; 0 when the load
never noticed."""
import time
from dataclasses import dataclass

from .procs import wait_for


@dataclass
class Fault:
    """One injected fault: what was killed, when (monotonic), after how long it was restarted, how many
    attempts of the load failed until the next fault and when the last of them was (seconds after the kill)."""
    what: str
    at: float
    down_s: float
    failed: int = 0
    recover_s: float = 0.0


def schedule(cluster, rng):
    """The fault order of one round: two service instances, one NATS node, the PostgreSQL primary."""
    services = [i.name for i in cluster.layout.instances]
    return [rng.choice([s for s in services if s.startswith("appeal-service")]),
            rng.choice([s for s in services if not s.startswith("appeal-service")]),
            rng.choice([n.name for n in cluster.layout.nats]),
            "pg-primary"]


def inject(cluster, name, down_s, log):
    """Kills `name`, waits `down_s`, starts it again. pg-primary: kills whichever PostgreSQL node is primary now
    and restarts it only after pg_auto_failover promoted the standby (at most 90 s), so it rejoins as standby."""
    old = None
    if name == "pg-primary":
        old = cluster.pg.primary()
        if old is None:
            log("no PostgreSQL primary to kill; skipped")
            return None
        name = old.name
    at = time.monotonic()
    log(f"kill -9 {name}")
    cluster.kill(name)
    time.sleep(down_s)
    if old is not None and wait_for(lambda: cluster.pg.primary() not in (None, old), 90, 1.0):
        log(f"standby promoted after {time.monotonic() - at:.1f} s")
    log(f"start {name}")
    cluster.start(name)
    return Fault(name, at, time.monotonic() - at)


def recovery(faults, failures, end):
    """Fills each fault's failed attempts and time to recover from the failures' times (monotonic)."""
    for f, until in zip(faults, [g.at for g in faults[1:]] + [end]):
        window = [t - f.at for t in failures if f.at <= t < until]
        f.failed, f.recover_s = len(window), max(window, default=0.0)
    return faults
