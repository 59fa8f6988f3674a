"""Writing brand-new rows without the unit of work.

A citizen's submission is three new rows (the case, its audit row, its receipt mail). Flushed by the
ORM's unit of work they cost about 1 ms of bookkeeping beyond their three INSERTs, which was most of
the difference between pakn and a bare INSERT in bench/submit.py. ``insert_new`` writes one new object
with one Core INSERT and then hands it to the session as an ordinary persistent object: later changes,
lazy loads and the version check work on it as on any other. ``insert_family`` writes a new row with
rows that point to it; on PostgreSQL in one statement, since each statement is a round trip, and, when
those rows are all the caller writes, outside any explicit transaction: PostgreSQL commits a single
statement by itself, so ``BEGIN`` and ``COMMIT`` are two round trips saved.
"""
from __future__ import annotations

import functools
from typing import NamedTuple, Sequence, TypeVar

from sqlalchemy import Insert, bindparam, inspect, insert, select
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db

T = TypeVar("T")


class Plan(NamedTuple):
    columns: list[tuple[str, str, bool]]  # (attribute, column, is the version counter)
    nullable: list[str]  # the attributes that are NULL unless given
    primary_key: str  # its attribute
    statement: Insert  # the INSERT … RETURNING the primary key


@functools.cache
def _plan(mapper) -> Plan:
    """What ``insert_new`` needs of a mapper, worked out once."""
    columns, nullable = [], []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        columns.append((prop.key, column.key, column is mapper.version_id_col))
        if column.default is None and column.server_default is None and not column.primary_key \
                and column is not mapper.version_id_col:
            nullable.append(prop.key)
    (primary_key,) = mapper.primary_key
    return Plan(columns, nullable, mapper.get_property_by_column(primary_key).key,
                insert(mapper.local_table).returning(primary_key))


def insert_new(obj: T) -> T:
    """INSERT ``obj`` (a new mapped object whose foreign keys are set as ids, not as related objects)
    in the session's transaction and make it persistent in the session; returns it with its id."""
    plan = _plan(inspect(obj).mapper)
    values = _values_with_defaults(obj)
    _adopt(obj, db.session.connection().execute(plan.statement, values).scalar_one())
    return obj


def _adopt(obj, ident: int) -> None:
    """``obj``, just written with primary key ``ident``, as a persistent object of the session."""
    plan = _plan(inspect(obj).mapper)
    given = obj.__dict__
    given[plan.primary_key] = ident
    for key in plan.nullable:
        given.setdefault(key, None)  # NULL: known now, so reading it later costs no query
    make_transient_to_detached(obj)  # what is in the object's dict counts as loaded from the database
    db.session.add(obj)


def insert_family(parent: T, children: Sequence[object], link: str, *, alone: bool = False) -> T:
    """INSERT ``parent`` and ``children``, whose foreign key ``link`` (e.g. ``feedback_id``, an
    attribute named as its column) gets the parent's new id, in the session's transaction (unless
    ``alone``, below), and make them all persistent in the session.

    On PostgreSQL this is one statement, each child an ``INSERT … (SELECT id FROM parent)`` in a
    data-modifying CTE (PostgreSQL runs each exactly once, in the same snapshot): one round trip
    instead of one per row. Elsewhere it is ``insert_new`` row by row.

    ``alone``: these rows are everything the caller writes before it commits. Then, on PostgreSQL and
    when the session has no transaction open, the statement runs in autocommit and is committed when
    this returns: one statement is atomic by itself, all its rows or none, and the ``BEGIN`` and
    ``COMMIT`` round trips are saved (bench/submit.py: two context switches of the worker per
    submission). Otherwise ``alone`` changes nothing."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql" or not children:
        insert_new(parent)
        parent_id = parent.__dict__[_plan(inspect(parent).mapper).primary_key]
        for child in children:
            setattr(child, link, parent_id)
            insert_new(child)
        return parent
    rows = [parent, *children]
    values = [_values_with_defaults(row, skip=link if i else None) for i, row in enumerate(rows)]
    statement = _family_statement(tuple((inspect(row).mapper, tuple(v)) for row, v in zip(rows, values)), link)
    params = {f"r{i}_{column}": value for i, v in enumerate(values) for column, value in v.items()}
    if alone and not db.session().in_transaction():
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            idents = conn.execute(statement, params).one()
    else:
        idents = db.session.connection().execute(statement, params).one()
    for i, (row, ident) in enumerate(zip(rows, idents)):
        if i:
            row.__dict__[link] = idents[0]
        _adopt(row, ident)
    return parent


def _values_with_defaults(obj, skip: str | None = None) -> dict:
    """Every column's value for the INSERT of ``obj``: as given, else the column's Python default
    (which SQLAlchemy cannot fill in for two INSERTs of one statement), which the object keeps, so
    that reading it later costs no query."""
    mapper = inspect(obj).mapper
    plan = _plan(mapper)
    given = obj.__dict__
    values = {}
    for key, column, is_version in plan.columns:
        if key == skip or (key == plan.primary_key and key not in given):
            continue
        if key not in given:
            default = mapper.local_table.c[column].default
            if is_version:
                given[key] = 1  # the ORM's first version
            elif default is None:
                continue  # NULL or the server's default
            elif default.is_scalar:
                given[key] = default.arg
            elif default.is_callable:
                given[key] = default.arg(None)  # SQLAlchemy wraps a callable of no argument to take the context
            else:  # a sequence or an SQL expression: not needed by any model yet
                raise NotImplementedError(f"{mapper.class_.__name__}.{key}: default {default!r}")
        values[column] = given[key]
    return values


@functools.cache
def _family_statement(shapes: tuple, link: str):
    """``WITH r0 AS (INSERT … RETURNING id), r1 AS (INSERT … link = (SELECT id FROM r0) …) … SELECT
    the ids``, for rows of these (mapper, columns) shapes; built once per shape."""
    def returning_insert(i: int, mapper, columns, **extra):
        table = mapper.local_table
        values = {c: bindparam(f"r{i}_{c}", type_=table.c[c].type) for c in columns}
        (primary_key,) = mapper.primary_key
        return insert(table).values({**values, **extra}).returning(primary_key).cte(f"r{i}")

    (parent_mapper, parent_columns), *children = shapes
    parent = returning_insert(0, parent_mapper, parent_columns)
    parent_id = select(*parent.c).scalar_subquery()
    inserted = [returning_insert(i, mapper, columns, **{link: parent_id})
                for i, (mapper, columns) in enumerate(children, 1)]
    return select(*parent.c, *(select(*cte.c).scalar_subquery() for cte in inserted))
