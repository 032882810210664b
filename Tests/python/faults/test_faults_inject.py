"""Time to recover is measured from the load's failed attempts, per fault window (pure, no servers)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "scripts"))

from vechecluster.faults_inject import Fault, recovery  # noqa: E402


def test_each_fault_owns_the_failures_until_the_next_fault():
    faults = recovery([Fault("nats-1", 10.0, 5.0), Fault("pg-node1", 30.0, 5.0), Fault("gateway-1", 50.0, 5.0)],
                      [9.0, 10.5, 14.0, 31.0, 42.0], end=60.0)
    assert [(f.failed, f.recover_s) for f in faults] == [(2, 4.0), (2, 12.0), (0, 0.0)]
