"""The faults: kill -9 of a service or gateway instance, of one NATS node and of the PostgreSQL primary, each
undone (restarted) before the next, with the time until the load's next acknowledged write after the fault
(time to recover)."""
import time
from dataclasses import dataclass


@dataclass
class Fault:
    """One injected fault: what was killed, when (monotonic), after how long it was restarted, and how long
    until the load got its next acknowledgement (None: none before the run ended)."""
    what: str
    at: float
    down_s: float
    recover_s: float = None


def schedule(cluster, rng):
    """The fault order of one round: two service instances, one NATS node, the PostgreSQL primary."""
    services = [i.name for i in cluster.layout.instances]
    return [rng.choice([s for s in services if s.startswith("appeal-service")]),
            rng.choice([s for s in services if not s.startswith("appeal-service")]),
            rng.choice([n.name for n in cluster.layout.nats]),
            "pg-primary"]


def inject(cluster, name, down_s, log):
    """Kills `name` (pg-primary: whichever PostgreSQL node is primary now), waits `down_s`, starts it again."""
    if name == "pg-primary":
        primary = cluster.pg.primary()
        if primary is None:
            log(f"no PostgreSQL primary to kill; skipped")
            return None
        name = primary.name
    at = time.monotonic()
    log(f"kill -9 {name}")
    cluster.kill(name)
    time.sleep(down_s)
    log(f"start {name}")
    cluster.start(name)
    return Fault(name, at, down_s)


def recovery(faults, acks):
    """Fills each fault's time to recover: first acknowledgement at or after the kill."""
    acks = sorted(acks)
    for f in faults:
        f.recover_s = next((a - f.at for a in acks if a >= f.at), None)
    return faults
