"""`scripts/veche faults [--duration S] [--seed N]`: the fault-injection suite on the loopback region.

Starts the cluster (scripts/vechecluster, VECHE_CLUSTER_* ports and state), drives mixed load
(faults_load) while it kills and restarts components (faults_inject), lets the platform settle, reads what
the servers hold (faults_audit), judges it (faults_checks) and prints a table. Exit status 1 when anything
acknowledged was lost or applied twice."""
import argparse
import asyncio
import os
import sys
import threading
import time

from . import Cluster, faults_audit, faults_checks, faults_inject
from .faults_load import Load
from .faults_http import new_rng

# Who the load's HTTP writes act as (the importer client may transition, answer and rate): the actor of their events.
WRITER = "client:veche-import"
# Concurrent appeal lifecycles over HTTP.
WORKERS = 8


def proto_modules(root):
    """Python protobuf modules of proto/ (protoc --python_out into the state dir)."""
    import importlib
    import subprocess
    out = os.path.join(root, "pyproto")
    os.makedirs(out, exist_ok=True)
    proto = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "proto")
    files = [os.path.relpath(os.path.join(d, f), proto) for d, _, fs in os.walk(proto) for f in fs if f.endswith(".proto")]
    subprocess.run(["protoc", "-I", proto, f"--python_out={out}"] + files, check=True)
    sys.path.insert(0, out)
    return importlib.import_module("veche.appeal.v1.appeal_pb2")


def settle(cluster, load, run_id, timeout, log):
    """Waits until every acknowledged intake message is an appeal, the outbox is empty and RatingService has
    applied every event (or `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = {r[0] for r in faults_audit.run_appeals(cluster, run_id)}
        want = faults_audit.recomputed_facts(cluster, run_id)
        got = faults_audit.projected_facts(cluster, list(want))
        if set(load.rec.intake_acked) <= stored and faults_audit.unpublished(cluster) == 0 and got == want:
            return True
        time.sleep(2)
    log("settle: timed out; checking what is there")
    return False


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scripts/veche faults")
    ap.add_argument("--duration", type=float, default=120, help="seconds of load with faults (default 120)")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--bin", default=os.environ.get("VECHE_BIN_DIR", ".build/debug"))
    ap.add_argument("--fresh", action="store_true",
                    help="purge the cluster's state first (the test command: a cluster left by another run may still be failing over)")
    ap.add_argument("--data", default=os.environ.get("VECHE_SHARED_DATA", "../shared/data"))
    args = ap.parse_args(argv)
    started = time.monotonic()

    def log(msg):
        print(f"[faults {time.monotonic() - started:6.1f}s] {msg}", flush=True)

    rng = new_rng(args.seed)
    run_id = f"faults{args.seed}x{int(time.time())}"
    env = dict(os.environ, VECHE_LOG_LEVEL=os.environ.get("VECHE_LOG_LEVEL", "notice"))
    if args.fresh:
        Cluster.from_env(bin_dir=args.bin, env=env).purge()
    state = Cluster.from_env(bin_dir=args.bin, env=env).layout.state
    os.makedirs(state, exist_ok=True)
    auth = os.path.join(state, "faults-auth.conf")
    password = faults_audit.write_auth(args.bin, Cluster.from_env(env=env).layout.secrets, state, auth)
    cluster = Cluster.from_env(bin_dir=args.bin, env=dict(env, VECHE_NATS_AUTH_CONF=auth))
    log(f"seed {args.seed}, run {run_id}: cluster up in {state}")
    cluster.up()
    pb = proto_modules(state)
    agency = faults_audit.agency(cluster)
    first_event = asyncio.run(faults_audit.stream_last_seq(cluster, password))
    stop = threading.Event()
    load = Load(cluster, run_id, rng, args.data, agency, stop)
    threads = [threading.Thread(target=load.intake, args=(pb,), daemon=True),
               threading.Thread(target=load.survey, args=(args.seed + 1,), daemon=True)]
    threads += [threading.Thread(target=load.lifecycle_worker, args=(args.seed + 10 + i,), daemon=True) for i in range(WORKERS)]

    def discoverer():
        while not stop.is_set():
            load.discover(lambda: faults_audit.registered(cluster, run_id))
            time.sleep(1.5)
    threads.append(threading.Thread(target=discoverer, daemon=True))
    for t in threads:
        t.start()

    faults, load_end = [], time.monotonic() + args.duration
    time.sleep(min(15, args.duration / 6))
    while time.monotonic() < load_end - 20:
        for name in faults_inject.schedule(cluster, rng):
            if time.monotonic() >= load_end - 20:
                break
            f = faults_inject.inject(cluster, name, rng.uniform(3, 8), log)
            if f:
                faults.append(f)
            time.sleep(rng.uniform(5, 10))
    while time.monotonic() < load_end:
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    load_stopped = time.monotonic()
    log("load stopped; waiting for the platform to settle")
    settled = settle(cluster, load, run_id, 180, log)

    rec = load.rec
    stored = faults_audit.run_appeals(cluster, run_id)
    committed = faults_audit.appeal_events(cluster, run_id)
    events = asyncio.run(faults_audit.stream_events(cluster, password, pb, after=first_event))
    ids = {r[1] for r in stored}
    want = faults_audit.recomputed_facts(cluster, run_id)
    verdicts = [faults_checks.intake(rec.intake_acked, [r[0] for r in stored]),
                faults_checks.writes(rec.writes, faults_audit.appeal_events(cluster, run_id, actor=WRITER)),
                faults_checks.event_order([e for e in events if e[0] in ids], {a: len(t) for a, t in committed.items()}),
                faults_checks.projection(faults_audit.projected_facts(cluster, list(want)), want),
                faults_checks.survey_rows(rec.batches_acked, faults_audit.survey_rows(cluster, f"faults-{run_id}"))]
    faults_inject.recovery(faults, rec.failures, load_stopped)
    ok = report(args, faults, rec, verdicts, settled)
    cluster.down()
    return 0 if ok else 1


def report(args, faults, rec, verdicts, settled):
    print(f"\nFault injection: {args.duration:.0f} s of load, seed {args.seed}")
    print(f"{'fault (kill -9, then restart)':34} {'down s':>7} {'failed attempts':>16} {'recover s':>10}")
    for f in faults:
        print(f"{f.what:34} {f.down_s:7.1f} {f.failed:16} {f.recover_s:10.1f}")
    acked_writes = sum(1 for w in rec.writes if w.acked)
    print(f"\n{'operations':34} {'attempted':>10} {'acked':>7}")
    print(f"{'intake messages (JetStream)':34} {rec.intake_sent:10} {len(rec.intake_acked):7}")
    print(f"{'HTTP writes (logical, keyed)':34} {len(rec.writes):10} {acked_writes:7}")
    print(f"{'survey batches (HTTP, keyed)':34} {rec.batches_sent:10} {len(rec.batches_acked):7}")
    print(f"{'HTTP requests (retries, replays)':34} {rec.http_attempts:10}")
    print(f"{'writes acked only after a retry':34} {rec.retried:10}")
    print(f"{'replays that differed':34} {rec.replay_mismatches:10}")
    print(f"\n{'check':52} {'checked':>8} {'lost':>6} {'dup/wrong':>10}")
    for v in verdicts:
        print(f"{v.name:52} {v.checked:8} {len(v.lost):6} {len(v.duplicated):10}")
    for v in verdicts:
        for problem in (v.lost + v.duplicated)[:10]:
            print(f"  {v.name}: {problem}")
    for d in rec.replay_diffs[:10]:
        print(f"  replay differed: {d[:600]}")
    for r in rec.rejected[:10]:
        print(f"  refused: {r}")
    print(f"settled: {'yes' if settled else 'NO (timed out)'}")
    return all(v.ok for v in verdicts) and rec.replay_mismatches == 0


if __name__ == "__main__":
    sys.exit(main())
