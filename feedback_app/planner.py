"""Steering the query planners where their statistics mislead them: column wrappers that keep a
planner from picking an index on a column, rendered per database.

- ``not_an_index_key(column)``: SQLite must not use an index on the column (``+column``, SQLite's
  documented way to rule an index out); elsewhere the column is written as it is. The quarterly report
  compares ``received_at < end``, which matches nearly every case and would pull SQLite off the
  (settled, received_at) index onto ix_feedback_received_at.
- ``sorted_without_index(column)``: the same on every database, for an ORDER BY: ``+column`` on SQLite,
  ``coalesce(column, column)`` elsewhere. The planners know how many rows each state has, not that the
  few open ones are the newest: for HCTH's intake queue both walked a million cases in order of receipt
  to find them (2.2 s on SQLite, 2.4 s on PostgreSQL, instead of ~20 and ~230 ms).
"""
from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .models import UTCDateTime


class not_an_index_key(FunctionElement):  # noqa: N801 (used like a SQL function)
    type = UTCDateTime()  # used on received_at only
    inherit_cache = True


class sorted_without_index(not_an_index_key):  # noqa: N801
    inherit_cache = True


@compiles(not_an_index_key, "sqlite")
@compiles(sorted_without_index, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


@compiles(not_an_index_key)
def _as_it_is(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(sorted_without_index)
def _same_value(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"coalesce({column}, {column})"
