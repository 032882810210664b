"""Cross-language check: a Python system discovers AppealService over NATS (ADR-32, parsed by nats-py's
own micro types) and submits an appeal encoded with Python protobuf classes generated from proto/.

Runs against a real nats-server (private, JetStream) and a fresh PostgreSQL database, with the
appeal-service binary built by `swift build` (VECHE_BIN_DIR, default .build/debug)."""
import asyncio
import json
import os
import time

import pytest

from conftest import Platform


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    p.start("appeal-service")
    yield p.nats_url
    codes = p.stop()
    assert codes["appeal-service"] == 0, "appeal-service must exit cleanly on SIGTERM"


async def _discover_and_submit(url, appeal_pb2, common_pb2):
    import nats
    from nats.micro.service import ServiceInfo, ServicePing, ServiceStats

    nc = await nats.connect(url)
    try:
        # Wait until the service is up (it migrates its schema first).
        deadline = time.time() + 60
        while True:
            try:
                msg = await nc.request("$SRV.PING.AppealService", b"", timeout=1)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                await asyncio.sleep(0.2)
        ping = ServicePing.from_dict(json.loads(msg.data))
        assert ping.name == "AppealService"

        info = ServiceInfo.from_dict(json.loads((await nc.request(f"$SRV.INFO.AppealService.{ping.id}", b"", timeout=2)).data))
        subjects = {e.name: e.subject for e in info.endpoints}
        assert subjects["SubmitAppeal"] == "veche.appeal.v1.SubmitAppeal"
        assert all(e.queue_group == "q" for e in info.endpoints)

        req = appeal_pb2.SubmitAppealRequest(appeal=appeal_pb2.IncomingAppeal(
            channel=appeal_pb2.CHANNEL_EMAIL, external_id="py-mail-1",
            author=common_pb2.Person(full_name="Сидорова А.В.", email="sidorova@example.ru"),
            title="Отопление", text="В квартире холодно, батареи чуть тёплые уже неделю",
            address="г. Курск, ул. Радищева, 33", location=common_pb2.GeoPoint(latitude=51.74, longitude=36.19)))
        reply = await nc.request(subjects["SubmitAppeal"], req.SerializeToString(), timeout=5)
        assert not reply.headers or "Nats-Service-Error" not in reply.headers, reply.headers
        resp = appeal_pb2.SubmitAppealResponse.FromString(reply.data)
        assert resp.appeal.status == appeal_pb2.STATUS_REGISTERED
        assert resp.appeal.channel == appeal_pb2.CHANNEL_EMAIL
        assert resp.appeal.text.startswith("В квартире холодно")
        assert not resp.already_existed

        # Same external id again: idempotent.
        again = appeal_pb2.SubmitAppealResponse.FromString((await nc.request(subjects["SubmitAppeal"], req.SerializeToString(), timeout=5)).data)
        assert again.already_existed and again.appeal.id == resp.appeal.id

        # Bad input: error headers with a numeric code.
        bad = await nc.request(subjects["SubmitAppeal"], appeal_pb2.SubmitAppealRequest(
            appeal=appeal_pb2.IncomingAppeal(channel=appeal_pb2.CHANNEL_EMAIL, text="")).SerializeToString(), timeout=5)
        assert bad.headers["Nats-Service-Error-Code"] == "400"
        assert "text is empty" in bad.headers["Nats-Service-Error"]

        # Intake over JetStream, as other government systems publish it.
        js = nc.jetstream()
        inc = appeal_pb2.IncomingAppeal(channel=appeal_pb2.CHANNEL_SOCIAL, external_id="vk-post-77",
                                        text="Третий день не вывозят мусор во дворе", is_public=True)
        ack = await js.publish("veche.intake.v1.social", inc.SerializeToString(), headers={"Nats-Msg-Id": "social:vk-post-77"})
        assert ack.stream == "VECHE_INTAKE"
        get = appeal_pb2.ListAppealsRequest(channels=[appeal_pb2.CHANNEL_SOCIAL])
        for _ in range(100):
            lst = appeal_pb2.ListAppealsResponse.FromString((await nc.request("veche.appeal.v1.ListAppeals", get.SerializeToString(), timeout=5)).data)
            if lst.total_count == 1:
                break
            await asyncio.sleep(0.1)
        assert lst.total_count == 1 and lst.appeals[0].external_id == "vk-post-77"

        stats = ServiceStats.from_dict(json.loads((await nc.request("$SRV.STATS.AppealService", b"", timeout=2)).data))
        submit = next(e for e in stats.endpoints if e.name == "SubmitAppeal")
        assert submit.num_requests == 3 and submit.num_errors == 1
    finally:
        await nc.close()


def test_python_client_discovers_and_submits(pb, platform):
    appeal_pb2, common_pb2 = pb
    asyncio.run(_discover_and_submit(platform, appeal_pb2, common_pb2))
