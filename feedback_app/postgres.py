"""PostgreSQL settings pakn asks for on each connection.

- ``jit=off`` (unless ``POSTGRES_JIT`` is true): PostgreSQL compiles a query to machine code once its
  estimated cost passes ``jit_above_cost``, which pakn's report and dashboard queries do at a million
  cases; the compiling cost more than it saved there (the 2024-Q2 report 840 -> 416 ms, the current
  quarter's 1,114 -> 822 ms, measured alternately on one server), and pakn runs no query long
  enough to win it back. A server-wide setting in postgresql.conf does the same for everything.

Nothing here imports Flask.
"""
from __future__ import annotations


def engine_options(uri: str, options: dict, jit: bool) -> dict:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for ``uri``: a PostgreSQL URL gets the settings above as libpq
    ``options``, after any the deployment passes; anything else is left as it is."""
    if not uri.startswith("postgresql") or jit:
        return options
    connect_args = dict(options.get("connect_args", {}))
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), "-c jit=off"]))
    return {**options, "connect_args": connect_args}
