"""Helpers shared by the benchmark scripts (not a benchmark: the harness skips files starting with ``_``).

The convention (bench/README.md): the database from ``BENCH_DATABASE_URL``, the size from ``BENCH_N``,
one JSON figure per line on stdout with ``--json``, everything else on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def arguments(description: str, default_n: int, **extra) -> argparse.Namespace:
    """``--json``, ``--database`` (default ``BENCH_DATABASE_URL``, else a temporary SQLite file) and
    ``--n`` (default ``BENCH_N``, else ``default_n``); ``extra`` maps more option names to defaults."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", action="store_true", help="one JSON object per figure line (bench/README.md)")
    parser.add_argument("--database", "--url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_N") or default_n))
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args()
    if not args.database:
        args.tmp = tempfile.TemporaryDirectory(prefix="pakn-bench-")
        args.database = f"sqlite:///{args.tmp.name}/bench.sqlite3"
    return args


def database_label(engine) -> str:
    """``"sqlite 3.40"``, ``"postgresql 15.8"``: the dialect and the server's version."""
    with engine.connect():  # the version is read on the first connection
        pass
    version = ".".join(str(v) for v in (engine.dialect.server_version_info or ())[:2])
    return f"{engine.dialect.name} {version}".strip()


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] if len(samples) > 1 else samples[0]


def figure(as_json: bool, name: str, value: float, unit: str, n: int, database: str, **extra) -> None:
    """Print one figure: a JSON line for the harness, or a readable line."""
    row = {"name": name, "value": value, "unit": unit, "n": n, "database": database, **extra}
    if as_json:
        print(json.dumps(row, ensure_ascii=False), flush=True)
    else:
        notes = ", ".join(f"{k} {v}" for k, v in extra.items())
        print(f"{name:<58} {value:>10,.2f} {unit:<6} ({n:,} cases, {database}{'; ' + notes if notes else ''})",
              flush=True)
