#!/usr/bin/env python3
"""Read benchmark of `scripts/veche bench --reads` (issue #10): appeals at scale through the gateway.

Runs against the platform `scripts/veche bench` has started (services and gateway on loopback):
1. tops `appeal.appeals` up to --rows appeals straight in PostgreSQL (one INSERT … SELECT over
   generate_series: real appeal texts of the Kursk ПОС data set from ../shared/data with varied house
   numbers, realistic channels/statuses/topics/agencies/municipalities/deadlines over two years), then
   VACUUM ANALYZE — rows from an earlier run are kept;
   and projects them into RatingService's facts (rating.appeal_facts) as its event consumer would;
2. measures p50/p99/max latency of every request (timed by the load script itself: wrk's own percentiles are
   not per request, see LUA) under wrk (--connections concurrent, --duration s each, signed in as the demo
   analyst: staff without personal data, so reads are not audited row by row) of: lookup by id, first list
   page, filtered list, workspace-style deadline queue, text search, stats, dashboard JSON, the last month's
   ranking of agencies and KPIs (no target in the issue; printed so their cost is seen);
3. measures the cases that have a target again at fewer concurrent connections (--light-connections, default 1
   and 4): wrk is a closed loop (each connection sends its next request when the previous answer came), so at
   16 connections on two cores shared with wrk the latency is mostly queueing behind the other 15; the lighter
   rows show what one request costs and how latency grows with load;
4. prints, under each case at --connections, the CPU each process spent per request (every --pid and --cpu
   process, PostgreSQL with all its backends): what the request costs where, and background work (a service that
   has no part in a read should spend nothing on it);
5. prints peak RSS (VmHWM) of every service process given with --pid NAME=PID.
Prints figures only; asserts nothing.
"""
import argparse
import csv
import gzip
import html
import os
import re
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vechecluster import identity  # noqa: E402

def psql(conninfo, sql, stdin=None):
    r = subprocess.run(["psql", conninfo, "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql], input=stdin,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"psql failed: {r.stderr.strip()}")
    return r.stdout.strip()


def texts(data_dir, limit=1000):
    """Plain texts of real appeals (Kursk ПОС, «Цифровой прорыв 2022»), HTML stripped."""
    out = []
    with gzip.open(os.path.join(data_dir, "kursk_cp2022_appeals_test.csv.gz"), "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            t = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row["Текст Сообщения"]))).strip()
            if len(t) > 40:
                out.append(t[:1500])
            if len(out) >= limit:
                break
    return out


LOAD_SQL = string.Template("""
INSERT INTO appeal.appeals (id, number, channel, external_id, status, title, body, redacted_body, municipality_oktmo, topic_code,
    category_code, classification_confidence, agency_id, monitoring_flags, received_at, registered_at, register_due, forward_due,
    answer_due, first_reaction_due, answered_at, closed_at, answer_text, satisfaction, is_public)
SELECT gen_random_uuid(), 'B-' || i, c.channel, 'bench-' || i, s.status, left(t.body, 60),
       t.body || ' Дом ' || (i % 300 + 1) || '.', t.body || ' Дом ' || (i % 300 + 1) || '.',
       '387' || lpad(((h / 480) % 28 + 1)::text, 2, '0') || '000', tp.topic, tp.topic || '.' || (h / 8) % 3, 0.8,
       CASE WHEN s.status = 'received' THEN ''
            ELSE (ARRAY['kursk-city-zhkh','kursk-gzhi','kursk-city-roads','kursk-city-transport','kursk-health','kursk-education',
                        'kursk-gas','kursk-government'])[1 + ((h / 24) % 8)::int] END,
       CASE WHEN (h / 86400) % 200 = 0 THEN ARRAY['corruption'] WHEN (h / 86400) % 200 = 1 THEN ARRAY['governor'] ELSE '{}' END,
       r.at, r.at + interval '1 hour', r.at + interval '3 days', r.at + interval '7 days', r.at + interval '30 days',
       CASE WHEN c.channel IN ('social', 'messenger') THEN r.at + interval '4 hours' END,
       CASE WHEN s.status IN ('answered', 'closed') THEN r.at + ((h / 7) % 40) * interval '1 day' + interval '2 hours' END,
       CASE WHEN s.status = 'closed' THEN r.at + ((h / 7) % 40) * interval '1 day' + interval '3 days' END,
       CASE WHEN s.status IN ('answered', 'closed') THEN 'Ответ по существу обращения.' ELSE '' END,
       CASE WHEN s.status = 'closed' THEN (h / 11) % 6 ELSE 0 END, c.channel IN ('social', 'messenger')
FROM generate_series($start, $end) i,
     LATERAL (SELECT i::bigint * 2654435761 % 4294967296 AS h) k,
     LATERAL (SELECT (ARRAY['housing','housing','roads','transport','health','education','energy','waste','social'])[1 + (h % 9)::int] AS topic) tp,
     LATERAL (SELECT (ARRAY['pos','pos','pos','portal','email','letter','social','messenger'])[1 + ((h / 14400) % 8)::int] AS channel) c,
     LATERAL (SELECT timestamptz '$now' - ($last - i) * interval '$step seconds' AS at) r,
     LATERAL (SELECT CASE WHEN r.at < timestamptz '$now' - interval '45 days' THEN
                          CASE WHEN h % 50 = 0 THEN 'extended' WHEN h % 10 = 1 THEN 'answered' ELSE 'closed' END
                     ELSE (ARRAY['received','registered','assigned','in_progress','in_progress','answered','closed','extended'])[1 + ((h / 3) % 8)::int]
                     END AS status) s,
     bench_texts t
WHERE t.n = (h / 5) % $texts
""")


def load(conninfo, rows, data_dir):
    have = int(psql(conninfo, "SELECT count(*) FROM appeal.appeals"))
    if have >= rows:
        print(f"appeal.appeals already holds {have:,} appeals")
        return have
    body = texts(data_dir)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        for i, t in enumerate(body):
            f.write(f"{i}\t{t.replace(chr(9), ' ').replace(chr(92), '')}\n")
        path = f.name
    psql(conninfo, "DROP TABLE IF EXISTS bench_texts; CREATE UNLOGGED TABLE bench_texts (n int PRIMARY KEY, body text NOT NULL)")
    with open(path, encoding="utf-8") as f:
        psql(conninfo, "COPY bench_texts FROM STDIN", stdin=f.read())
    os.unlink(path)
    need = rows - have
    start = time.monotonic()
    now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
    step = 2 * 365 * 86400 / rows          # two years of intake
    chunk = 100_000
    base = int(psql(conninfo, "SELECT coalesce(max(substr(number, 3)::bigint), 0) FROM appeal.appeals WHERE number LIKE 'B-%'"))
    for lo in range(base + 1, base + need + 1, chunk):
        hi = min(lo + chunk - 1, base + need)
        psql(conninfo, LOAD_SQL.substitute(start=lo, end=hi, last=base + need, now=now, step=f"{step:.3f}", texts=len(body)))
        done = hi - base
        print(f"\r  loading appeals: {done:,}/{need:,} ({done / (time.monotonic() - start):,.0f} rows/s)", end="", flush=True)
    print()
    psql(conninfo, "DROP TABLE bench_texts")
    t0 = time.monotonic()
    psql(conninfo, "VACUUM ANALYZE appeal.appeals")
    print(f"loaded {need:,} appeals in {time.monotonic() - start:.0f} s (VACUUM ANALYZE {time.monotonic() - t0:.0f} s)")
    return rows


FACTS_SQL = """
INSERT INTO rating.appeal_facts (appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo, topic_code,
    category_code, problem_group_id, author_key, registered_at, answered_at, closed_at, answer_due, extension_count,
    reopen_count, satisfaction, answer_complete)
SELECT a.id::text, 1, 'bench-' || a.number, a.status, a.agency_id, a.municipality_oktmo, a.topic_code, a.category_code, '',
       md5(((hashtext(a.id::text) & 2147483647) % 300000)::text), coalesce(a.registered_at, a.received_at), a.answered_at,
       a.closed_at, a.answer_due, CASE WHEN a.status = 'extended' THEN 1 ELSE 0 END, 0, NULLIF(a.satisfaction, 0),
       CASE WHEN a.answered_at IS NOT NULL THEN (hashtext(a.number) % 10) <> 0 END
FROM appeal.appeals a
WHERE a.number LIKE 'B-%'
ON CONFLICT (appeal_id) DO NOTHING
"""


def load_facts(conninfo):
    """RatingService's projection of the bench appeals (rating.appeal_facts), as its event consumer would hold it,
    so the rankings, KPIs and indicators count the same million appeals (about 300,000 authors, so some repeat)."""
    have = int(psql(conninfo, "SELECT count(*) FROM rating.appeal_facts WHERE last_event_id LIKE 'bench-%'"))
    want = int(psql(conninfo, "SELECT count(*) FROM appeal.appeals WHERE number LIKE 'B-%'"))
    if have >= want:
        print(f"rating.appeal_facts already holds the {have:,} bench appeals")
        return
    start = time.monotonic()
    psql(conninfo, FACTS_SQL)
    psql(conninfo, "ANALYZE rating.appeal_facts")
    print(f"projected {want - have:,} bench appeals into rating.appeal_facts in {time.monotonic() - start:.0f} s")


# The load script. Debian's wrk (4.1) reports latency percentiles that do not describe requests: against a server
# answering in 2 ms with one 700 ms answer every 5 s it reports a p99 of 645 ms and a mean of 45 ms over 3,800
# requests (two of them slow; checked 2026-12-04). So every wrk thread runs one connection and times each of its
# requests itself (CLOCK_MONOTONIC through LuaJIT's FFI): the request is written when `request()` returns and its
# answer is complete when `response()` is called, nothing else is in flight on the connection. `done()` merges the
# threads' times and prints the exact percentiles, which are the ones reported.
LUA = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } veche_timespec;
int clock_gettime(int clk_id, veche_timespec *tp);
]]
local ts = ffi.new("veche_timespec")
local function now_us() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000 end
local ids = { %s }
local n = 0
local started = 0
lat = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
request = function()
  local path = "%s"
  if #ids > 0 then
    n = n + 1
    path = path .. ids[(n %% #ids) + 1]
  end
  started = now_us()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer %s", ["Accept"] = "application/json" })
end
response = function(status, headers, body) lat[#lat + 1] = now_us() - started end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    local l = t:get("lat")
    for i = 1, #l do all[#all + 1] = l[i] end
  end
  table.sort(all)
  if #all == 0 then io.write("exact: n=0\\n") return end
  local function pct(p) return all[math.max(1, math.ceil(#all * p))] / 1000 end
  io.write(string.format("exact: n=%%d p50=%%.3f p99=%%.3f max=%%.3f\\n", #all, pct(0.5), pct(0.99), all[#all] / 1000))
end
"""

def warm_up(base, path, token):
    """Requests until one succeeds (up to 60 s), so the figures are of the steady state (caches filled, plans cached):
    on a platform just started the first aggregate over a million appeals reads them from disk and can outlast the
    gateway's 3 s deadline (a 504), and the load would then start with every connection waiting for it."""
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token, "Accept": "application/json"})
    deadline, started = time.monotonic() + 60, time.monotonic()
    while True:
        try:
            urllib.request.urlopen(req, timeout=120).read()
            if time.monotonic() - started > 3:
                print(f"  warm-up {path}: answered after {time.monotonic() - started:.0f} s")
            return
        except OSError as e:
            if time.monotonic() > deadline:
                print(f"  warm-up {path}: {e}")
                return
            time.sleep(1)


def wrk(base, path, token, ids, duration, connections):
    warm_up(base, path + (ids[0] if ids else ""), token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % (", ".join(f'"{i}"' for i in ids), path, token))
        script = f.name
    # One connection per wrk thread: the script's timing needs request and answer to alternate on its thread.
    r = subprocess.run(["wrk", f"-t{connections}", f"-c{connections}", f"-d{duration}s", "-s", script, base],
                       capture_output=True, text=True)
    os.unlink(script)
    out = r.stdout
    exact = re.search(r"^exact: n=(\d+) p50=([\d.]+) p99=([\d.]+) max=([\d.]+)", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if not exact:
        print(f"(wrk output for {path} not understood:)\n{out}{r.stderr}", file=sys.stderr)
        return float("nan"), float("nan"), 0.0, 0, float("nan")
    return (float(exact.group(2)), float(exact.group(3)), float(rps.group(1)) if rps else 0.0,
            int(non2xx.group(1)) if non2xx else 0, float(exact.group(4)))


def cpu_seconds(pids):
    """CPU time (user + system) used so far by the processes `pids`."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """`pid` and its children (PostgreSQL's postmaster and its backends)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [str(pid)] + children


def cpu_by_process(named):
    """CPU seconds so far of each NAME=PID process tree."""
    return {name: cpu_seconds(process_tree(pid)) for name, pid in named}


def wait_until_idle(pids, limit=900, window=3.0, idle_share=0.10):
    """Waits until the services use less than `idle_share` of a core over two windows in a row (at most `limit` s),
    so the figures are of reads, not of the platform's own catching up: a million appeals loaded straight into the
    database start the deadline watcher's alerts for every open appeal past its deadline (about 30,000 e-mails to
    staff at about 250 a second), which took a third of the two cores for the first minutes of earlier runs."""
    started, quiet = time.monotonic(), 0
    while time.monotonic() - started < limit:
        before = cpu_seconds(pids)
        time.sleep(window)
        share = (cpu_seconds(pids) - before) / window
        quiet = quiet + 1 if share < idle_share else 0
        if quiet >= 2:
            waited = time.monotonic() - started
            if waited > 2 * window + 1:
                print(f"  the services were busy for {waited:.0f} s after start-up (catching up); measuring now")
            return
    print(f"  the services did not become idle within {limit} s; measuring anyway")


def main():
    # Figures as they come (a file or pipe would otherwise get them all at the end of a run of several minutes).
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--conninfo", required=True, help="libpq conninfo of the veche database (administrator)")
    ap.add_argument("--http", required=True, help="gateway base URL")
    ap.add_argument("--secrets", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--light-connections", default="1,4",
                    help="comma-separated lighter loads at which the cases with a target are measured again ('' = none)")
    ap.add_argument("--pid", action="append", default=[], help="NAME=PID of a service (peak RSS, CPU per request)")
    ap.add_argument("--cpu", action="append", default=[], help="NAME=PID of another process whose CPU per request is shown "
                                                                "(with its children: PostgreSQL's backends)")
    a = ap.parse_args()

    total = load(a.conninfo, a.rows, a.data)
    load_facts(a.conninfo)
    token = identity.user_token("analyst", a.secrets)
    for _ in range(240):         # the services are up once the gateway gets an answer from AppealService
        try:
            urllib.request.urlopen(urllib.request.Request(a.http + "/api/v1/appeals?page_size=1",
                                                          headers={"Authorization": "Bearer " + token}), timeout=10).read()
            break
        except OSError:
            time.sleep(0.5)
    wait_until_idle([item.split("=", 1)[1] for item in a.pid])
    ids = psql(a.conninfo, "SELECT id FROM appeal.appeals TABLESAMPLE SYSTEM (0.1) LIMIT 2000").split()
    # The appeals loaded above have no lifecycle events; a lookup returns the appeal with its history, so appeals
    # stored through intake (the demo region's, and any a `bench --intake` run left) are looked up as well.
    with_history = psql(a.conninfo, "SELECT DISTINCT appeal_id FROM appeal.appeal_events LIMIT 2000").split()
    q = urllib.parse.quote("отопление")
    cases = [
        ("lookup by id", "/api/v1/appeals/", ids, "≤ 10"),
        ("first list page (50, newest)", "/api/v1/appeals?page_size=50", [], "≤ 50"),
        ("filtered list (topic + overdue)", "/api/v1/appeals?topic=roads&overdue=1&page_size=50", [], "≤ 50"),
        ("deadline queue (open, one agency)", "/api/v1/appeals?order=deadline&agency=kursk-gzhi&status=assigned,in_progress,extended&page_size=25", [], "≤ 50"),
        ("text search (q=отопление)", f"/api/v1/appeals?q={q}&page_size=50", [], "≤ 50"),
        ("text search, 0.1 % (q=оштрафовать)", f"/api/v1/appeals?q={urllib.parse.quote('оштрафовать')}&page_size=50", [], "≤ 50"),
        # `шлагбаум` is in 34 St Petersburg texts: on a state that `bench --intake` runs filled it is a word of a few
        # dozen appeals, no longer of none. `дирижабль` is in no text of either data set.
        ("text search, few matches (q=шлагбаум)", f"/api/v1/appeals?q={urllib.parse.quote('шлагбаум')}&page_size=50", [], "≤ 50"),
        ("text search, no match (q=дирижабль)", f"/api/v1/appeals?q={urllib.parse.quote('дирижабль')}&page_size=50", [], "≤ 50"),
        ("stats (/api/v1/appeals/stats)", "/api/v1/appeals/stats", [], "≤ 50"),
        ("dashboard JSON", "/api/v1/dashboard", [], "≤ 100"),
        ("ranking of agencies (last month)", "/api/v1/ratings", [], "—"),
        ("KPIs (last month)", "/api/v1/kpis", [], "—"),
    ]
    if with_history:
        cases.insert(1, ("lookup by id, with history", "/api/v1/appeals/", with_history, "≤ 10"))
    print(f"\nreads at {total:,} appeals through the gateway (wrk, {a.connections} connections, {a.duration} s each, user analyst)")
    print(f"{'request':40} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'target p99':>11} {'errors':>7}")
    named = [tuple(item.split("=", 1)) for item in a.pid + a.cpu]
    for name, path, sample, target in cases:
        before = cpu_by_process(named)
        p50, p99, rps, errors, top = wrk(a.http, path, token, sample, a.duration, a.connections)
        after = cpu_by_process(named)
        print(f"{name:40} {p50:8.1f} {p99:8.1f} {top:8.1f} {rps:8.0f} {target + ' ms':>11} {errors:7d}")
        if rps > 0:
            n = rps * a.duration
            print("    CPU µs per request: " + ", ".join(f"{k} {(after[k] - before[k]) * 1e6 / n:.0f}" for k, _ in named))
    light = [int(c) for c in a.light_connections.split(",") if c.strip()]
    if light:
        print(f"\nthe same requests at lighter load (wrk closed loop; p50 / p99 / max ms and req/s at each number of connections)")
        print(f"{'request':40} " + " ".join(f"{f'{c} conn.':>31}" for c in light) + f" {'target p99':>11}")
        for name, path, sample, target in cases:
            if target == "—":
                continue
            cells = []
            for c in light:
                p50, p99, rps, errors, top = wrk(a.http, path, token, sample, a.duration, c)
                cells.append(f"{p50:6.1f} /{p99:6.1f} /{top:7.1f} {rps:6.0f}/s" + ("!" if errors else " "))
            print(f"{name:40} " + " ".join(f"{cell:>31}" for cell in cells) + f" {target + ' ms':>11}")
    for item in a.pid:
        name, pid = item.split("=", 1)
        try:
            with open(f"/proc/{pid}/status") as f:
                hwm = next(line for line in f if line.startswith("VmHWM")).split()[1]
            print(f"peak RSS {name}: {int(hwm) / 1024:.0f} MiB")
        except (OSError, StopIteration):
            print(f"peak RSS {name}: unavailable (process {pid} gone)")


if __name__ == "__main__":
    main()
