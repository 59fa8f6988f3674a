"""Fault tests: what happens when things break for real.

- the deadline sweep SIGKILLed after its first committed batch (a real ``flask deadlines sweep``
  process, on the test database: SQLite file or PostgreSQL): the next sweep finishes the work and
  nothing is done twice: one letter per overdue case, gap-free numbers, one mail per letter;
- PostgreSQL stopped and restarted under load (a dedicated throwaway server started by the test):
  requests during the outage get a clear 503 (JSON on the API, a page elsewhere), never a traceback,
  the ones after it succeed (SQLAlchemy drops the dead connections; idle ones are pinged before use,
  feedback_app/pool.py), no case is half written, and clients that send a failed submission again
  with its Idempotency-Key end up with exactly one case per key;
- the SMTP server down is covered where the outbox is tested, not repeated here:
  tests/test_outbox.py ``test_smtp_down_while_cases_go_overdue_then_up_every_mail_arrives_exactly_once``
  and tests/test_outbox_delivery.py ``test_an_smtp_outage_counts_no_attempt_and_the_mail_goes_once_the_server_is_back``.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, DeadlineNotice, Feedback, OutboxMail, Transition
from feedback_app.services.sweep import PAUSE_AFTER_BATCHES_ENV

from conftest import free_port, mark_at_head
from deadline_helpers import SUBMISSION, forwarded_case

ROOT = Path(__file__).resolve().parent.parent
OVERDUE_CASES = 12
BATCH = 5
SWEEP_AT = "2024-03-27T09:00:00+07:00"  # two working days after the answers were due (25 March 2024)


# --- the sweep killed mid-way ---------------------------------------------------------------------

def sweep_process(database_url: str, **env) -> tuple[list[str], dict]:
    """``flask deadlines sweep`` on the test's database, in batches of ``BATCH`` cases."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "deadlines", "sweep", "--now", SWEEP_AT,
               "--batch", str(BATCH)]
    environment = {**os.environ, "PAKN_ENV": "testing", "TEST_DATABASE_URL": database_url}
    environment.pop(PAUSE_AFTER_BATCHES_ENV, None)
    return command, {**environment, **env}


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_sweep_killed_after_its_first_batch_is_finished_by_the_next_and_nothing_is_done_twice(app, clock, seeded):
    cases = [forwarded_case(seeded) for _ in range(OVERDUE_CASES)]
    assert all(c.email for c in cases)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()  # no open transaction of ours in the way of the sweep's

    command, env = sweep_process(url, **{PAUSE_AFTER_BATCHES_ENV: "1"})
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        said = []
        while not any("paused after 1" in line for line in said):
            line = process.stderr.readline()
            assert line, f"the sweep ended before the pause: {''.join(said)}"
            said.append(line)
        # the first batch is committed: its letters exist, the others do not yet
        assert count(ApologyLetter) == BATCH
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()
    db.session.remove()

    command, env = sweep_process(url)
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"letters {OVERDUE_CASES - BATCH}," in again.stdout
    third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "overdue 0, letters 0," in third.stdout, third.stdout + third.stderr

    db.session.expire_all()
    letters = db.session.execute(select(ApologyLetter)).scalars().all()
    assert sorted(letter.feedback_id for letter in letters) == sorted(c.id for c in cases)  # one per case
    assert sorted(letter.number for letter in letters) == list(range(1, OVERDUE_CASES + 1))  # gap-free
    mails = db.session.execute(select(OutboxMail.key).where(OutboxMail.key.like("letter:%"))).scalars().all()
    assert sorted(mails) == sorted(f"letter:{letter.id}" for letter in letters)  # each queued once
    assert count(DeadlineNotice, DeadlineNotice.kind == "overdue") == OVERDUE_CASES
    assert count(Transition, Transition.event == "apology_letter") == OVERDUE_CASES
    assert count(Transition, Transition.event == "overdue") == OVERDUE_CASES


# --- the database unreachable -----------------------------------------------------------------------

def test_an_unreachable_database_gives_a_clear_503_on_every_kind_of_request_on_any_database(tmp_path):
    """SQLite cannot open a file in a folder that does not exist: the same OperationalError as a
    PostgreSQL server that is down, so the handler is checked on every CI run."""
    from feedback_app import create_app
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'gone' / 'pakn.sqlite3'}",
                     UPLOAD_DIR=str(tmp_path / "uploads"))
    client = app.test_client()
    api = client.post("/api/v1/feedback", json=BODY)
    assert api.headers["Retry-After"] == "30"
    assert_clean_outage(api.status_code, api.content_type, api.get_data(as_text=True), api=True)
    page = client.get("/cong-khai?lang=en")
    assert page.status_code == 503 and "Service temporarily unavailable" in page.get_data(as_text=True)
    # not "nothing was saved": the connection can drop after a commit; a retry is what is safe
    assert "may not have been carried out" in page.get_data(as_text=True)
    # a signed-in member of staff: even loading the user needs the database, and the page too
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
    staff = client.get("/van-phong/")
    assert staff.status_code == 503 and "Traceback" not in staff.get_data(as_text=True)
    # staff's own words: their action sent again is told when it was recorded (not a citizen's "phản ánh")
    assert "thao tác có thể chưa được thực hiện" in staff.get_data(as_text=True)
    assert "phản ánh mới" not in staff.get_data(as_text=True)


# --- PostgreSQL restarted under load --------------------------------------------------------------

def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class ThrowawayPostgres:
    """A PostgreSQL server of the test's own, in a temporary folder (as the postgres user when root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pakn-pg-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgresql+psycopg://pakn@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bindir / tool), *args], check=True, capture_output=True,
                       timeout=120)

    def ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", *args)

    def start(self) -> None:
        self.ctl("start", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off")

    def __enter__(self):
        self.run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "pakn")
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres():
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's binaries (initdb, pg_ctl) are not installed")
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed")
    with ThrowawayPostgres(bindir) as server:
        yield server


BODY = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
        "title": SUBMISSION.title, "content": SUBMISSION.content}


def request(base: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, str, str]:
    """(status, content type, body) of one request; a refused connection counts as status 0."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the load stalled"
        time.sleep(0.05)


def assert_clean_outage(status: int, content_type: str, text: str, api: bool) -> None:
    assert status == 503, (status, text[:500])
    assert "Traceback" not in text and "psycopg" not in text and "sqlalchemy" not in text.lower()
    if api:
        assert content_type.startswith("application/json")
        assert json.loads(text)["error"] == "Hệ thống tạm gián đoạn"
    else:
        assert content_type.startswith("text/html") and "Hệ thống tạm gián đoạn" in text
        assert "Không kết nối được cơ sở dữ liệu" in text


@pytest.mark.postgres_only
def test_postgres_restarted_under_load_gives_clean_503s_then_recovers_without_half_written_cases(
        own_postgres, tmp_path, clock):
    from werkzeug.serving import make_server

    from feedback_app import create_app
    from feedback_app.demo import seed

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=own_postgres.url, UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        db.create_all()
        mark_at_head()  # the schema is the head's: /healthz checks the stored revision
        seed(0, "secret-pass", progress=lambda *_: None)
        db.session.remove()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert request(base, "/api/v1/feedback", BODY)[0] == 201

        # a deterministic outage: the server stopped, every kind of request answered cleanly
        own_postgres.ctl("-m", "fast", "stop")
        assert_clean_outage(*request(base, "/api/v1/feedback", BODY), api=True)
        assert_clean_outage(*request(base, "/api/v1/feedback/PAKN.20240304.0001"), api=True)
        assert_clean_outage(*request(base, "/cong-khai"), api=False)
        status, content_type, body = request(base, "/healthz")
        assert (status, json.loads(body)) == (503, {"status": "error", "database": "unreachable"})
        own_postgres.start()
        assert request(base, "/healthz")[0] == 200  # the pool's stale connections were replaced

        # load across a restart: every answer is a success or a clean 503, never a 500; each submission
        # is sent again with its Idempotency-Key until it is answered, as a careful client does
        answers: list[tuple[int, str, str]] = []
        made: dict[str, str] = {}  # Idempotency-Key -> the code it was answered with
        unanswered: list[str] = []  # keys still refused with a 503 when their client gave up
        stop = threading.Event()

        def load(worker: int):
            for n in range(10_000):
                if stop.is_set():
                    break
                key, give_up = f"client-{worker}-{n}", time.monotonic() + 60
                while True:
                    answer = request(base, "/api/v1/feedback", BODY, key)
                    answers.append(answer)
                    if answer[0] != 503 or time.monotonic() > give_up:
                        break
                if answer[0] in (200, 201):
                    made[key] = json.loads(answer[2])["code"]
                elif answer[0] == 503:
                    unanswered.append(key)
                answers.append(request(base, "/cong-khai"))

        workers = [threading.Thread(target=load, args=(k,)) for k in range(4)]
        for worker in workers:
            worker.start()
        wait_for(lambda: len(answers) >= 20)
        own_postgres.ctl("-m", "fast", "restart")
        started = len(answers)
        wait_for(lambda: len(answers) >= started + 40)
        stop.set()
        for worker in workers:
            worker.join(90)
        assert not any(worker.is_alive() for worker in workers) and unanswered == []

        statuses = [a[0] for a in answers]
        assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
        for status, content_type, text in answers:
            if status == 503:
                assert_clean_outage(status, content_type, text, api=text.lstrip().startswith("{"))
        assert statuses[-8:].count(503) == 0  # the last requests all succeeded
        created = [json.loads(text)["code"] for status, _, text in answers if status == 201]
    finally:
        server.shutdown()

    with app.app_context():
        stored = db.session.execute(select(Feedback)).scalars().all()
        codes = {case.code for case in stored}
        assert set(created) <= codes
        # no half case: each one stored has its receipt in the audit trail and its due date
        for case in stored:
            assert case.due_date is not None and [t.event for t in case.transitions][:1] == ["receive"]
        # nothing lost, nothing done twice: one case per key, the one its answer named, plus the first
        assert len(stored) == 1 + len(made)
        assert {case.submission_key: case.code for case in stored if case.submission_key} == made
        db.session.remove()
        db.engine.dispose()


def test_an_idle_connection_is_pinged_and_replaced_while_a_busy_one_fails_once_then_recovers(
        own_postgres, monkeypatch):
    """feedback_app/pool.py: instead of a ping on every checkout, only a connection idle for longer
    than POOL_PING_IDLE_SECONDS is pinged. After a restart, an idle pool costs nobody a request; a
    pool used a moment ago fails the one request that finds its connection dead, and SQLAlchemy then
    drops the pool's older connections, so the next request succeeds."""
    from sqlalchemy import create_engine, exc, text

    from feedback_app import pool

    clock = [1000.0]
    monkeypatch.setattr(pool, "_monotonic", lambda: clock[0])
    engine = create_engine(own_postgres.url)
    pool.ping_when_idle(engine, idle_seconds=10)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c, _ping=engine.dialect.do_ping: pings.append(1) or _ping(c))

    def backend_pid() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()

    try:
        first = backend_pid()
        assert backend_pid() == first and pings == []  # used a moment ago: no ping, the same connection

        own_postgres.ctl("-m", "fast", "restart")
        clock[0] += 11  # idle past the limit: pinged, found dead, replaced before use
        assert backend_pid() != first and len(pings) == 1

        second = backend_pid()
        own_postgres.ctl("-m", "fast", "restart")
        clock[0] += 1  # busy: not pinged, so this one request fails …
        with pytest.raises(exc.OperationalError) as failed:
            backend_pid()
        assert failed.value.connection_invalidated
        assert backend_pid() != second and len(pings) == 1  # … and the next one has a new connection
    finally:
        engine.dispose()
