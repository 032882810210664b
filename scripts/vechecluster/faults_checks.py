"""The fault-injection suite's verdicts, as pure functions over what the load recorded and what the servers
hold afterwards (no I/O here, so each check is unit-tested on synthetic data with a planted fault:
Tests/python/test_faults_checks.py). Every check returns a `Verdict`: how many items it looked at, which were
lost and which duplicated (or otherwise wrong), with a short description of each problem."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """One check's outcome: `checked` items, `lost` / `duplicated` problem descriptions."""
    name: str
    checked: int = 0
    lost: list = field(default_factory=list)
    duplicated: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.lost and not self.duplicated


@dataclass(frozen=True)
class Write:
    """One logical HTTP write of the load (all retries share `key`, the Idempotency-Key): `kind` is the event
    type it must produce on `appeal`; `acked` = some attempt got a 2xx; an unacknowledged write (it timed out
    or failed on every attempt) may or may not have been applied, so it only bounds duplicates."""
    appeal: str
    kind: str
    key: str
    acked: bool


def intake(accepted, stored):
    """Every intake message JetStream acknowledged is exactly one appeal. `accepted`: external ids of
    acknowledged publishes; `stored`: external id of every appeal row the run created (one entry per row)."""
    counts = Counter(stored)
    v = Verdict("intake: accepted message = exactly one appeal", checked=len(set(accepted)))
    v.lost = [f"{x}: acknowledged but no appeal" for x in sorted(set(accepted)) if counts[x] == 0]
    v.duplicated = [f"{x}: {n} appeals" for x, n in sorted(counts.items()) if n > 1]
    return v


def writes(log, events):
    """Every acknowledged HTTP write is applied exactly once. `log`: the Writes; `events`: {appeal id: [event
    type, ...]} from AppealService's table. Per appeal and kind, the number of events must be at least the
    acknowledged writes and at most acknowledged + unacknowledged ones (retries of one key count once)."""
    acked, maybe = defaultdict(set), defaultdict(set)
    for w in log:
        (acked if w.acked else maybe)[(w.appeal, w.kind)].add(w.key)
    for key in list(maybe):
        maybe[key] -= acked[key]
    v = Verdict("HTTP writes: acknowledged = applied exactly once", checked=sum(len(k) for k in acked.values()))
    for (appeal, kind) in sorted(set(acked) | set(maybe)):
        n = sum(1 for t in events.get(appeal, []) if t == kind)
        want, extra = len(acked[(appeal, kind)]), len(maybe[(appeal, kind)])
        if n < want:
            v.lost.append(f"{appeal} {kind}: {want} acknowledged, {n} applied")
        elif n > want + extra:
            v.duplicated.append(f"{appeal} {kind}: {want} acknowledged (+{extra} unacknowledged), {n} applied")
    return v


def event_order(stream, committed):
    """Every appeal's events are contiguous and in order in JetStream. `stream`: (appeal id, per-appeal
    sequence) of each stream message in stream order; `committed`: {appeal id: number of events in AppealService's
    table}. Each appeal's sequences must read 1, 2, ..., n with n = committed."""
    by_appeal = defaultdict(list)
    for appeal, seq in stream:
        by_appeal[appeal].append(seq)
    v = Verdict("events: contiguous and in order in JetStream", checked=len(committed))
    for appeal, n in sorted(committed.items()):
        seqs = by_appeal.get(appeal, [])
        dups = sorted(s for s, c in Counter(seqs).items() if c > 1)
        if dups:
            v.duplicated.append(f"{appeal}: sequences {dups} published more than once")
        if seqs != sorted(seqs):
            v.duplicated.append(f"{appeal}: out of order {seqs}")
        missing = sorted(set(range(1, n + 1)) - set(seqs))
        if missing:
            v.lost.append(f"{appeal}: sequences {missing} of {n} not in the stream")
    return v


def projection(facts, expected):
    """RatingService's projection equals a recomputation from AppealService's tables. Both are {appeal id:
    tuple of comparable fields}; `expected` is recomputed from the appeals table."""
    v = Verdict("rating projection = recomputation from appeals", checked=len(expected))
    for appeal, want in sorted(expected.items()):
        got = facts.get(appeal)
        if got is None:
            v.lost.append(f"{appeal}: missing from the projection")
        elif got != want:
            v.duplicated.append(f"{appeal}: projection {got} != recomputed {want}")
    return v


def survey_rows(acked, stored):
    """No survey row lost or doubled. `acked`: {batch id: rows the acknowledged receipt accepted}; `stored`:
    (batch id, row index) of every stored response row."""
    counts = Counter(stored)
    per_batch = Counter(b for b, _ in stored)
    v = Verdict("survey: accepted rows stored exactly once", checked=sum(acked.values()))
    v.lost = [f"batch {b}: {n} rows accepted, {per_batch[b]} stored" for b, n in sorted(acked.items()) if per_batch[b] < n]
    v.duplicated = [f"batch {b} row {i}: stored {n} times" for (b, i), n in sorted(counts.items()) if n > 1]
    v.duplicated += [f"batch {b}: {n} rows accepted, {per_batch[b]} stored" for b, n in sorted(acked.items()) if per_batch[b] > n
                     and not any(bb == b and c > 1 for (bb, _), c in counts.items())]
    return v
