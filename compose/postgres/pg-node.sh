#!/bin/sh
# Creates (first start) and runs one pg_auto_failover node; `pg_autoctl create ... --run` resumes an
# existing node. ROLE=monitor|postgres, PGPORT, NODE_NAME, MONITOR_URI (data nodes). The failover
# timeouts match scripts/vechecluster/pgha.py (README "Production layout").
set -eu
PGDATA=/var/lib/postgresql/data/pgdata
common="--pgdata $PGDATA --pgport $PGPORT --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl --ssl-mode disable"
if [ "$ROLE" = monitor ]; then
  exec pg_autoctl create monitor $common --run
fi
exec pg_autoctl create postgres $common --name "$NODE_NAME" --dbname veche --monitor "$MONITOR_URI" --run
