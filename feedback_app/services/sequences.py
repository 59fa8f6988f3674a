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
