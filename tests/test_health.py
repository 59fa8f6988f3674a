"""/healthz tells a monitor (and nginx, and the benchmarks waiting for a server) whether pakn can serve:
the database reachable and migrated to the schema of this code, in JSON, cheaply. A database whose
migrations were never run answered "ok" before, while every page was a 500. The details (which migration,
the mail backlog) are for this host and an admin only: the test client asks from 127.0.0.1 unless a test
says otherwise, and sees them."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from deadline_helpers import sign_in

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import OutboxMail
from feedback_app.services import health

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def newest_migration() -> str:
    """The revision of the highest-numbered file in migrations/versions: what `db upgrade` reaches."""
    newest = max(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    return re.search(r'^revision = "(\w+)"', newest.read_text(), re.M).group(1)


def never_migrated() -> None:
    """The tests' schema comes from create_all(), with no alembic_version (dropped: on PostgreSQL one
    may be left from a test before)."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def test_a_database_never_migrated_is_503_naming_the_problem(app, client):
    never_migrated()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "error"
    assert body["database"].startswith("no migration applied") and f"code expects {newest_migration()}" in body["database"]


def test_a_database_behind_the_code_names_both_migrations(app, client):
    # as `flask db stamp 0024` would leave it (not run in this process: Alembic's env.py reconfigures logging)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0024'")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": f"migration 0024, code expects {newest_migration()}"}


def test_a_database_at_the_code_s_head_is_ok_in_two_small_queries(app, client):
    client.get("/healthz")  # the first request of a process reads the head from migrations/
    statements = []
    listen = ("before_cursor_execute", lambda conn, cursor, statement, *_: statements.append(statement))
    event.listen(db.engine, *listen)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, *listen)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "migration": newest_migration(), "mail_waiting_seconds": 0}
    assert response.headers["Cache-Control"] == "no-store"
    assert len(statements) == 2, statements
    assert "alembic_version" in statements[0] and "outbox" in statements[1]


def test_the_age_of_the_oldest_due_mail_is_reported_but_never_fails_the_check(app, client, clock):
    now = clock.now()
    for key, due, status in (("old", now - timedelta(hours=2), "pending"), ("older-but-sent", now - timedelta(days=1), "sent"),
                             ("later", now + timedelta(minutes=10), "pending"), ("recent", now - timedelta(minutes=1), "pending")):
        db.session.add(OutboxMail(key=key, kind="test", recipients="hcth@example.gov.vn", subject="s", body_text="b",
                                  status=status, attempts=0, next_attempt_at=due))
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["mail_waiting_seconds"] == 2 * 3600


def test_an_unreachable_database_is_503_json_with_retry_after(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-folder' / 'pakn.sqlite3'}",
                     UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        response = app.test_client().get("/healthz")
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        assert response.get_json() == {"status": "error", "database": "unreachable"}
        # from elsewhere, with a session cookie that only the database could tell an admin's: the status
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = "1:0"
        public = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert public.status_code == 503 and public.headers["Retry-After"] == "30"
        assert public.get_json() == {"status": "error"}
        db.engine.dispose()


def test_the_code_s_head_is_read_from_migrations_once_per_process(app, client, monkeypatch):
    from alembic import script
    reads = []
    real = script.ScriptDirectory

    def counted(*args, **kwargs):
        reads.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(script, "ScriptDirectory", counted)
    health._code_heads.cache_clear()
    try:
        assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    finally:
        health._code_heads.cache_clear()  # not the counting one for later tests
    assert len(reads) == 1



ELSEWHERE = {"REMOTE_ADDR": "203.0.113.5"}


def stamp_behind() -> None:
    """The database at an older migration than the code, as `flask db stamp 0024` would leave it."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0024'")


def test_from_elsewhere_the_answer_is_the_status_alone_and_still_503_when_the_schema_differs(app, client):
    public = client.get("/healthz", environ_base=ELSEWHERE)
    assert public.status_code == 200 and public.get_json() == {"status": "ok"}
    assert public.headers["Cache-Control"] == "no-store"
    stamp_behind()
    public = client.get("/healthz", environ_base=ELSEWHERE)
    assert public.status_code == 503 and public.get_json() == {"status": "error"}
    local = client.get("/healthz", environ_base={"REMOTE_ADDR": "::1"})
    assert local.status_code == 503 and "0024" in local.get_json()["database"]


def test_a_signed_in_admin_sees_the_details_from_anywhere_other_staff_do_not(app, client, seeded):
    sign_in(client, seeded["office"])
    assert client.get("/healthz", environ_base=ELSEWHERE).get_json() == {"status": "ok"}
    sign_in(client, seeded["admin"])
    details = client.get("/healthz", environ_base=ELSEWHERE).get_json()
    assert details == {"status": "ok", "migration": newest_migration(), "mail_waiting_seconds": 0}


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_a_forged_x_forwarded_for_of_loopback_does_not_pass_for_this_host(app_with, proxies):
    """ProxyFix believes X-Forwarded-For as far as TRUSTED_PROXIES says: a client that reaches gunicorn
    itself, or nginx with the header already written, must still not count as 127.0.0.1."""
    app = app_with(TRUSTED_PROXIES=proxies)
    client = app.test_client()
    forged = [  # (the peer of gunicorn's socket, X-Forwarded-For as it arrives there)
        ("203.0.113.5", "127.0.0.1"),  # straight to gunicorn
        ("127.0.0.1", "127.0.0.1, 203.0.113.5"),  # through nginx, which appends whom it was reached by
        ("127.0.0.1", "::1, 127.0.0.1, 203.0.113.5"),
    ]
    for behind in (False, True):
        if behind:
            stamp_behind()
        for peer, header in forged:
            response = client.get("/healthz", environ_base={"REMOTE_ADDR": peer}, headers={"X-Forwarded-For": header})
            assert response.status_code == (503 if behind else 200)
            assert response.get_json() == {"status": "error" if behind else "ok"}, (peer, header)
        # on the host: curl to gunicorn, or through nginx to 127.0.0.1
        for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}):
            local = client.get("/healthz", headers=headers)
            assert local.status_code == (503 if behind else 200)
            body = local.get_json()
            assert ("0024" in body["database"]) if behind else (body["migration"] == newest_migration())


def test_a_column_the_code_expects_missing_is_still_the_check_s_503_for_a_signed_in_visitor(app, client, seeded):
    """The code ahead of the database (a deploy before ``db upgrade``): loading the signed-in user from
    elsewhere fails, on PostgreSQL as a ProgrammingError, which gave a 500 page instead of the answer."""
    sign_in(client, seeded["admin"])
    stamp_behind()
    rename = "ALTER TABLE users RENAME COLUMN {} TO {}"
    db.session.rollback()  # no lock of this session's in the way of the ALTER (PostgreSQL)
    db.session.expunge_all()  # the request loads the admin from the table, not from this session's memory
    with db.engine.begin() as connection:
        connection.exec_driver_sql(rename.format("session_version", "session_version_old"))
    try:
        response = client.get("/healthz", environ_base=ELSEWHERE)
    finally:
        db.session.rollback()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(rename.format("session_version_old", "session_version"))
    assert response.status_code == 503 and response.get_json() == {"status": "error"}


def test_a_mail_the_relay_keeps_refusing_is_waiting_since_it_was_written(app, client, clock):
    """Each failed try moves the next attempt on: the wait is counted from the mail's writing, so that a
    relay down for days shows as days (README: alert above 900 s)."""
    now = clock.now()
    db.session.add(OutboxMail(key="refused", kind="test", recipients="hcth@example.gov.vn", subject="s", body_text="b",
                              status="pending", attempts=3, created_at=now - timedelta(hours=5),
                              next_attempt_at=now + timedelta(minutes=20), last_error="421 try later"))
    db.session.commit()
    assert client.get("/healthz").get_json()["mail_waiting_seconds"] == 5 * 3600
