"""Counters kept in the database: gap-free letter numbers per year (``next_value``, in the caller's
transaction), tracking-code numbers per day (``draw``, from blocks, which may leave gaps), and the
calendar's marks of its last change (``set_value``, ``lower_value``, ``clear_value``)."""
from __future__ import annotations

import os
import threading
from typing import Callable

from flask import current_app
from sqlalchemy import Connection, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import sqlite
from ..extensions import db
from ..models import Counter

_COUNTERS = Counter.__table__  # plain statements: no ORM objects to keep in step
_BUMP = (update(_COUNTERS).where(_COUNTERS.c.name == bindparam("counter"))
         .values(value=_COUNTERS.c.value + bindparam("by")).returning(_COUNTERS.c.value))


def _bump(conn: Connection, name: str, by: int = 1) -> int | None:
    return conn.execute(_BUMP, {"counter": name, "by": by}).scalar()


def next_value(name: str) -> int:
    """The next value of counter ``name``, inside the caller's transaction: gap-free, since a
    rollback takes the number back.

    ``UPDATE … RETURNING`` is atomic on SQLite and PostgreSQL; on PostgreSQL the row lock it takes
    serialises concurrent callers until their transactions end, so two callers never share a number.
    """
    value = _bump(db.session.connection(), name)
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name=name, value=1))
        return 1
    except IntegrityError:  # someone created it first
        return _bump(db.session.connection(), name)


def read_value(name: str) -> int | None:
    """Counter ``name`` as stored (None if it was never set)."""
    return db.session.execute(select(_COUNTERS.c.value).where(_COUNTERS.c.name == name)).scalar()


def lower_value(name: str, value: int) -> None:
    """Counter ``name`` becomes ``value`` unless it holds a smaller one other than 0; one statement,
    so that two callers at once keep the smaller."""
    current = _COUNTERS.c.value
    set_value(name, case((or_(current == 0, current > value), value), else_=current))


def clear_value(name: str, expected: int) -> None:
    """Counter ``name`` back to 0 if it still holds ``expected`` (compare and set)."""
    db.session.execute(update(_COUNTERS).where(_COUNTERS.c.name == name, _COUNTERS.c.value == expected)
                       .values(value=0))


def set_value(name: str, value) -> None:
    """Store ``value`` (a number, or an expression of the stored one) as counter ``name``, in the
    caller's transaction."""
    if read_value(name) is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(_COUNTERS).values(name=name, value=0))
        except IntegrityError:  # someone created it first
            pass
    db.session.execute(update(_COUNTERS).where(_COUNTERS.c.name == name).values(value=value))


def next_values(name: str, count: int) -> range:
    """``count`` consecutive values of counter ``name`` in one statement (a batch of letters)."""
    if count <= 0:
        return range(0)
    first = next_value(name)
    if count == 1:
        return range(first, first + 1)
    last = _bump(db.session.connection(), name, count - 1)
    return range(first, last + 1)


KEPT_BLOCKS = 16  # blocks of other days are kept too (the demo back-dates its cases), a few at most


class Blocks:
    """Numbers handed out in this process from blocks reserved in the database (the "hi/lo" pattern).

    A block of ``size`` numbers is reserved with one statement, then its numbers are given out from
    memory: unique across every worker and host, since no two reservations overlap, but neither
    consecutive (each worker has its own block) nor gap-free (a worker that stops loses the rest of
    its block). The process id is part of the state, so a worker forked from a process that held a
    block never reuses it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._blocks: dict[str, list[int]] = {}  # counter name -> [next, last]

    def take(self, name: str, size: int, reserve: Callable[[str, int], int]) -> int:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._blocks = os.getpid(), {}
            block = self._blocks.get(name)
            if block is None or block[0] > block[1]:
                last = reserve(name, size)
                self._blocks.pop(name, None)
                while len(self._blocks) >= KEPT_BLOCKS:  # the oldest: a day long past
                    del self._blocks[next(iter(self._blocks))]
                block = self._blocks[name] = [last - size + 1, last]
            block[0] += 1
            return block[0] - 1


def reserve(name: str, size: int) -> int:
    """Add ``size`` to counter ``name`` in a transaction of its own, committed at once; returns the
    new value, the last number of the block. Nobody waits for the caller's transaction to end."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        value = _bump(conn, name, size)
        if value is None:
            try:
                conn.execute(insert(_COUNTERS).values(name=name, value=size))
                return size
            except IntegrityError:  # someone created it first
                value = _bump(conn, name, size)
        return value


def _shares_the_callers_transaction() -> bool:
    """On SQLite a second connection cannot write while this session's transaction writes (one writer
    per file: it would wait for us forever), and an in-memory database has only one connection."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return False
    in_a_file = current_app.extensions.get("pakn.sqlite_file")  # worked out once per app, not per submission
    if in_a_file is None:
        in_a_file = current_app.extensions["pakn.sqlite_file"] = sqlite.is_file(
            engine.url.render_as_string(hide_password=False))
    if not in_a_file:
        return True
    return db.session.connection().connection.driver_connection.in_transaction


def draw(name: str) -> int:
    """The next number of counter ``name``: unique, but not gap-free and, with several workers, not in
    the order of the calls.

    For the tracking codes, which the national format ``PAKN.YYYYMMDD.NNNN`` asks to be unique, not
    consecutive. The numbers come from ``Blocks`` of ``CODE_BLOCK_SIZE`` (bench/submit.py: a
    submission reads the counter from memory instead of writing it, and no submission waits for
    another's commit). When the caller's transaction already writes on SQLite, the number is taken
    in that transaction instead, gap-free."""
    if _shares_the_callers_transaction():
        return next_value(name)
    blocks = current_app.extensions.setdefault("pakn_blocks", Blocks())
    return blocks.take(name, max(1, int(current_app.config.get("CODE_BLOCK_SIZE", 1))), reserve)
