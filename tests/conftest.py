"""Shared fixtures: an app on a real database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is
set), the settable clock, a real SMTP server on loopback, a live server and headless Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from flask import g
from sqlalchemy import inspect, text

from feedback_app import create_app
from feedback_app.extensions import db
from workflows.clock import CLOCK

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_configure(config):
    """Under pytest-xdist each worker has a PostgreSQL database of its own (``<database>_gw0``, …),
    made afresh, so that workers never empty each other's tables; subprocesses started by tests read
    it from the environment."""
    global TEST_DATABASE_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if ON_POSTGRES and worker:
        TEST_DATABASE_URL = os.environ["TEST_DATABASE_URL"] = _fresh_database(TEST_DATABASE_URL, worker)


def _fresh_database(url: str, suffix: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{suffix}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL=postgresql+psycopg://…)")
    # A page's layout, accessibility and script read the HTML, which no database changes: checked in the
    # SQLite run; the PostgreSQL run keeps every test whose outcome the database could change (the
    # browser walks through the workflow included), and the whole suite stays within its time on 2 cores.
    once = pytest.mark.skip(reason="layout and accessibility: the same pages on either database, checked on SQLite")
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "layout" in item.keywords and ON_POSTGRES:
            item.add_marker(once)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_pg_schema_ready = False


def _database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'pakn-test.sqlite3'}"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A fresh app and an empty schema for every test."""
    global _pg_schema_ready
    monkeypatch.delenv("PAKN_NOW", raising=False)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(tmp_path),
                     UPLOAD_DIR=str(tmp_path / "uploads"))
    @app.before_request
    def fresh_request_globals():
        # The test keeps one app context open, which Flask reuses for every test-client request;
        # in production each request has its own, so start each request with an empty ``g``.
        g.__dict__.clear()

    with app.app_context():
        if ON_POSTGRES:
            # one schema per run, emptied before each test (a migration test may have dropped it, or left
            # it at an older revision)
            if not _pg_schema_ready or not set(db.metadata.tables) <= set(inspect(db.engine).get_table_names()):
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
            else:
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                db.session.commit()
        else:
            db.create_all()
        mark_at_head()
        yield app
        db.session.remove()
        db.engine.dispose()
    CLOCK.set(None)


def mark_at_head() -> None:
    """create_all() makes the schema of the migrations' head (tests/test_migrations.py: `db check`):
    record that head in alembic_version as `db upgrade` would, so that /healthz finds a migrated database."""
    from sqlalchemy import Column, MetaData, String, Table
    from feedback_app.services.health import code_heads
    table = Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True))
    with db.engine.begin() as connection:
        table.create(connection, checkfirst=True)
        connection.execute(table.delete())
        connection.execute(table.insert(), [{"version_num": head} for head in code_heads()])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock():
    """The one clock, fixed at a Monday morning in Vietnam; tests move it with set()/advance()."""
    CLOCK.set("2024-03-04T09:00:00+07:00")
    yield CLOCK
    CLOCK.set(None)


@pytest.fixture
def seeded(app):
    """The department's units, categories and one user per role (as the demo makes them), no cases."""
    from feedback_app.demo import seed
    seed(0, "secret-pass", progress=lambda *_: None)
    from feedback_app.models import User
    return {u.role if u.role != "unit" else u.unit.code: u for u in db.session.query(User)}


# --- a real SMTP server on loopback -------------------------------------------------------------

class Inbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: dict[str, int] = {}  # addresses refused, with the code: 550 no such mailbox, 451 try later
        self._cond = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd handler
        if address in self.refused:
            code = self.refused[address]
            return (f"550 5.1.1 <{address}>: Recipient address rejected: User unknown" if code >= 500
                    else f"{code} 4.2.2 <{address}>: Mailbox full, try again later")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until ``count`` messages arrived (delivery is synchronous; this only absorbs I/O)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def refuse(self, address: str, code: int = 550) -> None:
        """Answer mail to ``address`` as a server does a mailbox that does not exist (550, for good), or one
        that cannot take it now (4xx: full, greylisted): the outbox gives up on the first at once."""
        self.inbox.refused[address] = code

    def accept(self, address: str) -> None:
        self.inbox.refused.pop(address, None)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback, the app pointed at it. ``smtp.stop()``/``start()`` to test outages."""
    server = SMTPServer(free_port())
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


# --- a live server and headless Chromium ------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The app served on loopback in a thread, on the same database as the test."""
    from werkzeug.serving import make_server
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed at /usr/bin/chromium")
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    # the case page asks before an action that cannot be taken back (static/pakn.js): the person says
    # yes (Playwright would say no); tests/test_case_page_script.py says no too
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def dot_available() -> bool:
    return shutil.which("dot") is not None


# --- issue 3 (public portal) -------------------------------------------------------------------

@pytest.fixture
def app_with(tmp_path):
    """``app_with(**settings)``: an app with other settings (CSRF or rate limits on), on its own SQLite
    file, its app context pushed until the test ends. Not to be combined with the ``app`` fixture."""
    made = []

    def make(**overrides):
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'own-{len(made)}.sqlite3'}",
                         UPLOAD_DIR=str(tmp_path / "own-uploads"), **overrides)
        context = app.app_context()
        context.push()
        db.create_all()
        mark_at_head()
        made.append(context)
        return app
    yield make
    for context in reversed(made):
        db.session.remove()
        db.engine.dispose()
        context.pop()
