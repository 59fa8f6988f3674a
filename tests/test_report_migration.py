"""Migration 0005 fills ``closed_at`` of the cases refused or transferred before it, from the audit
trail, so that reports on past periods count them."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

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


LETTER = ("INSERT INTO apology_letters (feedback_id, year, number, step, issued_on, missed_due_date, new_due_date,"
          " reason, signer_title, automatic, created_at)"
          " VALUES (:id, 2024, :id, 'answer', '2024-03-26', '2024-03-25', '2024-04-01', 'r', 's', true,"
          " '2024-03-26 01:00:00')")


def test_upgrade_to_0014_judges_answers_after_an_apology_letter_by_the_first_date(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0013", url=database_url).returncode == 0
    engine = create_engine(database_url)
    answered = ("UPDATE feedback SET answered_at = :at, answered_due_date = :due, answered_on_time = :ok"
                " WHERE id = :id")
    with engine.begin() as conn:
        # 1: answered on 27/03 (local) by the letter's new date 01/04: stored as on time, in fact late;
        # 2: answered on 25/03 at 23:30 local, the first date's last half hour: on time;
        # 3: no letter: untouched
        for id_, at, due, ok, letter in ((1, "2024-03-27 02:00:00", "2024-04-01", True, True),
                                         (2, "2024-03-25 16:30:00", "2024-04-01", True, True),
                                         (3, "2024-03-27 02:00:00", "2024-04-01", True, False)):
            conn.execute(text(CASE), {"id": id_, "code": f"PAKN.20240301.000{id_}", "state": "answered"})
            conn.execute(text(answered), {"id": id_, "at": at, "due": due, "ok": ok})
            if letter:
                conn.execute(text(LETTER), {"id": id_})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        rows = {i: (str(d), bool(ok)) for i, d, ok in
                conn.execute(text("SELECT id, answered_due_date, answered_on_time FROM feedback ORDER BY id"))}
    assert rows == {1: ("2024-03-25", False), 2: ("2024-03-25", True), 3: ("2024-04-01", True)}
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0
    engine.dispose()


def test_upgrade_to_0018_reads_the_cases_classified_before_it_as_about_a_regulation(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0017", url=database_url).returncode == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO categories (id, code, name) VALUES (1, 'TTHC', 'Thủ tục hành chính')"))
        for id_ in (1, 2):
            conn.execute(text(CASE), {"id": id_, "code": f"PAKN.20240301.000{id_}", "state": "classified"})
        conn.execute(text("UPDATE feedback SET category_id = 1 WHERE id = 1"))
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        subjects = dict(conn.execute(text("SELECT id, subject FROM feedback ORDER BY id")).all())
    assert subjects == {1: "regulation", 2: None}  # classified before 0018; not yet classified
    assert flask("db", "downgrade", "0017", url=database_url).returncode == 0
    engine.dispose()


def test_0020_admits_the_collecting_state_and_its_downgrade_puts_such_a_case_back_to_forwarded(database_url):  # noqa: F811
    assert flask("db", "upgrade", url=database_url).returncode == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(CASE), {"id": 1, "code": "PAKN.20240301.0001", "state": "collecting"})
    down = flask("db", "downgrade", "0019", url=database_url)
    assert down.returncode == 0, down.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM feedback")).scalar_one() == "forwarded"
    with engine.begin() as conn, pytest.raises(IntegrityError):  # the older constraint is back
        conn.execute(text("UPDATE feedback SET state = 'collecting'"))
    assert flask("db", "upgrade", url=database_url).returncode == 0
    engine.dispose()


def test_upgrade_to_0022_hides_the_hand_offs_among_staff_from_the_citizen(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0021", url=database_url).returncode == 0
    engine = create_engine(database_url)
    events = ("receive", "classify", "forward", "return_to_office", "forward", "submit_draft", "request_changes",
              "submit_draft", "approve")
    with engine.begin() as conn:
        conn.execute(text(CASE), {"id": 1, "code": "PAKN.20240301.0001", "state": "answered"})
        for event in events:
            conn.execute(text(STEP), {"id": 1, "event": event, "src": "x", "dst": "y", "at": "2024-03-01 02:00:00"})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        shown = conn.execute(text("SELECT event FROM transitions WHERE public ORDER BY id")).scalars().all()
    assert shown == ["receive", "classify", "forward", "forward", "approve"]
    assert flask("db", "downgrade", "0021", url=database_url).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM transitions WHERE public")).scalar_one() == len(events)
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0
    engine.dispose()


def test_upgrade_to_0026_renames_the_transferred_column_in_the_closed_reports(app, database_url):  # noqa: F811
    """A period closed before 0026 keeps its count of cases transferred to another agency, now read from
    the column ``transferred``, on the report page's figures; the downgrade gives the old key back."""
    import json

    from feedback_app.reports.periods import quarter
    from feedback_app.reports.queries import Report

    assert flask("db", "upgrade", "0025", url=database_url).returncode == 0
    engine = create_engine(database_url)
    old = {"units": [{"unit": "HCTH", "unit_name": "Phòng Hành chính - Tổng hợp", "received": 3, "forwarded": 2}],
           "columns": ["received", "forwarded"], "total": {"received": 3, "forwarded": 2},
           "period": {"label": "2024-Q2"}}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO report_snapshots (period_start, period_end, label, figures, closed_by_label,"
                          " closed_at) VALUES ('2024-03-15', '2024-06-14', '2024-Q2', :f, 'HCTH', '2024-06-20')"),
                     {"f": json.dumps(old, ensure_ascii=False)})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr

    def stored():
        with engine.connect() as conn:
            return json.loads(conn.execute(text("SELECT figures FROM report_snapshots")).scalar_one())
    figures = stored()
    assert figures["columns"] == ["received", "transferred"] and figures["total"]["transferred"] == 2
    report = Report.from_dict(figures, quarter(2024, 2))
    assert report.total.values["transferred"] == 2 and report.units[0].values["transferred"] == 2
    assert report.units[0].unit_name == "Phòng Hành chính - Tổng hợp"
    assert flask("db", "downgrade", "0025", url=database_url).returncode == 0
    assert stored()["total"] == {"received": 3, "forwarded": 2} and stored()["units"][0]["forwarded"] == 2
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0
    engine.dispose()
