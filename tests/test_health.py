"""/healthz tells a monitor (and nginx, and the benchmarks waiting for a server) whether pakn can serve:
the database reachable and migrated to the schema of this code, in JSON, cheaply. A database whose
migrations were never run answered "ok" before, while every page was a 500."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

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

