"""Writing brand-new rows without the unit of work.

A citizen's submission is three new rows (the case, its audit row, its receipt mail). Flushed by the
ORM's unit of work they cost about 1 ms of bookkeeping beyond their three INSERTs, which was most of
the difference between pakn and a bare INSERT in bench/submit.py. ``insert_family`` writes a new row
with rows that point to it and then hands the new row (and, while the transaction goes on, the others)
to the session as ordinary persistent objects: later changes, lazy loads and the version check work on
them as on any other. On PostgreSQL the rows are one statement, since each statement is a round trip,
and, when they are all the caller writes, outside any explicit transaction: PostgreSQL commits a single
statement by itself, so ``BEGIN`` and ``COMMIT`` are two round trips saved. On SQLite, whose one writer
holds the whole file from its first INSERT to its commit, everything is worked out before the first
INSERT and the rows join the session after the commit.
"""
from __future__ import annotations

import functools
from typing import NamedTuple, Sequence, TypeVar

from sqlalchemy import bindparam, inspect, insert, select
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db

T = TypeVar("T")


class Plan(NamedTuple):
    columns: list[tuple[str, str, bool]]  # (attribute, column, is the version counter)
    nullable: list[str]  # the attributes that are NULL unless given
    primary_key: str  # its attribute


@functools.cache
def _plan(mapper) -> Plan:
    """What ``insert_family`` needs of a mapper, worked out once."""
    columns, nullable = [], []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        columns.append((prop.key, column.key, column is mapper.version_id_col))
        if column.default is None and column.server_default is None and not column.primary_key \
                and column is not mapper.version_id_col:
            nullable.append(prop.key)
    (primary_key,) = mapper.primary_key
    return Plan(columns, nullable, mapper.get_property_by_column(primary_key).key)


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
    attribute named as its column) gets the parent's new id, in the session's transaction, and make
    them persistent in the session (only the parent when ``alone``: ``_adopt_family``).

    On PostgreSQL this is one statement, each child an ``INSERT … (SELECT id FROM parent)`` in a
    data-modifying CTE (PostgreSQL runs each exactly once, in the same snapshot): one round trip
    instead of one per row. On SQLite, one INSERT per row in the driver's own SQL (``_by_driver``).

    ``alone``: these rows are everything the caller writes before it commits, and they are committed
    before this returns. On PostgreSQL, when the session has no transaction open, the statement runs
    in autocommit: one statement is atomic by itself, all its rows or none, and the ``BEGIN`` and
    ``COMMIT`` round trips are saved (bench/submit.py: two context switches of the worker per
    submission). On SQLite the commit follows the last INSERT at once, and the rows join the session
    only after it: the file's one writer lock (feedback_app/sqlite.py) is held for the INSERTs and the
    commit alone. So after an ``alone`` call the parent is as written on SQLite, and expired by the commit
    on PostgreSQL when the session expires on commit (``submissions.submit`` turns that off: it shows
    what it wrote); the children are outside the session."""
    rows = [parent, *children]
    values = [_values_with_defaults(row, skip=link if i else None) for i, row in enumerate(rows)]
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        _adopt_family(rows, _in_one_statement(rows, values, link, alone), link, alone)
        if alone:
            db.session.commit()  # no round trip when the statement committed itself
    else:
        idents = _by_driver(rows, values, link, dialect)
        if alone:
            db.session.commit()  # at once: the file stays locked until then
        _adopt_family(rows, idents, link, alone)
    return parent


def _adopt_family(rows: list, idents: Sequence[int], link: str, alone: bool) -> None:
    """The rows, with their new ids, as persistent objects of the session; when ``alone``, the parent
    only, and the children just learn their ids: their transaction is over, the caller writes nothing
    more in it, and nothing reads them through the session (the parent's collection loads them from
    the database when asked). Adopting each cost as much as its INSERT (bench/submit.py: 3% of a
    submission's CPU)."""
    parent, *children = rows
    _adopt(parent, idents[0])
    for child, ident in zip(children, idents[1:]):
        child.__dict__[link] = idents[0]
        if not alone:
            _adopt(child, ident)
            continue
        child.__dict__[_plan(inspect(child).mapper).primary_key] = ident
        if child in db.session:  # pulled in by a relationship to the parent: it would be INSERTed again
            raise RuntimeError(f"{type(child).__name__} joined the session with its parent: link it by "
                               f"{link} alone, not through the relationship")


def _in_one_statement(rows: list, values: list[dict], link: str, alone: bool) -> Sequence[int]:
    """The INSERTs of ``rows`` as one statement on PostgreSQL (``_family_statement``), in autocommit
    when ``alone`` and the session has no transaction open; their new ids, in order."""
    statement = _family_statement(tuple((inspect(row).mapper, tuple(v)) for row, v in zip(rows, values)), link)
    params = {f"r{i}_{column}": value for i, v in enumerate(values) for column, value in v.items()}
    if alone and not db.session().in_transaction():
        with db.session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(statement, params).one()
    return db.session.connection().execute(statement, params).one()


def _by_driver(rows: list, values: list[dict], link: str, dialect) -> list[int]:
    """The INSERTs of ``rows`` (``values``: their columns' values, the link left out of the
    children's), one by one, in SQL written once per shape and sent as it is
    (``exec_driver_sql``: SQLAlchemy's events and errors, without its compiling of each statement);
    their new ids, in order.

    For SQLite, where the first INSERT takes the file's writer lock until the commit: each row's
    values go through its columns' types before the first INSERT, so that the lock is held for little
    more than SQLite's own work and the commit's sync (one gunicorn worker, bench/submit.py's bodies:
    held 1.4 ms per submission, median, when the rows went through Core statements and joined the
    session before the commit; 0.8 ms so)."""
    prepared = []
    for i, (row, given) in enumerate(zip(rows, values)):
        columns = tuple(given) + ((link,) if i else ())
        sql, processors = _driver_insert(inspect(row).mapper, columns, dialect)
        prepared.append((sql, [value if process is None else process(value)
                               for process, value in zip(processors, given.values())]))
    connection, idents = db.session.connection(), []
    for sql, params in prepared:
        if idents:
            params.append(idents[0])  # the link, last of a child's columns
        idents.append(connection.exec_driver_sql(sql, tuple(params)).lastrowid)
    return idents


@functools.cache
def _driver_insert(mapper, columns: tuple[str, ...], dialect) -> tuple[str, list]:
    """``INSERT INTO table (columns) VALUES (?, …)`` in SQLite's positional style (the only other
    database pakn runs on), and each column's bind processor (None where the driver takes the value
    as it is). A type that wraps its parameter in SQL (``bind_expression``) would need Core's compiled
    INSERT: no column of the tables written so (cases, audit rows, mails, notices) has one."""
    table, quote = mapper.local_table, dialect.identifier_preparer
    names = ", ".join(quote.quote(table.c[c].name) for c in columns)
    sql = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({', '.join('?' * len(columns))})"
    return sql, [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


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
