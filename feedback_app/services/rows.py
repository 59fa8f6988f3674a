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

from ..extensions import db

T = TypeVar("T")


@functools.cache
def _plan(mapper):
    """What ``insert_new`` needs of a mapper, worked out once: (attribute, column, is the version
    counter) for each column, the attributes that are NULL unless given, the primary key, the INSERT."""
    columns, nullable = [], []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        columns.append((prop.key, column.key, column is mapper.version_id_col))
        if column.default is None and column.server_default is None and not column.primary_key \
                and column is not mapper.version_id_col:
            nullable.append(prop.key)
    (primary_key,) = mapper.primary_key
    return (columns, nullable, mapper.get_property_by_column(primary_key).key,
            insert(mapper.local_table).returning(primary_key))


def insert_new(obj: T) -> T:
    """INSERT ``obj`` (a new mapped object whose foreign keys are set as ids, not as related objects)
    in the session's transaction and make it persistent in the session; returns it with its id."""
    columns, nullable, primary_key, statement = _plan(inspect(obj).mapper)
    given = obj.__dict__
    values = {}
    for key, column, is_version in columns:
        if key in given:
            values[column] = given[key]
        elif is_version:
            values[column] = given[key] = 1  # the ORM's first version
    given[primary_key] = db.session.connection().execute(statement, values).scalar_one()
    for key in nullable:
        given.setdefault(key, None)  # NULL: known now, so reading it later costs no query
    make_transient_to_detached(obj)  # what is in the object's dict counts as loaded from the database
    db.session.add(obj)
    return obj
