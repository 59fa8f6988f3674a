"""Migration 0005 fills ``closed_at`` of the cases refused or transferred before it, from the audit
trail, so that reports on past periods count them."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from test_migrations import database_url, flask  # noqa: F401  (fixture)

CASE = ("INSERT INTO feedback (id, code, submitter_name, address, title, content, consent_publish, channel, language,"
        " received_at, state, version, paused_days, extension_count, created_at, updated_at)"
        " VALUES (:id, :code, 'A', 'B', 'T', 'C', false, 'web', 'vi', '2024-03-01 02:00:00', :state, 1, 0, 0,"
        " '2024-03-01 02:00:00', '2024-03-01 02:00:00')")
STEP = ("INSERT INTO transitions (feedback_id, event, from_state, to_state, actor_label, at, public)"
        " VALUES (:id, :event, :src, :dst, 'x', :at, true)")


def test_upgrade_to_0005_fills_closed_at_from_the_audit_trail(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0001", url=database_url).returncode == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for id_, state, event, at in ((1, "refused", "refuse", "2024-03-05 03:00:00"),
                                      (2, "transferred", "transfer_out", "2024-03-06 04:00:00"),
                                      (3, "classified", "classify", "2024-03-07 05:00:00")):
            conn.execute(text(CASE), {"id": id_, "code": f"PAKN.20240301.000{id_}", "state": state})
            conn.execute(text(STEP), {"id": id_, "event": "receive", "src": "received", "dst": "received",
                                      "at": "2024-03-01 02:00:00"})
            conn.execute(text(STEP), {"id": id_, "event": event, "src": "received", "dst": state, "at": at})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        closed = dict(conn.execute(text("SELECT id, closed_at FROM feedback ORDER BY id")).all())
    assert str(closed[1]).startswith("2024-03-05 03:00:00") and str(closed[2]).startswith("2024-03-06 04:00:00")
    assert closed[3] is None
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0
    engine.dispose()
