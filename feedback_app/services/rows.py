"""Writing brand-new rows without the unit of work.

A citizen's submission is three new rows (the case, its audit row, its receipt mail). Flushed by the
ORM's unit of work they cost about 1 ms of bookkeeping beyond their three INSERTs, which was most of
the difference between pakn and a bare INSERT in bench/submit.py. ``insert_new`` writes one new object
with one Core INSERT and then hands it to the session as an ordinary persistent object: later changes,
lazy loads and the version check work on it as on any other.
"""
from __future__ import annotations

import functools
from typing import TypeVar

from sqlalchemy import inspect, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db

T = TypeVar("T")


@functools.cache
def _insert(table, primary_key):
    return insert(table).returning(primary_key)


def insert_new(obj: T) -> T:
    """INSERT ``obj`` (a new mapped object whose foreign keys are set as ids, not as related objects)
    in the session's transaction and make it persistent in the session; returns it with its id."""
    mapper = inspect(obj).mapper
    given = obj.__dict__
    values, unset = {}, []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in given:
            values[column.key] = given[prop.key]
        elif column is mapper.version_id_col:
            values[column.key] = 1  # the ORM's first version
            set_committed_value(obj, prop.key, 1)
        elif column.default is None and column.server_default is None and not column.primary_key:
            unset.append(prop.key)  # NULL: known now, so reading it later costs no query
    (primary_key,) = mapper.primary_key
    ident = db.session.connection().execute(_insert(mapper.local_table, primary_key), values).scalar_one()
    set_committed_value(obj, mapper.get_property_by_column(primary_key).key, ident)
    for key in unset:
        set_committed_value(obj, key, None)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj
