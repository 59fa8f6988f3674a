"""What /healthz answers and ``flask setup check`` prints: whether the database is reachable and at the
schema this code was written for, and how long the oldest due mail has been waiting. Anyone may ask
whether pakn can serve (``Health.public``); the view gives the details (the migration, the mail backlog)
only to this host and to an admin.

The check is polled (nginx, the monitor, the benchmarks wait on it), so a healthy answer costs two
small queries: the stored Alembic revision, and the oldest due pending mail (on ``ix_outbox_due``).
The code's own revision is read from migrations/ once per process."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, ProgrammingError, SQLAlchemyError

from workflows.clock import CLOCK

from ..extensions import db
from ..models import OutboxMail
from .outbox import tried

UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)


@dataclass(frozen=True)
class Health:
    ok: bool
    body: dict = field(default_factory=dict)
    retry_after: int | None = None  # seconds; set when the problem is likely to pass by itself

    @property
    def public(self) -> dict:
        """The answer for anyone (a load balancer needs no more): the migration would tell which release
        runs, and the mail backlog that mail is stuck."""
        return {"status": self.body["status"]}


@cache
def _code_heads(directory: str) -> tuple[str, ...]:
    from alembic.script import ScriptDirectory
    return tuple(sorted(ScriptDirectory(directory).get_heads()))


def code_heads() -> tuple[str, ...]:
    """The head revision(s) of migrations/: what ``flask db upgrade`` brings a database to."""
    return _code_heads(current_app.extensions["migrate"].directory)


def database_revisions() -> tuple[str, ...] | None:
    """The revision(s) stored in alembic_version; None when the table is not there (never migrated).
    Raises one of UNREACHABLE when the database cannot be reached."""
    try:
        rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except (OperationalError, ProgrammingError):
        # a missing table (SQLite says so with an OperationalError, like a server that is down): tell
        # them apart by asking the catalogue, which raises again if the database is unreachable
        rollback_quietly()
        if inspect(db.session.connection()).has_table("alembic_version"):
            raise
        return None
    return tuple(sorted(rows))


def migration_problem() -> str | None:
    """What stands between the database's schema and the code's, in words; None when they agree."""
    stored, wanted = database_revisions(), code_heads()
    if stored == wanted:
        return None
    expects = f"code expects {', '.join(wanted)}"
    if not stored:
        return f"no migration applied (run flask --app wsgi db upgrade), {expects}"
    return f"migration {', '.join(stored)}, {expects}"


def oldest_due_mail_seconds() -> int:
    """How long the oldest pending mail has been due, in whole seconds (0: none is waiting). Grows without
    bound when nothing sends mail: the scheduler stopped, or the mail server refuses everything."""
    now = CLOCK.now()
    pending = OutboxMail.status == "pending"
    # never tried: due from its next attempt (a letter's mail held for the reason is not due before);
    # tried and not gone (failed, or the server unreachable): waiting since it was written, since each
    # try moves its next attempt on
    # (counted from there, a relay refusing everything for days read as a few minutes' wait)
    due = db.session.execute(select(*(  # one statement; min() keeps UTCDateTime
        select(func.min(column)).where(pending, *where).scalar_subquery()
        for column, where in ((OutboxMail.next_attempt_at, (~tried(), OutboxMail.next_attempt_at <= now)),
                              (OutboxMail.created_at, (tried(),)))))).one()
    oldest = min((d for d in due if d is not None), default=None)
    return 0 if oldest is None else max(0, int((now - oldest).total_seconds()))


def check() -> Health:
    """The answer of /healthz. Never raises for an unreachable database: it is one of the answers."""
    try:
        problem = migration_problem()
        if problem is not None:
            return Health(False, {"status": "error", "database": problem})
        body = {"status": "ok", "migration": ", ".join(code_heads()), "mail_waiting_seconds": oldest_due_mail_seconds()}
    except UNREACHABLE as error:
        current_app.logger.warning("health check: database unavailable: %s", str(error).splitlines()[0][:200])
        rollback_quietly()
        return Health(False, {"status": "error", "database": "unreachable"}, retry_after=30)
    db.session.rollback()  # read only: end the transaction now, not at teardown
    return Health(True, body)


def rollback_quietly() -> None:
    """End the session's transaction, whatever became of its connection."""
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the pool replaces it
        pass
