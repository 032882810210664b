"""HTTP writes of the fault-injection load: one logical write = one Idempotency-Key, retried (with the same
key) after timeouts, 5xx, 429 and refused connections, on a random gateway each time, until it is
acknowledged or its time budget runs out; sometimes retried once more after success, which must replay
the first outcome."""
import json
import random
import time
import urllib.error
import urllib.request
import uuid

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class Outcome:
    """What happened to one logical write: `status` of the last answer (0 = no answer), `body` of the
    acknowledged one, how many attempts, and whether a replay after success disagreed with the first answer."""

    def __init__(self, key):
        self.key, self.status, self.body, self.attempts, self.replay_mismatch = key, 0, None, 0, False
        self.replayed, self.replay_diff = False, ""

    @property
    def retried(self):
        """Acknowledged (or refused) on a later attempt than the first (a replay after success not counted)."""
        return self.attempts - (1 if self.replayed else 0) > 1

    @property
    def acked(self):
        return 200 <= self.status < 300


def call(url, body, token, key=None, timeout=5.0):
    """(status, parsed body) of one POST; (0, error text) when no answer arrived (timeout, refused)."""
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"null")
        except ValueError:
            return e.code, raw.decode(errors="replace")
    except Exception as e:  # timeout, refused, reset: the write may or may not have been applied
        return 0, repr(e)


class Writer:
    """Sends logical writes through the cluster's gateways with random short timeouts and retries."""

    def __init__(self, gateways, rng, budget=60.0, replay_share=0.1, on_failure=lambda: None):
        self.gateways, self.rng, self.budget, self.replay_share = gateways, rng, budget, replay_share
        self.on_failure = on_failure

    def write(self, path, body, token):
        out = Outcome(str(uuid.uuid4()))  # never seeded: a key reused across runs is refused (422), rightly
        deadline = time.monotonic() + self.budget
        while time.monotonic() < deadline:
            # Short timeouts on some attempts: the gateway may commit after the client gave up (the 504 case).
            timeout = self.rng.choice([0.3, 1.0, 5.0, 10.0])
            out.status, answer = call(self.rng.choice(self.gateways) + path, body, token, out.key, timeout)
            out.attempts += 1
            if out.acked:
                out.body = answer
                break
            if out.status and out.status not in RETRYABLE:
                out.body = answer
                return out
            if out.status or timeout >= 5.0 or "timed out" not in str(answer):
                self.on_failure()  # not the load's own deliberately short timeouts
            time.sleep(self.rng.uniform(0.05, 0.5))
        if out.acked and self.rng.random() < self.replay_share:
            out.replayed = True
            for _ in range(5):  # a transient failure (504 while a node is down) is no answer: ask again
                status, again = call(self.rng.choice(self.gateways) + path, body, token, out.key, 10.0)
                out.attempts += 1
                if status and status not in RETRYABLE:
                    break
                time.sleep(0.5)
            out.replay_mismatch = bool(status) and status not in RETRYABLE and (status != out.status or again != out.body)
            if out.replay_mismatch:
                fields = "; ".join(differences(out.body, again)[:6])
                out.replay_diff = f"{path} key {out.key}: first {out.status}, replay {status}: {fields}"
        return out


def differences(a, b, path=""):
    """Leaf fields where two JSON values differ: ["appeal.version: 3 -> 4", ...]."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}" if path else k)]
    return [] if a == b else [f"{path or '(body)'}: {str(a)[:80]} -> {str(b)[:80]}"]


def new_rng(seed):
    return random.Random(seed)
