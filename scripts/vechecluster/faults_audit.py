"""What the servers hold after a fault-injection run, read for faults_checks: AppealService's, RatingService's
and SurveyService's tables (as the administrator, on the current primary) and every message of
VECHE_APPEAL_EVENTS (as the read-only bus user `faults-audit`, which only this suite's cluster has)."""
import os
import re
import secrets as pysecrets

from . import identity

AUDIT_USER = "faults-audit"
EVENTS = "VECHE_APPEAL_EVENTS"


def write_auth(bin_dir, secrets_dir, state, out):
    """The platform's bus users (veche-tool bus-config) plus `faults-audit`, allowed only to read
    VECHE_APPEAL_EVENTS message by message; its password is kept in `state`."""
    identity.write_bus_authorization(bin_dir, secrets_dir, out)
    pw_file = os.path.join(state, "faults-audit.password")
    if not os.path.exists(pw_file):
        with open(os.open(pw_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(pysecrets.token_hex(16))
    with open(pw_file) as f:
        password = f.read().strip()
    user = (f'{{user: "{AUDIT_USER}", password: "{password}", permissions: {{'
            f'publish: {{allow: ["$JS.API.STREAM.INFO.{EVENTS}", "$JS.API.STREAM.MSG.GET.{EVENTS}"]}}, '
            f'subscribe: {{allow: ["_INBOX_{AUDIT_USER}.>"]}}}}}},\n')
    with open(out) as f:
        conf = f.read()
    conf, n = re.subn(r"(users\s*[=:]?\s*\[\s*)", lambda m: m.group(1) + user, conf, count=1)
    if n != 1:
        raise RuntimeError(f"no users list in {out}: cannot add the audit user")
    with open(out, "w") as f:
        f.write(conf)
    return password


async def _audit_connection(cluster, password):
    import nats
    return await nats.connect(servers=cluster.layout.nats_url_list.split(","), user=AUDIT_USER, password=password,
                              inbox_prefix=f"_INBOX_{AUDIT_USER}".encode(), connect_timeout=2)


async def stream_last_seq(cluster, password):
    """VECHE_APPEAL_EVENTS' last stream sequence (where a run's events start)."""
    nc = await _audit_connection(cluster, password)
    try:
        return (await nc.jetstream(timeout=5).stream_info(EVENTS)).state.last_seq
    finally:
        await nc.close()


async def stream_events(cluster, password, pb, after=0):
    """(appeal id, sequence) of every VECHE_APPEAL_EVENTS message after stream sequence `after`, in stream order."""
    import nats
    nc = await _audit_connection(cluster, password)
    try:
        js = nc.jetstream(timeout=5)
        info = await js.stream_info(EVENTS)
        out = []
        for seq in range(max(after + 1, info.state.first_seq), info.state.last_seq + 1):
            try:
                msg = await js.get_msg(EVENTS, seq)
            except nats.js.errors.NotFoundError:
                continue  # a gap in the stream (none expected: the stream keeps everything)
            e = pb.AppealEvent.FromString(msg.data)
            out.append((e.appeal.id, e.sequence))
        return out
    finally:
        await nc.close()


def sql(cluster, query):
    """Rows of `query` on the current primary (None when no primary answers)."""
    primary = cluster.pg.primary()
    return cluster.pg.sql(primary.port, query, "veche", timeout=60) if primary else None


def run_appeals(cluster, run_id):
    """{external id: appeal id} of every appeal the run's intake created (one entry per row: a doubled
    external id appears in `run_rows`)."""
    return sql(cluster, f"SELECT external_id, id FROM appeal.appeals WHERE external_id LIKE '{run_id}-%'") or []


def registered(cluster, run_id):
    """Ids of the run's appeals that intake registered (and perhaps routed): ready to be assigned."""
    rows = sql(cluster, f"SELECT id FROM appeal.appeals WHERE external_id LIKE '{run_id}-%' AND status IN ('registered', 'assigned')") or []
    return [r[0] for r in rows]


def appeal_events(cluster, run_id, actor=None):
    """{appeal id: [event type, ...]} of the run's appeals in sequence order (only `actor`'s events if given:
    intake's own registration and routing are not the load's writes)."""
    by = f"AND e.actor = '{actor}'" if actor else ""
    rows = sql(cluster, f"SELECT e.appeal_id, e.type FROM appeal.appeal_events e JOIN appeal.appeals a ON a.id = e.appeal_id "
                        f"WHERE a.external_id LIKE '{run_id}-%' {by} ORDER BY e.appeal_id, e.seq") or []
    out = {}
    for appeal, kind in rows:
        out.setdefault(appeal, []).append(kind.upper().removeprefix("EVENT_TYPE_"))
    return out


def unpublished(cluster):
    rows = sql(cluster, "SELECT count(*) FROM appeal.appeal_outbox")
    return int(rows[0][0]) if rows else -1



def recomputed_facts(cluster, run_id):
    """What RatingService's appeal_facts must hold, recomputed from AppealService's own tables."""
    rows = sql(cluster, f"SELECT id, status, agency_id, satisfaction, event_seq FROM appeal.appeals WHERE external_id LIKE '{run_id}-%'") or []
    return {r[0]: (r[1], r[2], int(r[3]), int(r[4])) for r in rows}


def projected_facts(cluster, ids):
    if not ids:
        return {}
    rows = sql(cluster, "SELECT appeal_id, status, agency_id, coalesce(satisfaction, 0), last_sequence FROM rating.appeal_facts "
                        f"WHERE appeal_id IN ({','.join(repr(i) for i in ids)})") or []
    return {r[0]: (r[1], r[2], int(r[3]), int(r[4])) for r in rows}


def survey_rows(cluster, survey_id):
    rows = sql(cluster, f"SELECT batch_id, row_index FROM survey.responses WHERE survey_id = '{survey_id}'") or []
    return [(b, int(i)) for b, i in rows]


def agency(cluster):
    rows = sql(cluster, "SELECT id FROM agency.agencies WHERE active ORDER BY id LIMIT 1")
    return rows[0][0] if rows else None
