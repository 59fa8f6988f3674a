"""Gap-free counters kept in the database (tracking codes per day, letter numbers per year)."""
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Counter


def next_value(name: str) -> int:
    """The next value of counter ``name``, inside the caller's transaction.

    ``UPDATE … RETURNING`` is atomic on SQLite and PostgreSQL; on PostgreSQL the row lock it takes
    serialises concurrent callers until their transactions end, so two cases never share a number.
    """
    bump = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = db.session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name=name, value=1))
        return 1
    except IntegrityError:  # someone created it first
        return db.session.execute(bump).scalar_one()


def next_values(name: str, count: int) -> range:
    """``count`` consecutive values of counter ``name`` in one statement (a batch of letters)."""
    if count <= 0:
        return range(0)
    first = next_value(name)
    if count == 1:
        return range(first, first + 1)
    bump = update(Counter).where(Counter.name == name).values(value=Counter.value + count - 1).returning(Counter.value)
    last = db.session.execute(bump).scalar_one()
    return range(first, last + 1)
