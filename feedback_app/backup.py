"""``flask backup``: one consistent copy of what pakn cannot rebuild, the database and the uploaded
files (``UPLOAD_DIR``: citizens' attachments, units' reply files), kept for ``BACKUP_KEEP`` runs.

- PostgreSQL: ``pg_dump --format=custom`` (one snapshot, taken while the app runs; restore with
  ``pg_restore``); the password goes to pg_dump in its environment, never on its command line.
- SQLite: the file through SQLite's online backup API (a consistent copy while the app writes, WAL
  included), a database file again.
- Then the uploads, as one tar file. A file is written before the row that names it is committed, so
  every file the database copy names is in the tar taken after it; a file written meanwhile is only
  extra.

Everything else is either in the database (cases, letters, the outbox, the calendar) or in the
deployment (code, ``/etc/pakn/pakn.env``: keep its ``SECRET_KEY`` apart, with the backups).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy.engine import make_url

from workflows.clock import CLOCK

PREFIX = "pakn-"


@dataclass(frozen=True)
class Backup:
    database: Path
    uploads: Path
    files: int  # uploaded files in the tar
    removed: list[Path]  # older backups beyond the ones kept


def make_backup(target: Path, keep: int, progress: Callable[[str], None] = lambda _: None) -> Backup:
    """Write ``pakn-<UTC time>.dump`` (PostgreSQL) or ``.sqlite3`` and ``pakn-<UTC time>-uploads.tar``
    into ``target``, then delete all but the newest ``keep`` backups there."""
    target.mkdir(parents=True, exist_ok=True)
    stamp = PREFIX + CLOCK.now().strftime("%Y%m%dT%H%M%SZ")
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        database = target / f"{stamp}.dump"
        _pg_dump(url, database)
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = target / f"{stamp}.sqlite3"
        _sqlite_copy(Path(url.database), database)
    else:
        raise ValueError(f"cannot back up {url.render_as_string(hide_password=True)}: not PostgreSQL or a SQLite file")
    progress(f"database: {database} ({database.stat().st_size:,} bytes)")
    uploads = target / f"{stamp}-uploads.tar"
    files = _tar(Path(current_app.config["UPLOAD_DIR"]), uploads, progress)
    progress(f"uploads: {uploads} ({files:,} files, {uploads.stat().st_size:,} bytes)")
    return Backup(database, uploads, files, _prune(target, keep))


def _pg_dump(url, out: Path) -> None:
    partial = out.with_name(out.name + ".part")  # a dump cut short never passes for a backup
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    command = [current_app.config["PG_DUMP"], "--format=custom", "--no-owner", f"--file={partial}",
               f"--dbname={libpq}"]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")
    partial.rename(out)


def _sqlite_copy(source: Path, out: Path) -> None:
    partial = out.with_name(out.name + ".part")
    partial.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(partial)
    try:
        src.backup(dst)  # page by page, restarted by SQLite if a writer changes the file meanwhile
    finally:
        dst.close()
        src.close()
    partial.rename(out)


def _tar(folder: Path, out: Path, progress: Callable[[str], None]) -> int:
    partial = out.with_name(out.name + ".part")
    files = 0
    with tarfile.open(partial, "w") as tar:  # attachments are PDFs and images: compressing gains little
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                tar.add(path, arcname=str(Path("uploads") / path.relative_to(folder)), recursive=False)
                files += 1
                if files % 1000 == 0:
                    progress(f"  {files:,} files")
    partial.rename(out)
    return files


def _prune(target: Path, keep: int) -> list[Path]:
    stamps = sorted({p.name.split("-uploads")[0].split(".")[0] for p in target.glob(f"{PREFIX}*")
                     if not p.name.endswith(".part")}, reverse=True)
    removed = []
    for stamp in stamps[max(keep, 1):]:
        for path in target.glob(f"{stamp}*"):
            path.unlink()
            removed.append(path)
    return removed
