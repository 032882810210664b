"""The clustered deployment survives the loss of a NATS node and of the PostgreSQL primary.

Runs in file order against one cluster (conftest): first what the healthy cluster looks like, then a
NATS stream leader is killed -9 and restarted, then the PostgreSQL primary is killed -9 and rejoins,
then the federal hub sources the region's events. Each fault is undone before the next test, so the
tests can be extended (or reordered by a fault-injection driver) without inheriting a degraded cluster.
"""
import asyncio
import json
import time

import pytest

from conftest import CURATOR, PORTAL, Recovery, bearer, bus, http, new_appeal, run
from vechecluster import identity
from vechecluster.layout import SERVICE_NAMES, STREAMS
from vechecluster.procs import wait_for

DURABLES = {"VECHE_INTAKE": "appeal-intake", "VECHE_SURVEY_BATCHES": "survey-batches"}


async def _quiet(_error):
    """Connection errors while a node is down are expected; the probes report what matters."""


async def _connect(cluster, user="ops"):
    """A connection to any node as platform bus user `user` (default: monitoring, read-only JetStream state)."""
    import nats
    return await nats.connect(servers=cluster.layout.nats_url_list.split(","), connect_timeout=1,
                              reconnect_time_wait=0.2, max_reconnect_attempts=-1, error_cb=_quiet, **bus(user))


async def _stream_view(cluster):
    nc = await _connect(cluster)
    try:
        js = nc.jetstream(timeout=1)
        out = {}
        for name in STREAMS:
            info = await js.stream_info(name)
            consumers = {c.name: c for c in await js.consumers_info(name)}
            out[name] = (info, consumers)
        return out
    finally:
        await nc.close()


async def _instance_stats(cluster, service, endpoint):
    """{instance id: successful `endpoint` requests} from ADR-32 $SRV.STATS of every instance of `service`."""
    nc = await _connect(cluster)
    try:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        await nc.publish(f"$SRV.STATS.{service}", b"", reply=inbox)
        out = {}
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                msg = await sub.next_msg(timeout=deadline - time.monotonic())
            except Exception:
                break
            if not msg.data:  # the server's "no responders" status
                break
            stats = json.loads(msg.data)
            out[stats["id"]] = sum(e["num_requests"] - e["num_errors"] for e in stats["endpoints"] if e["name"] == endpoint)
        return out
    finally:
        await nc.close()


def _find_appeal(gateway, marker):
    status, body = http("GET", f"{gateway}/api/v1/appeals?q={marker}")
    return status == 200 and (body.get("appeals") or [])


def _current(peers):
    return len(peers) == 2 and all(p.current for p in peers)


def test_streams_and_consumers_are_r3_with_a_leader(cluster):
    """Every platform stream and durable consumer is replicated on the three nodes and has a leader."""
    nodes = {n.name for n in cluster.layout.nats}
    views = run(_stream_view(cluster))
    for name in STREAMS:
        info, consumers = views[name]
        assert info.config.num_replicas == 3, name
        assert info.cluster.leader in nodes, (name, info.cluster)
        assert {p.name for p in info.cluster.replicas} == nodes - {info.cluster.leader}, name
        assert consumers, f"{name} has no durable consumer"
        for c in consumers.values():
            assert c.config.num_replicas == 3, (name, c.name)
            assert c.cluster.leader in nodes, (name, c.name)
    assert set(views["VECHE_INTAKE"][1]) == {DURABLES["VECHE_INTAKE"]}, "both AppealService instances share one durable"
    assert set(views["VECHE_SURVEY_BATCHES"][1]) == {DURABLES["VECHE_SURVEY_BATCHES"]}
    # The appeal events have two readers, each shared by both instances of its service: RatingService's durable
    # (its name carries the projection's version) and AgencyService's notifications.
    events = set(views["VECHE_APPEAL_EVENTS"][1])
    assert len(events) == 2 and "agency-notifications" in events, events


def test_every_node_enforces_the_platform_users(cluster):
    """The generated users and permissions are included on every node: an anonymous client is refused, and the
    monitoring user may read JetStream state but not publish an appeal event (only AppealService may)."""
    import nats

    async def attempt(node):
        with pytest.raises(nats.errors.Error) as refused:
            await nats.connect(node.url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
        assert "Authorization Violation" in str(refused.value), node.name
        errors = []

        async def collect(e):
            errors.append(str(e))
        nc = await nats.connect(node.url, error_cb=collect, **bus("ops"))
        try:
            with pytest.raises((nats.errors.TimeoutError, nats.js.errors.NoStreamResponseError)):
                await nc.jetstream(timeout=2).publish("veche.events.v1.appeal.forged", b"x")
            assert any("permissions violation for publish" in e.lower() for e in errors), (node.name, errors)
        finally:
            await nc.close()

    for node in cluster.layout.nats:
        run(attempt(node))


def test_every_instance_logs_in_to_postgresql_as_its_service_role(cluster):
    """The roles `veche-tool db-setup` created on the primary are the ones the instances use: every service
    instance holds connections (application_name = instance) as its own service's role, never as the
    administrator."""
    primary = cluster.pg.primary()
    wanted = {i.name: identity.COMPONENTS[i.program][2] for i in cluster.layout.instances if i.program != "gateway"}

    def sessions():
        rows = cluster.pg.sql(primary.port, "SELECT DISTINCT application_name, usename FROM pg_stat_activity "
                                            "WHERE datname = 'veche' AND application_name LIKE '%-service-%'", "veche") or []
        return {(r[0], r[1]) for r in rows}
    assert wait_for(lambda: set(wanted) <= {name for name, _ in sessions()}, 30), sessions()
    assert sessions() <= set(wanted.items()), sessions()


def test_two_instances_of_everything_share_the_work(cluster):
    """Both instances of each service answer ADR-32 pings, both gateways serve, and requests sent through
    every node are spread over both AppealService instances by the queue group. (A node hands a request to
    a queue member connected to it when there is one, so requests enter through all three nodes.)"""
    from vechecluster.services import ping
    for program, service in SERVICE_NAMES.items():
        assert sorted(run(ping(cluster.layout.nats_url_list, service, **bus("ops")))) == [f"{program}-1", f"{program}-2"]
    for g in cluster.layout.gateways():
        status, _ = http("POST", f"http://127.0.0.1:{g.http_port}/api/v1/appeals", new_appeal("spread")[1])
        assert status == 201, g.name

    async def through_every_node():
        import nats
        for node in cluster.layout.nats:
            nc = await nats.connect(node.url, **bus("gateway"))  # as the gateway forwarding the curator's request
            try:
                for _ in range(12):
                    reply = await nc.request("veche.appeal.v1.ListAppeals", b"", timeout=5, headers=bearer(CURATOR))
                    assert not reply.headers or "Nats-Service-Error" not in reply.headers, reply.headers
            finally:
                await nc.close()

    before = run(_instance_stats(cluster, "AppealService", "ListAppeals"))
    run(through_every_node())
    after = run(_instance_stats(cluster, "AppealService", "ListAppeals"))
    assert sum(after.values()) - sum(before.values()) == 36
    assert all(after[i] > before.get(i, 0) for i in ("appeal-service-1", "appeal-service-2")), (before, after)


def test_losing_the_nats_node_that_leads_a_stream(cluster, figures, pb):
    """kill -9 of the node leading VECHE_INTAKE: a new leader is elected, JetStream publishes and RPCs through
    both gateways succeed again, the instances that were connected to it reconnect elsewhere, and an appeal
    published to the intake after the fault is processed. The node then rejoins and catches up."""
    info, _ = run(_stream_view(cluster))["VECHE_INTAKE"]
    victim = cluster.layout.nats_node(info.cluster.leader)
    survivors = [n.name for n in cluster.layout.nats if n != victim]
    on_victim = [c for c in cluster.nats.connections()[victim.name] if c]
    assert on_victim, f"no instance is connected to {victim.name}: its loss would prove no reconnection"
    gateways = [f"http://127.0.0.1:{g.http_port}" for g in cluster.layout.gateways()]
    appeal_pb2, _ = pb
    marker, appeal = new_appeal("intake")
    incoming = appeal_pb2.IncomingAppeal(channel=appeal_pb2.CHANNEL_PORTAL, external_id=appeal["externalId"],
                                         title=appeal["title"], text=appeal["text"], address=appeal["address"])

    async def publish_intake():
        nc = await _connect(cluster, "integration-portal")  # the portal's own user and token
        try:
            ack = await nc.jetstream(timeout=1).publish("veche.intake.v1.portal", incoming.SerializeToString(),
                                                        headers={"Nats-Msg-Id": f"portal:{appeal['externalId']}", **bearer(PORTAL)})
            return ack.stream == "VECHE_INTAKE"
        finally:
            await nc.close()

    def new_leader():  # as the leader itself reports it on its monitoring port
        return cluster.nats.streams().get("VECHE_INTAKE", {}).get("leader") in survivors

    def rpc(gateway):
        return lambda: http("POST", f"{gateway}/api/v1/appeals", new_appeal("after-nats-loss")[1])[0] == 201

    def reconnected():
        return set(on_victim) <= {c for n in survivors for c in cluster.nats.connections()[n]}

    cluster.kill(victim.name)
    recovery = Recovery(time.monotonic())
    took = recovery.all({"leader": new_leader, "publish": lambda: run(publish_intake()), "reconnected": reconnected,
                         **{f"rpc {i}": rpc(g) for i, g in enumerate(gateways, 1)}})
    processed_s, _ = recovery.wait(lambda: _find_appeal(gateways[0], marker))
    figures += [(f"NATS {victim.name} (VECHE_INTAKE leader) killed: a new stream leader elected", took["leader"]),
                ("  JetStream publish acknowledged again", took["publish"]),
                ("  RPC through gateway-1 / gateway-2 again (max)", max(took["rpc 1"], took["rpc 2"])),
                (f"  its {len(on_victim)} client instances reconnected to other nodes", took["reconnected"]),
                ("  intake published after the fault stored as an appeal", processed_s)]

    cluster.start(victim.name)
    back = Recovery(time.monotonic())
    rejoin_s, _ = back.wait(lambda: all(_current(v[0].cluster.replicas) for v in run(_stream_view(cluster)).values()), 60)
    figures.append((f"  {victim.name} restarted: every stream's replicas current", rejoin_s))


def test_losing_the_postgresql_primary(cluster, figures):
    """kill -9 of the PostgreSQL primary (keeper, postmaster, backends): pg_auto_failover promotes the
    standby, a write through the gateway succeeds again, both AppealService instances reconnect to the new
    primary through the multi-host connection string, and what was committed before the crash is still
    there (synchronous replication). The old primary then rejoins as the standby."""
    gateway = f"http://127.0.0.1:{cluster.layout.gateways()[0].http_port}"
    marker, before = new_appeal("before-failover")
    assert http("POST", f"{gateway}/api/v1/appeals", before)[0] == 201
    old = cluster.pg.primary()
    standby = next(n for n in cluster.layout.pg if n != old)

    cluster.kill(old.name)
    recovery = Recovery(time.monotonic())
    took = recovery.all({"promoted": lambda: cluster.pg.primary() == standby,
                         "write": lambda: http("POST", f"{gateway}/api/v1/appeals", new_appeal("after-failover")[1])[0] == 201})
    assert cluster.pg.primary() == standby
    promoted = {s["name"]: s["reported"] for s in cluster.pg.state()}
    assert promoted[standby.name] in ("wait_primary", "primary"), promoted

    def both_instances_connected():  # their outbox relays use the database every second
        rows = cluster.pg.sql(standby.port, "SELECT DISTINCT application_name FROM pg_stat_activity", "veche") or []
        return {"appeal-service-1", "appeal-service-2"} <= {r[0] for r in rows}
    both_s, _ = recovery.wait(both_instances_connected)
    assert _find_appeal(gateway, marker), "an appeal committed before the crash was lost"
    figures += [(f"PostgreSQL primary {old.name} killed: standby promoted, accepting writes", took["promoted"]),
                ("  first appeal written through the gateway", took["write"]),
                ("  both AppealService instances connected to the new primary", both_s)]

    cluster.start(old.name)
    rejoin_s, _ = Recovery(time.monotonic()).wait(cluster.pg.healthy, 90, 1.0)
    assert cluster.pg.primary() == standby
    figures.append((f"  {old.name} restarted: back as streaming standby", rejoin_s))


async def _federal_view(cluster, region_messages):
    import nats
    from nats.errors import NoRespondersError
    from nats.js.api import ExternalStream, StreamConfig, StreamSource
    hub = await nats.connect(f"nats://127.0.0.1:{cluster.layout.hub_client_port}")
    try:
        js = hub.jetstream()
        await js.add_stream(StreamConfig(name="FEDERAL_APPEAL_EVENTS", sources=[StreamSource(
            name="VECHE_APPEAL_EVENTS", external=ExternalStream(api=f"$JS.{cluster.layout.js_domain}.API"))]))
        deadline = time.monotonic() + 30
        while (await js.stream_info("FEDERAL_APPEAL_EVENTS")).state.messages < region_messages:
            assert time.monotonic() < deadline, "the hub did not catch up with the region's events"
            await asyncio.sleep(0.2)
        first = await js.get_msg("FEDERAL_APPEAL_EVENTS", 1)
        # Application subjects stay regional: a request from the hub finds no AppealService.
        with pytest.raises(NoRespondersError):
            await hub.request("veche.appeal.v1.GetAppeal", b"", timeout=2)
        # The region's JetStream is reachable from the hub by its domain.
        regional = await hub.jetstream(domain=cluster.layout.js_domain).stream_info("VECHE_APPEAL_EVENTS")
        return first, regional
    finally:
        await hub.close()


def test_federal_hub_sources_the_regions_events(cluster):
    """Each regional node is a leaf node of the federal hub; a hub stream sources the region's
    VECHE_APPEAL_EVENTS through the region's JetStream domain and receives every event so far (after the
    failovers above), while regional RPC subjects are not reachable from the hub."""
    assert cluster.leaf_connections() == len(cluster.layout.nats)
    region = run(_stream_view(cluster))["VECHE_APPEAL_EVENTS"][0]
    assert region.state.messages > 0
    first, regional = run(_federal_view(cluster, region.state.messages))
    assert first.subject.startswith("veche.events.v1.appeal.")
    assert first.headers and first.headers.get("Nats-Msg-Id"), "events keep their id for de-duplication"
    assert regional.config.num_replicas == 3
