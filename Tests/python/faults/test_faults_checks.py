"""Each fault-injection check passes on consistent data and catches a planted fault (a check that can never
fail would prove nothing). Pure: no servers."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "scripts"))

from vechecluster import faults_checks as fc  # noqa: E402


def test_intake_counts_an_acknowledged_message_without_appeal_as_lost_and_two_appeals_as_duplicated():
    assert fc.intake(["a", "b"], ["a", "b"]).ok
    lost = fc.intake(["a", "b"], ["a"])
    assert lost.lost and not lost.duplicated
    assert fc.intake(["a", "b"], ["a", "b", "b"]).duplicated


def test_writes_catch_a_lost_acknowledged_write_and_a_retry_applied_twice():
    log = [fc.Write("x", "REGISTERED", "k1", True), fc.Write("x", "REGISTERED", "k1", True),  # a retry of one key
           fc.Write("x", "STARTED", "k2", False)]                                               # timed out: 0 or 1
    assert fc.writes(log, {"x": ["RECEIVED", "REGISTERED"]}).ok
    assert fc.writes(log, {"x": ["RECEIVED", "REGISTERED", "STARTED"]}).ok
    assert fc.writes(log, {"x": ["RECEIVED"]}).lost
    assert fc.writes(log, {"x": ["REGISTERED", "REGISTERED"]}).duplicated
    assert fc.writes(log, {"x": ["REGISTERED", "STARTED", "STARTED"]}).duplicated


def test_event_order_catches_a_gap_a_duplicate_and_a_swap():
    good = [("x", 1), ("y", 1), ("x", 2), ("x", 3)]
    assert fc.event_order(good, {"x": 3, "y": 1}).ok
    assert fc.event_order([("x", 1), ("x", 3)], {"x": 3}).lost
    assert fc.event_order([("x", 1), ("x", 2), ("x", 2)], {"x": 2}).duplicated
    assert fc.event_order([("x", 2), ("x", 1)], {"x": 2}).duplicated
    assert fc.event_order([("x", 1)], {"x": 2}).lost  # committed but never published


def test_projection_catches_a_missing_and_a_diverging_appeal():
    want = {"x": ("answered", "a1", 4, 6)}
    assert fc.projection(dict(want), want).ok
    assert fc.projection({}, want).lost
    assert fc.projection({"x": ("answered", "a1", None, 5)}, want).duplicated


def test_survey_rows_catch_a_lost_and_a_doubled_row():
    assert fc.survey_rows({"b1": 2}, [("b1", 0), ("b1", 1)]).ok
    assert fc.survey_rows({"b1": 2}, [("b1", 0)]).lost
    assert fc.survey_rows({"b1": 2}, [("b1", 0), ("b1", 1), ("b1", 1)]).duplicated
