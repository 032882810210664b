"""Cross-language check: a Python integrating system discovers AppealService over NATS (ADR-32, parsed by
nats-py's own micro types) and submits appeals encoded with Python protobuf classes generated from proto/,
with its own bus user and its own access token, as a real system of another agency would.

Runs against a real nats-server (private, JetStream, generated permissions), a fresh PostgreSQL database and
the OIDC provider, with the binaries built by `swift build` (VECHE_BIN_DIR, default .build/debug)."""
import asyncio
import json
import os
import time

import pytest

from conftest import Platform, bearer, client_token, user_token


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    p.start("agency-service")
    p.start("appeal-service")
    yield p
    codes = p.stop()
    assert codes["appeal-service"] == 0, "appeal-service must exit cleanly on SIGTERM"


async def _discover_and_submit(platform, appeal_pb2, common_pb2):
    from nats.micro.service import ServiceInfo, ServicePing, ServiceStats

    ops = await platform.connect("ops")                     # monitoring: discovery only
    nc = await platform.connect("integration-email")        # the e-mail system: its intake only
    social = await platform.connect("integration-social")
    reader = await platform.connect("gateway")              # a person's reads go through the gateway's user
    auth = bearer(client_token("veche-integration-email"))
    try:
        # Wait until the service is up (it migrates its schema first).
        deadline = time.time() + 60
        while True:
            try:
                msg = await ops.request("$SRV.PING.AppealService", b"", timeout=1)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                await asyncio.sleep(0.2)
        ping = ServicePing.from_dict(json.loads(msg.data))
        assert ping.name == "AppealService"

        info = ServiceInfo.from_dict(json.loads((await ops.request(f"$SRV.INFO.AppealService.{ping.id}", b"", timeout=2)).data))
        subjects = {e.name: e.subject for e in info.endpoints}
        assert subjects["SubmitAppeal"] == "veche.appeal.v1.SubmitAppeal"
        assert all(e.queue_group == "q" for e in info.endpoints)

        req = appeal_pb2.SubmitAppealRequest(appeal=appeal_pb2.IncomingAppeal(
            channel=appeal_pb2.CHANNEL_EMAIL, external_id="py-mail-1",
            author=common_pb2.Person(full_name="Сидорова А.В.", email="sidorova@example.ru"),
            title="Отопление", text="В квартире холодно, батареи чуть тёплые уже неделю",
            address="г. Курск, ул. Радищева, 33", location=common_pb2.GeoPoint(latitude=51.74, longitude=36.19)))
        # Without a token: refused.
        anonymous = await nc.request(subjects["SubmitAppeal"], req.SerializeToString(), timeout=30)
        assert anonymous.headers["Nats-Service-Error-Code"] == "401"
        reply = await nc.request(subjects["SubmitAppeal"], req.SerializeToString(), timeout=30, headers=auth)
        assert not reply.headers or "Nats-Service-Error" not in reply.headers, reply.headers
        resp = appeal_pb2.SubmitAppealResponse.FromString(reply.data)
        assert resp.appeal.status in (appeal_pb2.STATUS_REGISTERED, appeal_pb2.STATUS_ASSIGNED)
        assert len(resp.citizen_token) == 43
        assert resp.appeal.channel == appeal_pb2.CHANNEL_EMAIL
        assert resp.appeal.text.startswith("В квартире холодно")
        assert not resp.already_existed

        # Same external id again: idempotent.
        again = appeal_pb2.SubmitAppealResponse.FromString((await nc.request(subjects["SubmitAppeal"], req.SerializeToString(), timeout=30, headers=auth)).data)
        assert again.already_existed and again.appeal.id == resp.appeal.id

        # Bad input: error headers with a numeric code.
        bad = await nc.request(subjects["SubmitAppeal"], appeal_pb2.SubmitAppealRequest(
            appeal=appeal_pb2.IncomingAppeal(channel=appeal_pb2.CHANNEL_EMAIL, text="")).SerializeToString(), timeout=30, headers=auth)
        assert bad.headers["Nats-Service-Error-Code"] == "400"
        assert "text is empty" in bad.headers["Nats-Service-Error"]

        # Intake over JetStream, as other government systems publish it.
        js = social.jetstream()
        inc = appeal_pb2.IncomingAppeal(channel=appeal_pb2.CHANNEL_SOCIAL, external_id="vk-post-77",
                                        text="Третий день не вывозят мусор во дворе", is_public=True)
        ack = await js.publish("veche.intake.v1.social", inc.SerializeToString(),
                               headers={"Nats-Msg-Id": "social:vk-post-77", **bearer(client_token("veche-integration-social"))})
        assert ack.stream == "VECHE_INTAKE"
        # The e-mail system may not publish on the social channel: the server refuses it.
        with pytest.raises(Exception):
            await nc.jetstream().publish("veche.intake.v1.social", inc.SerializeToString(), timeout=1)
        get = appeal_pb2.ListAppealsRequest(channels=[appeal_pb2.CHANNEL_SOCIAL])
        operator = bearer(user_token("operator"))
        for _ in range(100):
            lst = appeal_pb2.ListAppealsResponse.FromString((await reader.request("veche.appeal.v1.ListAppeals", get.SerializeToString(),
                                                                                  timeout=30, headers=operator)).data)
            if lst.total_count == 1:
                break
            await asyncio.sleep(0.1)
        assert lst.total_count == 1 and lst.appeals[0].external_id == "vk-post-77"

        stats = ServiceStats.from_dict(json.loads((await ops.request("$SRV.STATS.AppealService", b"", timeout=2)).data))
        submit = next(e for e in stats.endpoints if e.name == "SubmitAppeal")
        assert submit.num_requests == 4 and submit.num_errors == 2
    finally:
        for c in (ops, nc, social, reader):
            await c.close()


def test_python_client_discovers_and_submits(pb, platform):
    appeal_pb2, common_pb2 = pb
    asyncio.run(_discover_and_submit(platform, appeal_pb2, common_pb2))
