"""Counters kept in the database: gap-free letter numbers per year (``next_value``, in the caller's
transaction) and tracking-code numbers per day (``draw``, which may leave a gap)."""
from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.exc import IntegrityError

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


def next_values(name: str, count: int) -> range:
    """``count`` consecutive values of counter ``name`` in one statement (a batch of letters)."""
    if count <= 0:
        return range(0)
    first = next_value(name)
    if count == 1:
        return range(first, first + 1)
    last = _bump(db.session.connection(), name, count - 1)
    return range(first, last + 1)


def draw(name: str) -> int:
    """The next value of counter ``name``, unique but not gap-free: a caller that then fails loses it.

    For the tracking codes, which must be unique (the national format ``PAKN.YYYYMMDD.NNNN``), not
    consecutive. On PostgreSQL the number is taken in a transaction of its own, committed at once,
    because the counter row's lock would otherwise make every other submission of the day wait for
    this one's commit (bench/submit.py: more workers, fewer submissions per second). SQLite lets one
    writer at a time into the whole file anyway, so there the caller's transaction takes it.
    """
    if db.engine.dialect.name != "postgresql":
        return next_value(name)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        value = _bump(conn, name)
        if value is None:
            try:
                conn.execute(insert(_COUNTERS).values(name=name, value=1))
                return 1
            except IntegrityError:  # someone created it first
                value = _bump(conn, name)
        return value
