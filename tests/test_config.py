"""Settings read from the environment (config.py): yes/no values that refuse a typo instead of reading
it as "no", and the log level, whose routine INFO lines reach the process's stderr (journald under
systemd) by default."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, env
from feedback_app import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("typed,meaning", [
    ("1", True), ("true", True), ("Yes", True), (" ON ", True), ("TRUE", True),
    ("0", False), ("false", False), ("No", False), ("off", False), ("FALSE", False),
])
def test_a_yes_no_setting_reads_the_usual_words_in_any_case(monkeypatch, typed, meaning):
    monkeypatch.setenv("MAIL_USE_TLS", typed)
    assert env("MAIL_USE_TLS", not meaning, bool) is meaning


def test_an_empty_yes_no_setting_is_its_default(monkeypatch):
    monkeypatch.setenv("RATELIMIT_ENABLED", "")
    assert env("RATELIMIT_ENABLED", True, bool) is True
    monkeypatch.delenv("RATELIMIT_ENABLED")
    assert env("RATELIMIT_ENABLED", True, bool) is True


@pytest.mark.parametrize("name,typed", [("MAIL_USE_TLS", "ture"), ("RATELIMIT_ENABLED", "enabled"),
                                        ("SCHEDULER_IN_APP", "n"), ("POSTGRES_JIT", "2")])
def test_a_mistyped_yes_no_setting_stops_the_app_naming_it(monkeypatch, name, typed):
    monkeypatch.setenv(name, typed)
    with pytest.raises(ConfigError) as refused:
        env(name, False, bool)
    assert str(refused.value).startswith(f"pakn: {name}={typed!r} is not yes or no")
    assert "\n" not in str(refused.value)


def test_the_app_logs_at_info_unless_told_otherwise(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    assert create_app("testing", SQLALCHEMY_DATABASE_URI=url).logger.getEffectiveLevel() == logging.INFO
    quiet = create_app("testing", SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="warning")
    assert quiet.logger.getEffectiveLevel() == logging.WARNING
    with pytest.raises(ConfigError, match=r"^pakn: LOG_LEVEL='verbose' is not one of DEBUG, INFO, WARNING"):
        create_app("testing", SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="verbose")


def test_the_sweeps_summary_reaches_stderr_at_the_default_level(app):
    """What systemd's journal receives: a process with no logging set up by anyone but the app."""
    env = {**os.environ, "PAKN_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"], "SCHEDULER_IN_APP": "false"}
    for name in ("LOG_LEVEL", "PAKN_NOW"):
        env.pop(name, None)
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "deadlines", "sweep"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert any("INFO" in line and "deadline sweep as of" in line for line in run.stderr.splitlines()), run.stderr


@pytest.mark.parametrize("typed, expected", [(None, "https://dichvucong.gov.vn"), ("", "None"),
                                             ("https://pakn.example.gov.vn", "https://pakn.example.gov.vn")])
def test_the_national_system_on_the_notice_board_is_left_off_when_set_empty(typed, expected):
    env_vars = {k: v for k, v in os.environ.items() if k != "AGENCY_NATIONAL_PORTAL"}
    if typed is not None:
        env_vars["AGENCY_NATIONAL_PORTAL"] = typed
    out = subprocess.run([sys.executable, "-c", "from config import Config; print(Config.AGENCY_NATIONAL_PORTAL)"],
                         cwd=Path(__file__).resolve().parent.parent, env=env_vars, capture_output=True, text=True)
    assert out.stdout.strip() == expected, out.stderr


def test_gunicorn_stops_at_once_on_a_setting_it_refuses_instead_of_restarting_workers(tmp_path):
    env_vars = {**os.environ, "PAKN_ENV": "production", "SECRET_KEY": "change-me", "SCHEDULER_IN_APP": "false",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0", "wsgi:app"],
                              cwd=Path(__file__).resolve().parent.parent, env=env_vars, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the master and the workers it keeps starting
        server.communicate()
        pytest.fail("gunicorn kept restarting workers that cannot boot")
    assert server.returncode != 0 and "pakn: SECRET_KEY" in stderr


@pytest.mark.parametrize("setting, value, said", [
    ("SUBMIT_RATE_LIMIT", "ten", "SUBMIT_RATE_LIMIT='ten' is not a rate"),
    ("RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211", "RATELIMIT_STORAGE_URI='memcached://"),
    ("OFFICE_OPENS", "7h30", "OFFICE_OPENS='7h30' is not a local time of day"),
    ("OFFICE_OPENS", "07:30+07:00", "OFFICE_OPENS='07:30+07:00' is not a local time of day"),
    ("OFFICE_OPENS", "18:00", "is not before OFFICE_CLOSES"),
    ("OUTBOX_FLUSH_SECONDS", -5, "OUTBOX_FLUSH_SECONDS=-5 is not a whole number of 1 or more"),
    ("SWEEP_INTERVAL_SECONDS", 0, "SWEEP_INTERVAL_SECONDS=0 is not a whole number of 1 or more"),
    ("SQLALCHEMY_DATABASE_URI", "postgres://pakn@localhost/pakn", "write postgresql+psycopg://"),
    ("SQLALCHEMY_DATABASE_URI", "nonsense", "DATABASE_URL is not a database address"),
])
def test_a_setting_a_typo_would_break_later_stops_the_app_at_start_naming_it(tmp_path, setting, value, said):
    """README, Configuration: one line naming the variable, not a traceback on the first sweep or request."""
    overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pakn.sqlite3'}", setting: value}
    with pytest.raises(ConfigError, match=r"^pakn: ") as refused:
        create_app("testing", **overrides)
    assert said in str(refused.value.code)


def test_an_sqlite_older_than_pakn_needs_stops_the_app_at_start_saying_which(tmp_path, monkeypatch):
    import sqlite3
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    with pytest.raises(ConfigError, match=r"^pakn: ") as refused:
        create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pakn.sqlite3'}")
    assert "this Python's SQLite is 3.31.1: pakn needs 3.35 or later" in str(refused.value.code)
    create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://pakn@127.0.0.1:1/none")  # not SQLite: no matter
