"""``flask backup``: one consistent copy of what pakn cannot rebuild, the database and the uploaded
files (``UPLOAD_DIR``: citizens' attachments, units' reply files), kept for ``BACKUP_KEEP`` runs.

- PostgreSQL: ``pg_dump --format=custom`` (one snapshot, taken while the app runs; restore with
  ``pg_restore``); the password goes to pg_dump in its environment, never on its command line.
- SQLite: the file through SQLite's online backup API (a consistent copy while the app writes, WAL
  included), a database file again.
- Then the uploads, as one tar file. A file is written before the row that names it is committed, so
  every file the database copy names is in the tar taken after it; a file written meanwhile is only
  extra, and one removed meanwhile (a failed submission's) is left out.

A run writes both files or neither (each is written under a ``.part`` name and renamed when whole),
one run at a time per folder (a lock file), and pruning touches only names a run makes. A run writes
nothing and prunes nothing while files the database names are missing from ``UPLOAD_DIR`` (a share
not mounted).
Everything else is either in the database (cases, letters, the outbox, the calendar) or in the
deployment (code, ``/etc/pakn/pakn.env``: keep its ``SECRET_KEY`` apart, with the backups).
"""
from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import URL

from workflows.clock import CLOCK

from .extensions import db
from .models import Attachment
from .services.held_uploads import HELD

# The names a run makes, and the only ones pruning deletes (".part": a run killed while writing).
BACKUP_NAME = re.compile(r"(pakn-\d{8}T\d{6}Z)(?:\.dump|\.sqlite3|-uploads\.tar)(\.part)?")
LOCK = ".pakn-backup.lock"


class BackupFailed(RuntimeError):
    """Why a run wrote nothing."""


@dataclass(frozen=True)
class Backup:
    database: Path
    uploads: Path
    files: int  # uploaded files in the tar
    removed: list[Path]  # older backups beyond the ones kept


def make_backup(target: Path, keep: int, progress: Callable[[str], None] = lambda _: None) -> Backup:
    """Write ``pakn-<UTC time>.dump`` (PostgreSQL) or ``.sqlite3`` and ``pakn-<UTC time>-uploads.tar``
    into ``target``, then delete all but the newest ``keep`` backups there."""
    uploads_dir = Path(current_app.config["UPLOAD_DIR"])
    _check_uploads(uploads_dir)
    db.session.remove()  # that query's transaction is not held open through a dump of minutes
    target.mkdir(parents=True, exist_ok=True)
    with open(target / LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupFailed(f"another backup is running in {target}") from None
        stamp = "pakn-" + CLOCK.now().strftime("%Y%m%dT%H%M%SZ")
        if any(target.glob(f"{stamp}*")):
            raise BackupFailed(f"{stamp} exists in {target} already")
        url = db.engine.url  # as the app resolved it (a relative SQLite path is under instance/)
        if url.get_backend_name() == "postgresql":
            database, write = target / f"{stamp}.dump", lambda out: _pg_dump(url, out)
        elif url.get_backend_name() == "sqlite" and url.database and Path(url.database).is_file():
            database, write = target / f"{stamp}.sqlite3", lambda out: _sqlite_copy(Path(url.database), out)
        else:
            raise BackupFailed(f"cannot back up {url.render_as_string(hide_password=True)}: "
                               "not PostgreSQL or an existing SQLite file")
        uploads = target / f"{stamp}-uploads.tar"
        try:
            _whole(database, write)
            progress(f"database: {database} ({database.stat().st_size:,} bytes)")
            files = _whole(uploads, lambda out: _tar(uploads_dir, out, progress))
        except (OSError, sqlite3.Error, subprocess.SubprocessError) as exc:
            database.unlink(missing_ok=True)  # both or neither
            raise BackupFailed(str(exc)) from exc
        progress(f"uploads: {uploads} ({files:,} files, {uploads.stat().st_size:,} bytes)")
        return Backup(database, uploads, files, _prune(target, keep, stamp))


def _check_uploads(uploads_dir: Path) -> None:
    """Refuse, before anything is written or pruned, when files the database names are not in
    ``uploads_dir``: an unmounted share (a missing folder, or the empty mount point under it) would
    give a tar without them, and pruning would then push the good backups out. A missing folder with
    no file named is a new installation (the app makes it on the first upload): that is a backup."""
    # Files are written before the rows that name them are committed, and a removed row leaves its file
    # (services.staff.remove_draft_file), so a named file is never missing for a good reason. The names
    # are read first and the folder listed after: a file whose row commits meanwhile is already there.
    # One listing of the folder, not a stat a file: the share may be NFS.
    names = db.session.execute(select(Attachment.stored_name).order_by(Attachment.id)).scalars().all()
    present = set(os.listdir(uploads_dir)) if uploads_dir.is_dir() else set()
    missing = [name for name in names if name not in present]
    if not missing:
        return
    where = (f"UPLOAD_DIR {uploads_dir}" if uploads_dir.is_dir()
             else f"UPLOAD_DIR {uploads_dir} (not a directory)")
    raise BackupFailed(f"{len(missing):,} of the {len(names):,} uploaded files the database names are missing from {where}, "
                       f"e.g. {missing[0]}: is the share mounted? Nothing written, older backups kept")


def _whole(out: Path, write: Callable[[Path], object]):
    """``write(partial)``, then the partial file renamed to ``out``; removed if ``write`` fails."""
    partial = out.with_name(out.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        result = write(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(out)
    return result


def pg_dump_command(url: URL, out: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's command line (the URL without its password) and its environment (PGPASSWORD)."""
    libpq = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    command = [current_app.config["PG_DUMP"], "--format=custom", "--no-owner", "--no-password", f"--file={out}",
               f"--dbname={libpq.render_as_string(hide_password=False)}"]
    return command, env


def _pg_dump(url: URL, out: Path) -> None:
    command, env = pg_dump_command(url, out)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise subprocess.SubprocessError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")


def _sqlite_copy(source: Path, out: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(out)
    try:
        src.backup(dst)  # page by page, started again by SQLite if a writer changes the file meanwhile
    finally:
        dst.close()
        src.close()


def _tar(folder: Path, out: Path, progress: Callable[[str], None]) -> int:
    files = 0
    with tarfile.open(out, "w") as tar:  # attachments are PDFs and images: compressing gains little
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            try:
                if not path.is_file() or path.relative_to(folder).parts[0] == HELD:
                    continue  # held files of forms not yet accepted (services.held_uploads) are no record
                tar.add(path, arcname=str(Path("uploads") / path.relative_to(folder)), recursive=False)
            except FileNotFoundError:
                continue  # removed since the listing: a failed submission's file, named by no row
            files += 1
            if files % 1000 == 0:
                progress(f"  {files:,} files")
    return files


def _prune(target: Path, keep: int, current: str) -> list[Path]:
    """Delete the backups of all but the newest ``keep`` runs (never ``current``) and what killed runs
    left half written; other files stay."""
    runs: dict[str, list[Path]] = {}
    removed = []
    for path in target.iterdir():
        match = BACKUP_NAME.fullmatch(path.name)
        if not match or not path.is_file():
            continue
        if match.group(2) and match.group(1) != current:
            path.unlink()
            removed.append(path)
        else:
            runs.setdefault(match.group(1), []).append(path)
    for stamp in sorted(runs, reverse=True)[max(keep, 1):]:
        if stamp != current:
            for path in runs[stamp]:
                path.unlink()
                removed.append(path)
    return removed
