"""SQLite as the zero-set-up database, made fit for several gunicorn workers on one file.

- Write-ahead logging: readers never wait for the writer nor the writer for readers, and a commit
  costs one append and one fsync instead of a rollback journal's several. The mode is stored in
  the file.
- Writers queue on an OS lock. SQLite lets one writer in at a time and makes the others poll: its
  busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, so under load most of a submission's time
  was spent asleep while the file was already free (bench/submit.py: p99 of 0.7 s, CPUs idle). A
  connection now takes an exclusive ``flock`` on ``<database>.writers`` just before the statement
  that opens its write transaction and drops it when the transaction ends; the kernel wakes the next
  writer at once. Reads take no lock. A process that does not take part (the ``sqlite3`` shell)
  still meets SQLite's own lock and busy handler, so nothing is less safe than before.

PostgreSQL needs none of this. Nothing here imports Flask.
"""
from __future__ import annotations

import re
import sqlite3

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy handler alone
    fcntl = None

# Statements that open a transaction which writes: the data-changing ones, an explicit write transaction
# (the sweep's BEGIN IMMEDIATE), and a savepoint (SQLAlchemy's begin_nested: with no transaction open,
# pysqlite sends the SAVEPOINT alone and the writes inside it would otherwise bypass the queue and meet
# SQLite's lock without it: "database is locked" for the sweep's digest under a concurrent sign-in).
_OPENS_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b",
                          re.IGNORECASE)


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection (pass as ``factory=``) in WAL mode whose writers queue on a file lock."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._queue = open(f"{database}.writers", "ab") if fcntl is not None else None  # noqa: SIM115
        self._writing = False
        self.execute("PRAGMA journal_mode=WAL")

    def cursor(self, factory=None):
        return super().cursor(factory or _QueuedWriterCursor)

    def execute(self, sql, parameters=()):  # the C shortcut would bypass the cursor's execute
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self.cursor().executemany(sql, seq_of_parameters)

    def before(self, sql: str) -> None:
        if self._queue is not None and not self._writing and not self.in_transaction and _OPENS_WRITE.match(sql):
            fcntl.flock(self._queue, fcntl.LOCK_EX)
            self._writing = True

    def after(self) -> None:
        """Drop the lock once no write transaction is open (committed, rolled back, or autocommitted)."""
        if self._writing and not self.in_transaction:
            fcntl.flock(self._queue, fcntl.LOCK_UN)
            self._writing = False

    def commit(self):
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.after()

    def close(self):
        try:
            super().close()
        finally:
            if self._queue is not None:
                self._queue.close()  # closing the file drops a lock still held
                self._queue, self._writing = None, False


class _QueuedWriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql, seq_of_parameters):
        self.connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after()


def is_file(uri: str) -> bool:
    """Whether ``uri`` names an SQLite database in a file (not PostgreSQL, not an in-memory SQLite,
    which has one connection only)."""
    return uri.startswith("sqlite") and uri.rstrip("/") not in ("sqlite:", "sqlite:///:memory:") \
        and ":memory:" not in uri and "mode=memory" not in uri


def engine_options(uri: str, options: dict) -> dict:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for ``uri``: a file SQLite database gets the queued-writer
    connection; anything else (PostgreSQL, an in-memory SQLite) is left as it is."""
    if not is_file(uri):
        return options
    connect_args = {**options.get("connect_args", {}), "factory": QueuedWriterConnection}
    return {**options, "connect_args": connect_args}

