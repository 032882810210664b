"""A survey team's own tooling (Python, protobuf generated from proto/) publishes poll results to
JetStream and receives the per-row receipt — the path field teams use, checked across languages."""
import asyncio
import time

import pytest

from conftest import Platform


@pytest.fixture(scope="module")
def survey_pb(pb_modules):
    return pb_modules["survey"], pb_modules["common"]


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    p.start("survey-service")
    yield p.nats_url
    codes = p.stop()
    assert codes["survey-service"] == 0


async def _run(url, pb, common):
    import nats
    nc = await nats.connect(url)
    try:
        deadline = time.time() + 60
        while True:
            try:
                await nc.request("$SRV.PING.SurveyService", b"", timeout=1)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                await asyncio.sleep(0.2)
        survey = pb.Survey(title="Оценка работы общественного транспорта", questions=[
            pb.Question(code="sat", text="Оценка", type=pb.QUESTION_TYPE_LIKERT, scale_min=1, scale_max=5, required=True)])
        created = pb.CreateSurveyResponse.FromString(
            (await nc.request("veche.survey.v1.CreateSurvey", pb.CreateSurveyRequest(survey=survey).SerializeToString(), timeout=5)).data)
        sid = created.survey.id
        await nc.request("veche.survey.v1.SetStatus", pb.SetStatusRequest(id=sid, status=pb.SURVEY_STATUS_FIELDWORK).SerializeToString(), timeout=5)

        receipts = asyncio.Queue()

        async def on_receipt(m):
            await receipts.put(m)

        sub = await nc.subscribe("veche.survey.v1.receipts.py-batch-1", cb=on_receipt)
        batch = pb.ResultBatch(batch_id="py-batch-1", survey_id=sid, team_id="team-py", responses=[
            pb.Response(respondent_id="r1", stratum="A", base_weight=10, answers=[pb.Answer(question_code="sat", number=4, has_number=True)]),
            pb.Response(respondent_id="r2", stratum="A", base_weight=10, answers=[pb.Answer(question_code="sat", number=9, has_number=True)]),
            pb.Response(respondent_id="r3", stratum="B", base_weight=20, answers=[pb.Answer(question_code="sat", number=2, has_number=True)]),
        ])
        js = nc.jetstream()
        ack = await js.publish("veche.survey.v1.batches.team-py", batch.SerializeToString(), headers={"Nats-Msg-Id": "py-batch-1"})
        assert ack.stream == "VECHE_SURVEY_BATCHES"
        msg = await asyncio.wait_for(receipts.get(), timeout=30)
        receipt = pb.BatchReceipt.FromString(msg.data)
        assert receipt.status == pb.BATCH_STATUS_PARTIAL
        assert receipt.accepted_rows == 2 and receipt.rejected_rows == 1
        assert receipt.errors[0].respondent_id == "r2"
        await sub.unsubscribe()

        est = pb.EstimateResponse.FromString((await nc.request("veche.survey.v1.Estimate",
                                                               pb.EstimateRequest(survey_id=sid, question_code="sat").SerializeToString(), timeout=5)).data)
        overall = next(r for r in est.rows if r.domain == "" and r.level == "")
        assert overall.n == 2
        assert overall.estimate == pytest.approx((4 * 10 + 2 * 20) / 30)
    finally:
        await nc.close()


def test_survey_team_publishes_batch_and_gets_receipt(survey_pb, platform):
    pb, common = survey_pb
    asyncio.run(_run(platform, pb, common))
