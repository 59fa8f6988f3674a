"""A database that cannot be reached, or has no tables, in one line that names it (its password hidden):
what a command prints and the scheduler logs, instead of a traceback of a hundred lines every run."""
from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

# A table the code reads is not in the database: PostgreSQL's SQLSTATE undefined_table (whatever the
# server's language), SQLite's words; the table's name, where the message gives it
UNDEFINED_TABLE = "42P01"
# PostgreSQL's insufficient_privilege: DATABASE_URL's role may not read or write a table (a restore made by
# another role, the tables owned by postgres)
INSUFFICIENT_PRIVILEGE = "42501"
_NO_TABLE = re.compile(r"no such table: (\S+)|\"([^\"]+)\"")


def in_one_line(failed: Exception, schema_hint: bool = True) -> str | None:
    """What went wrong, in one line, when the database could not be reached (down, a wrong DATABASE_URL, a
    password refused, an SQLite file that cannot be opened) or has not the tables the code reads (never
    migrated, or the wrong database; with the command that makes them unless not ``schema_hint``); None for
    any other failure, whose traceback says where the bug is."""
    if not isinstance(failed, (OperationalError, ProgrammingError)):
        return None
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    message = str(failed.orig)
    if schema_hint and (getattr(failed.orig, "sqlstate", None) == UNDEFINED_TABLE or message.startswith("no such table")):
        named = _NO_TABLE.search(message)
        table = f" {named[1] or named[2]}" if named else ""
        return (f"the database {url} has no table{table}: make its tables with "
                "`flask --app wsgi db upgrade` (or is DATABASE_URL the right database?)")
    if getattr(failed.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        return (f"the database {url} refused its user: {' '.join(message.split())} (restore or create the tables "
                "as DATABASE_URL's role, or grant it their use)")
    if failed.statement is not None or not isinstance(failed, OperationalError):
        return None  # connected, and a statement failed
    return f"the database {url} failed: {' '.join(message.split())}"
