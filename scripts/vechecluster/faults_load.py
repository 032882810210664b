"""The fault-injection suite's mixed load: JetStream intake of real appeal texts (Kursk ПОС, ../shared/data),
each registered appeal driven through assign → start → answer → rate over HTTP (Idempotency-Key,
random retries), and survey result batches over HTTP. Everything it did is recorded for faults_checks."""
import asyncio
import csv
import gzip
import os
import random
import threading
import time

from . import faults_checks, identity
from .faults_http import Writer

# Intake registers an appeal itself (auto-registration); the operator assigns it, the agency works on it.
LIFECYCLE = [("transitions", {"action": "assign"}, "ASSIGNED"),
             ("transitions", {"action": "start"}, "STARTED"),
             ("answer", {"answerText": "Работы выполнены, нарушение устранено.", "complete": True}, "ANSWERED"),
             ("rating", {"satisfaction": 4}, "RATED")]


def appeal_texts(data_dir, limit=5000):
    """Real citizen appeal texts (Kursk, «Цифровой прорыв 2022»; see ../shared/data/README.md)."""
    with gzip.open(os.path.join(data_dir, "kursk_cp2022_appeals_train.csv.gz"), "rt", encoding="utf-8") as f:
        texts = [row["Текст Сообщения"].strip() for row in csv.DictReader(f)]
    return [t for t in texts if len(t) > 20][:limit]


class Record:
    """Everything the load did, shared by its threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.intake_sent, self.intake_acked = 0, []
        self.writes, self.replay_mismatches, self.rejected, self.replay_diffs = [], 0, [], []
        self.http_attempts = 0  # every HTTP request of the writes and batches, retries and replays included
        self.retried = 0        # writes acknowledged only after a retry (timeout, 5xx, refused connection)
        self.batches_sent, self.batches_acked = 0, {}
        self.failures = []  # monotonic time of every failed attempt: timeout, refused, 429, 5xx

    def note_replay(self, out):
        """Counts (caller holds the lock) a replay after success whose answer differed from the first."""
        if out.replay_mismatch:
            self.replay_mismatches += 1
            self.replay_diffs.append(out.replay_diff)

    def failed(self):
        with self.lock:
            self.failures.append(time.monotonic())


class Load:
    def __init__(self, cluster, run_id, rng, data_dir, agency, stop):
        self.cluster, self.run_id, self.rng, self.stop = cluster, run_id, rng, stop
        self.texts = appeal_texts(data_dir)
        self.agency = agency
        self.gateways = [f"http://127.0.0.1:{g.http_port}/api/v1" for g in cluster.layout.gateways()]
        self.rec = Record()
        secrets = cluster.layout.secrets
        self.importer = identity.client_token("veche-import", secrets)
        self.portal = identity.client_token("veche-integration-portal", secrets)
        self.sociologist = identity.user_token("sociologist", secrets)
        self.queue, self.seen = [], set()

    # -- intake over JetStream ----------------------------------------------------------------

    async def _intake(self, pb):
        import nats
        async def quiet(_e):
            pass
        nc = await nats.connect(servers=self.cluster.layout.nats_url_list.split(","), connect_timeout=1, reconnect_time_wait=0.2,
                                max_reconnect_attempts=-1, error_cb=quiet, **identity.nats_options("integration-portal", self.cluster.layout.secrets))
        js = nc.jetstream(timeout=2)
        i = 0
        while not self.stop.is_set():
            ext = f"{self.run_id}-{i}"
            msg = pb.IncomingAppeal(channel=pb.CHANNEL_PORTAL, external_id=ext, title="Обращение",
                                    text=self.texts[i % len(self.texts)], address="Курск")
            self.rec.intake_sent += 1
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # retried with the same Nats-Msg-Id: the stream deduplicates
                try:
                    await js.publish("veche.intake.v1.portal", msg.SerializeToString(),
                                     headers={"Nats-Msg-Id": f"portal:{ext}", "Authorization": "Bearer " + self.portal})
                    self.rec.intake_acked.append(ext)
                    break
                except Exception:
                    self.rec.failed()
                    await asyncio.sleep(0.2)
            i += 1
            await asyncio.sleep(self.rng.uniform(0.02, 0.1))
        await nc.close()

    def intake(self, pb):
        asyncio.run(self._intake(pb))

    # -- lifecycle over HTTP --------------------------------------------------------------------

    def discover(self, appeals_of_run):
        """Adds the run's registered appeals to the work queue (`appeals_of_run()` -> ids)."""
        for appeal in appeals_of_run() or []:
            with self.rec.lock:
                if appeal not in self.seen:
                    self.seen.add(appeal)
                    self.queue.append(appeal)

    def lifecycle_worker(self, seed):
        writer = Writer(self.gateways, random.Random(seed), on_failure=self.rec.failed)
        while not self.stop.is_set():
            with self.rec.lock:
                appeal = self.queue.pop(0) if self.queue else None
            if appeal is None:
                time.sleep(0.2)
                continue
            for route, body, kind in LIFECYCLE:
                if self.stop.is_set():
                    break
                if kind == "ASSIGNED":
                    body = dict(body, agencyId=self.agency)
                out = writer.write(f"/appeals/{appeal}/{route}", body, self.importer)
                with self.rec.lock:
                    self.rec.writes.append(faults_checks.Write(appeal, kind, out.key, out.acked))
                    self.rec.note_replay(out)
                    self.rec.http_attempts += out.attempts
                    self.rec.retried += out.acked and out.retried
                if out.acked:
                    continue
                if out.status:
                    self.rec.rejected.append(f"{appeal} {kind}: {out.status} {str(out.body)[:160]}")
                break

    # -- survey batches over HTTP ---------------------------------------------------------------

    def survey(self, seed):
        writer = Writer(self.gateways, random.Random(seed), on_failure=self.rec.failed)
        sid = f"faults-{self.run_id}"
        definition = {"id": sid, "title": "Проверка отказоустойчивости",
                      "questions": [{"code": "quality", "text": "Оцените качество", "type": "likert", "scaleMin": 1, "scaleMax": 5}]}
        for path, body in (("/surveys", definition), (f"/surveys/{sid}/status", {"status": "fieldwork"})):
            out = writer.write(path, body, self.sociologist)
            if not out.acked:
                self.rec.rejected.append(f"survey {path}: {out.status} {str(out.body)[:160]}")
                return
        b = 0
        while not self.stop.is_set():
            batch_id = f"{sid}-b{b}"
            rows = [{"respondentId": f"{batch_id}-r{i}", "stratum": "A", "baseWeight": 10,
                     "answers": [{"questionCode": "quality", "number": 1 + (b + i) % 5, "hasNumber": True}]} for i in range(5)]
            self.rec.batches_sent += 1
            out = writer.write(f"/surveys/{sid}/batches", {"batchId": batch_id, "responses": rows}, self.sociologist)
            with self.rec.lock:
                self.rec.http_attempts += out.attempts
                self.rec.retried += out.acked and out.retried
                self.rec.note_replay(out)
            if out.acked:
                self.rec.batches_acked[batch_id] = int(((out.body or {}).get("receipt") or {}).get("acceptedRows", 0))
            elif out.status:
                self.rec.rejected.append(f"batch {batch_id}: {out.status} {str(out.body)[:160]}")
            b += 1
            time.sleep(self.rng.uniform(0.1, 0.4))
