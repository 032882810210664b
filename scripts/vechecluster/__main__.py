"""CLI behind `scripts/veche cluster up|down|status|kill|start|env|purge`."""
import argparse
import json
import sys

from . import Cluster


def print_status(s):
    nats = s["nats"]
    print(f"NATS (JetStream meta leader: {nats['meta_leader'] or '-'})")
    for name, node in nats["nodes"].items():
        conns = [c for c in nats["connections"].get(name, []) if c]
        print(f"  {name:8} {node['url']:24} {'up' if node['running'] else 'DOWN':5} clients: {', '.join(conns) or '-'}")
    for stream, info in sorted(nats["streams"].items()):
        peers = ", ".join(f"{p['name']}{'' if p.get('current') else ' (behind)'}" for p in info.get("peers", []))
        print(f"  stream {stream}: R{info.get('replicas')} leader {info.get('leader', '-')} followers [{peers}] "
              f"messages {info.get('messages', 0)}")
        for durable, c in sorted(info["consumers"].items()):
            print(f"    consumer {durable}: R{c.get('replicas')} leader {c.get('leader', '-')}")
    pg = s["postgres"]
    print(f"PostgreSQL (pg_auto_failover monitor {'up' if pg['monitor_running'] else 'DOWN'}): {pg['conninfo']}")
    for n in pg["nodes"]:
        print(f"  {n['name']:9} port {n['port']}  reported {n['reported']:16} assigned {n['assigned']:16} "
              f"{'healthy' if n['health'] == 1 else 'unhealthy'}")
    print("Instances")
    for name, i in s["instances"].items():
        print(f"  {name:18} {'up' if i['running'] else 'DOWN':5} {i.get('http', '')}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scripts/veche cluster")
    ap.add_argument("--bin", help="directory with the built executables (default VECHE_BIN_DIR or .build/debug)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="create or resume the cluster and wait until it is ready")
    up.add_argument("--no-services", action="store_true", help="servers only (NATS cluster and PostgreSQL HA)")
    sub.add_parser("down", help="stop everything (state is kept)")
    sub.add_parser("purge", help="stop everything and delete the state")
    st = sub.add_parser("status", help="what runs where, stream leaders and replicas, PostgreSQL states")
    st.add_argument("--json", action="store_true")
    k = sub.add_parser("kill", help="kill -9 one component")
    k.add_argument("name")
    s = sub.add_parser("start", help="start one component again")
    s.add_argument("name")
    sub.add_parser("env", help="print VECHE_* settings for a process joining the cluster")
    args = ap.parse_args(argv)

    cluster = Cluster.from_env(bin_dir=args.bin)
    if args.cmd == "up":
        cluster.up(services=not args.no_services)
        print_status(cluster.status())
    elif args.cmd == "down":
        cluster.down()
    elif args.cmd == "purge":
        cluster.purge()
    elif args.cmd == "status":
        status = cluster.status()
        print(json.dumps(status, indent=2)) if args.json else print_status(status)
    elif args.cmd in ("kill", "start"):
        if args.name not in cluster.component_names():
            sys.exit(f"unknown component {args.name}; one of: {', '.join(cluster.component_names())}")
        getattr(cluster, args.cmd)(args.name)
    elif args.cmd == "env":
        lay = cluster.layout
        print(f"export VECHE_NATS_URL='{lay.nats_url_list}'")
        print(f"export VECHE_POSTGRES='{lay.postgres_conninfo}'")
        print("export VECHE_JS_REPLICAS=3")
        print(f"export VECHE_SECRETS_DIR='{lay.secrets}'")
        print("# and the tool's own identity: VECHE_NATS_USER / VECHE_NATS_PASSWORD_FILE (secrets nats/<user>),")
        print("# VECHE_CLIENT_ID / VECHE_CLIENT_SECRET_FILE (secrets clients/<client>), as in `scripts/veche run`")


if __name__ == "__main__":
    main()
