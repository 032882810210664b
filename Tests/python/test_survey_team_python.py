"""A survey team's own tooling (Python, protobuf generated from proto/) publishes poll results to
JetStream and receives the per-row receipt — the path field teams use, checked across languages: its own bus
user (only its batch subject and its receipts), its own token, only for the survey it is assigned to."""
import asyncio
import time

import pytest

from conftest import Platform, bearer, client_token, user_token


@pytest.fixture(scope="module")
def survey_pb(pb_modules):
    return pb_modules["survey"], pb_modules["common"]


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    p.start("agency-service")
    p.start("survey-service")
    yield p
    codes = p.stop()
    assert codes["survey-service"] == 0


async def _run(platform, pb, common, agency_pb):
    ops = await platform.connect("ops")
    nc = await platform.connect("gateway")          # the sociologist works through the gateway's user
    team = await platform.connect("survey-team-1")
    sociologist = bearer(user_token("sociologist"))
    try:
        deadline = time.time() + 60
        while True:
            try:
                await ops.request("$SRV.PING.SurveyService", b"", timeout=1)
                await ops.request("$SRV.PING.AgencyService", b"", timeout=1)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                await asyncio.sleep(0.2)
        survey = pb.Survey(title="Оценка работы общественного транспорта", questions=[
            pb.Question(code="sat", text="Оценка", type=pb.QUESTION_TYPE_LIKERT, scale_min=1, scale_max=5, required=True)])
        created = pb.CreateSurveyResponse.FromString(
            (await nc.request("veche.survey.v1.CreateSurvey", pb.CreateSurveyRequest(survey=survey).SerializeToString(), timeout=30,
                              headers=sociologist)).data)
        sid = created.survey.id
        await nc.request("veche.survey.v1.SetStatus", pb.SetStatusRequest(id=sid, status=pb.SURVEY_STATUS_FIELDWORK).SerializeToString(), timeout=30,
                         headers=sociologist)
        # The head of the ЦУР assigns the team to this survey.
        assignment = agency_pb.RoleAssignment(principal="client:veche-survey-team-1", role="survey_team", survey_id=sid, team_id="team-1")
        assigned = await nc.request("veche.agency.v1.AssignRole", agency_pb.AssignRoleRequest(assignment=assignment).SerializeToString(),
                                    timeout=30, headers=bearer(user_token("cur-head")))
        assert not assigned.headers or "Nats-Service-Error" not in assigned.headers, assigned.headers

        receipts = asyncio.Queue()

        async def on_receipt(m):
            await receipts.put(m)

        sub = await team.subscribe("veche.survey.v1.receipts.team-1.py-batch-1", cb=on_receipt)
        batch = pb.ResultBatch(batch_id="py-batch-1", survey_id=sid, team_id="team-1", responses=[
            pb.Response(respondent_id="r1", stratum="A", base_weight=10, answers=[pb.Answer(question_code="sat", number=4, has_number=True)]),
            pb.Response(respondent_id="r2", stratum="A", base_weight=10, answers=[pb.Answer(question_code="sat", number=9, has_number=True)]),
            pb.Response(respondent_id="r3", stratum="B", base_weight=20, answers=[pb.Answer(question_code="sat", number=2, has_number=True)]),
        ])
        js = team.jetstream()
        ack = await js.publish("veche.survey.v1.batches.team-1", batch.SerializeToString(),
                               headers={"Nats-Msg-Id": "py-batch-1", **bearer(client_token("veche-survey-team-1"))})
        assert ack.stream == "VECHE_SURVEY_BATCHES"
        msg = await asyncio.wait_for(receipts.get(), timeout=30)
        receipt = pb.BatchReceipt.FromString(msg.data)
        assert receipt.status == pb.BATCH_STATUS_PARTIAL
        assert receipt.accepted_rows == 2 and receipt.rejected_rows == 1
        assert receipt.errors[0].respondent_id == "r2"
        await sub.unsubscribe()

        est = pb.EstimateResponse.FromString((await nc.request("veche.survey.v1.Estimate",
                                                               pb.EstimateRequest(survey_id=sid, question_code="sat").SerializeToString(), timeout=30,
                                                               headers=sociologist)).data)
        overall = next(r for r in est.rows if r.domain == "" and r.level == "")
        assert overall.n == 2
        assert overall.estimate == pytest.approx((4 * 10 + 2 * 20) / 30)
    finally:
        for c in (ops, nc, team):
            await c.close()


def test_survey_team_publishes_batch_and_gets_receipt(survey_pb, platform, pb_modules):
    pb, common = survey_pb
    asyncio.run(_run(platform, pb, common, pb_modules["agency"]))
