"""The identity provider as `scripts/veche` sets it up (glewlwyd on SQLite, scripts/idp_setup.py)."""
import os
import sqlite3

from conftest import SECRETS


def test_the_providers_database_uses_a_write_ahead_log_so_a_code_is_validated_while_another_sign_in_commits():
    """In SQLite's default rollback journal a reader is refused while a writer commits: glewlwyd then failed to
    validate an authorization code ("Error executing j_query") and answered 403 to one of two concurrent sign-ins."""
    db = os.path.join(os.environ.get("VECHE_STATE_DIR") or os.path.dirname(SECRETS), "idp", "glewlwyd.db")
    assert os.path.exists(db), f"no provider database at {db}"
    c = sqlite3.connect(db, timeout=10)
    try:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        c.close()
