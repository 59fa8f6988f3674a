"""The schema comes from Alembic: upgrade from empty, match the models, downgrade to base."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

ROOT = Path(__file__).resolve().parent.parent


def flask(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "PAKN_ENV": "development", "SCHEDULER_IN_APP": "false"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def database_url(tmp_path, app):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    if url.startswith("postgresql"):
        from feedback_app.extensions import db
        db.drop_all()  # the migrations start from an empty database,
        with db.engine.begin() as conn:  # also when a test before stopped at an older revision
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    yield url


def test_upgrade_check_and_downgrade(database_url):
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    tables = set(inspect(create_engine(database_url)).get_table_names())
    assert {"units", "users", "feedback", "transitions", "apology_letters", "outbox", "alembic_version"} <= tables
    check = flask("db", "check", url=database_url)
    assert check.returncode == 0, check.stdout + check.stderr  # the models and the migrations agree
    assert_partial_indexes_as_modelled(database_url)
    down = flask("db", "downgrade", "base", url=database_url)
    assert down.returncode == 0, down.stderr
    assert set(inspect(create_engine(database_url)).get_table_names()) <= {"alembic_version"}


def assert_partial_indexes_as_modelled(url: str) -> None:
    """``db check`` compares no index's condition: each partial index of the models is in the migrated
    database with the same condition (its quoted values and its NOT NULL)."""
    from feedback_app.extensions import db
    engine = create_engine(url)
    stored_sql = ("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name" if engine.dialect.name == "sqlite"
                  else "SELECT indexdef FROM pg_indexes WHERE indexname = :name")
    checked = 0
    with engine.connect() as conn:
        for table in db.metadata.tables.values():
            for index in table.indexes:
                where = index.dialect_options[engine.dialect.name].get("where")
                if where is None:
                    continue
                stored = conn.execute(text(stored_sql), {"name": index.name}).scalar_one()
                for token in re.findall(r"'[^']*'|NOT NULL", str(where)):
                    assert token in stored, (index.name, token, stored)
                checked += 1
    assert checked >= 2  # ux_feedback_submission_key, ix_feedback_revising at least


def test_seed_demo_fills_every_state(database_url):
    assert flask("db", "upgrade", url=database_url).returncode == 0
    seeded = flask("seed-demo", url=database_url)
    assert seeded.returncode == 0, seeded.stderr
    out = seeded.stdout
    for state in ("received", "awaiting_info", "classified", "refused", "transferred", "forwarded",
                  "under_review", "answered", "published"):
        assert f"{state} " in out.split("Cases:")[1]
    assert "hcth@skhcn.example.gov.vn" in out and "Phòng" not in out.split("Demo logins")[1].split("\n")[0]
    # the sweep of each day gone by: letters dated the day after the date they missed, not the seed's
    # day, and cases whose promised date passed too escalated, for the leader to direct
    assert re.search(r"the sweep of each day since \d\d/\d\d/\d{4}: [1-9]\d* apology letters, [1-9]\d* escalations", out)
    with create_engine(database_url).connect() as connection:
        letters = connection.execute(text("SELECT issued_on, missed_due_date FROM apology_letters WHERE automatic")).all()
        assert letters and all(date.fromisoformat(str(issued)) > date.fromisoformat(str(missed))
                               and (date.fromisoformat(str(issued)) - date.fromisoformat(str(missed))).days <= 4
                               for issued, missed in letters)
    again = flask("seed-demo", url=database_url)
    assert "already present" in again.stdout
    flask("db", "downgrade", "base", url=database_url)


def test_readme_s_health_check_examples_name_the_latest_migration():
    """The /healthz examples in README.md name the migration an operator should see after an upgrade."""
    latest = max(p.name[:4] for p in (ROOT / "migrations" / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    readme = (ROOT / "README.md").read_text("utf-8")
    named = re.findall(r'"migration": ?"(\d{4})"|code expects (\d{4})', readme)
    assert named and {a or b for a, b in named} == {latest}


def test_migration_0037_stores_the_bases_with_the_rules_counts_as_placeholders(database_url):
    """A due date's basis stored before 0037 (the default counts written out, the unit's 15 days put on QĐ
    574) becomes the text with placeholders, shown with the department's counts; down again, as it was."""
    from workflows.deadlines import BASIS, Step
    before = ("QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: đơn vị xử lý trong 15 ngày làm việc kể từ khi được chuyển, "
              "toàn bộ không quá 20 ngày làm việc kể từ ngày tiếp nhận")
    assert flask("db", "upgrade", "0036", url=database_url).returncode == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO feedback (id, code, submitter_name, address, title, content, consent_publish, "
                          "channel, language, received_at, state, version, paused_days, extension_count, created_at, "
                          "updated_at, due_basis) VALUES (1, 'PAKN.20240501.0001', 'A', 'B', 'C', 'D', false, 'web', "
                          "'vi', :at, 'forwarded', 1, 0, 0, :at, :at, :basis)"),
                     {"at": "2024-05-02 09:00:00+00:00", "basis": before})

    def stored():
        with engine.connect() as conn:  # closed at once: PostgreSQL's downgrade drops the table
            return conn.execute(text("SELECT due_basis FROM feedback")).scalar_one()

    assert flask("db", "upgrade", url=database_url).returncode == 0
    assert stored() == BASIS[Step.ANSWER] and "%(answer_days)s" in stored()
    assert flask("db", "downgrade", "0036", url=database_url).returncode == 0
    assert stored() == before
    engine.dispose()
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0


def test_migration_0038_lets_a_staff_mail_expire_and_down_again_counts_it_failed(database_url):
    assert flask("db", "upgrade", "0037", url=database_url).returncode == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO outbox (id, key, kind, recipients, subject, body_text, status, attempts, "
                          "next_attempt_at, created_at) VALUES (1, 'digest:2024-05-02', 'digest', 'ld@x.vn', 'S', "
                          "'B', 'pending', 0, :at, :at)"), {"at": "2024-05-02 09:00:00+00:00"})
    assert flask("db", "upgrade", url=database_url).returncode == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET status = 'expired', expires_at = :at"), {"at": "2024-05-02 17:00:00+00:00"})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the constraint still holds the others out
        conn.execute(text("UPDATE outbox SET status = 'lost'"))
    assert flask("db", "downgrade", "0037", url=database_url).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM outbox")).scalar_one() == "failed"
    engine.dispose()
    assert flask("db", "downgrade", "base", url=database_url).returncode == 0
