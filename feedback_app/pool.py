"""Checking a pooled database connection before use, only when it has sat idle.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` on every checkout: on PostgreSQL one more round
trip for every request, a quarter of a citizen's submission. A connection that was checked in a
moment ago is as alive as the ping would find it, so only one idle for longer than
``POOL_PING_IDLE_SECONDS`` (a server restarted overnight, a firewall that drops quiet connections)
is pinged, and replaced if the ping fails.

A server that goes away while its connections are busy is caught by the request's own statement:
the request gets a clean 503 (``views_common``) and SQLAlchemy invalidates every connection older
than the failure, so the next request connects afresh (tests/test_faults.py). The price: after a
restart or a failover under steady load, each worker answers one request (the first to meet a dead
connection) with a 503 that a ping would have spared.
"""
from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

_LAST_USED = "pakn_last_used"
_monotonic = time.monotonic  # tests move it


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Install the check on ``engine``'s pool (instead of ``pool_pre_ping``)."""
    dialect = engine.dialect

    def stamp(dbapi_connection, record, *_):
        record.info[_LAST_USED] = _monotonic()

    def check(dbapi_connection, record, proxy):
        if _monotonic() - record.info.get(_LAST_USED, 0.0) <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # the server went away: the pool drops this connection and every other one opened before
            # now (as SQLAlchemy's own pre-ping does), then opens a new one
            raise InvalidatePoolError(f"idle connection is gone: {exc}") from exc
        stamp(dbapi_connection, record)

    event.listen(engine, "connect", stamp)
    event.listen(engine, "checkin", stamp)
    event.listen(engine, "checkout", check)
