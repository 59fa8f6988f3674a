"""SQLite shared by several workers: WAL mode, and writers that queue on an OS lock instead of
polling SQLite's busy handler (feedback_app/sqlite.py)."""
import sqlite3
import threading

import pytest

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.sqlite import QueuedWriterConnection, engine_options


def connect(path, **kwargs):
    # timeout=0: no busy handler at all, so a writer that did not queue fails at once with "locked"
    return sqlite3.connect(str(path), factory=QueuedWriterConnection, timeout=0, check_same_thread=False, **kwargs)


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "queue.sqlite3"
    with connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
    return path


def test_a_second_writer_waits_for_the_first_instead_of_failing(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t VALUES (1)")  # first holds the write transaction
    done = threading.Event()

    def write_second():
        second.execute("INSERT INTO t VALUES (2)")
        second.commit()
        done.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not done.wait(0.3)  # queued behind the first writer, not failed with "database is locked"
    first.commit()
    thread.join(5)
    assert done.is_set()
    assert sorted(n for (n,) in first.execute("SELECT n FROM t")) == [1, 2]


def test_a_reader_never_waits_for_a_writer(database):
    writer, reader = connect(database), connect(database)
    writer.execute("INSERT INTO t VALUES (1)")
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # WAL: the last committed state
    writer.rollback()


def test_rollback_and_autocommit_release_the_queue(database):
    first, second = connect(database), connect(database, isolation_level=None)
    first.execute("INSERT INTO t VALUES (1)")
    first.rollback()
    second.execute("INSERT INTO t VALUES (2)")  # autocommit: the lock is dropped after the statement
    first.execute("INSERT INTO t VALUES (3)")
    first.commit()
    assert sorted(n for (n,) in second.execute("SELECT n FROM t")) == [2, 3]


def test_a_file_database_runs_in_wal_mode_and_memory_databases_are_left_alone(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    with app.app_context():
        assert db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert engine_options("sqlite://", {"pool_pre_ping": True}) == {"pool_pre_ping": True}
    assert engine_options("postgresql+psycopg://u@h/d", {}) == {}


@pytest.mark.parametrize("opening", ["SAVEPOINT sa_savepoint_1", "BEGIN IMMEDIATE"])
def test_a_writer_that_opens_with_a_savepoint_or_begin_immediate_queues_too(database, opening):
    """SQLAlchemy's begin_nested with no transaction open sends the SAVEPOINT alone, and the sweep opens
    its batches with BEGIN IMMEDIATE: the writes that follow must wait in the queue like any other."""
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t VALUES (1)")
    done, failed = threading.Event(), []

    def write_second():
        try:
            second.execute(opening)
            second.execute("INSERT INTO t VALUES (2)")
            second.commit()
            done.set()
        except sqlite3.OperationalError as exc:  # "database is locked": it did not queue
            failed.append(exc)

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not done.wait(0.3) and not failed
    first.commit()
    thread.join(5)
    assert done.is_set() and not failed
    assert sorted(n for (n,) in first.execute("SELECT n FROM t")) == [1, 2]
