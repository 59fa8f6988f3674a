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
not mounted). A file lost for good (a disk error) and marked so (``flask files mark-lost``, after a look
in the older backups) is no such file: the run goes on and names it in the tar's ``MISSING.txt``.
``allow_missing`` (``flask backup --allow-missing NAME``) lets one run go on past files not marked,
named one by one; they are listed too, and that run prunes nothing, since the older backups may be the
only ones that still hold them.
Everything else is either in the database (cases, letters, the outbox, the calendar) or in the
deployment (code, ``/etc/pakn/pakn.env``: keep its ``SECRET_KEY`` apart, with the backups).
"""
from __future__ import annotations

import fcntl
import io
import os
import re
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Collection

from flask import current_app
from sqlalchemy.engine import URL

from workflows.clock import CLOCK

from .extensions import db
from .services.files import NamedFile, missing_from
from .services.held_uploads import HELD

# The names a run makes, and the only ones pruning deletes (".part": a run killed while writing).
BACKUP_NAME = re.compile(r"(pakn-\d{8}T\d{6}Z)(?:\.dump|\.sqlite3|-uploads\.tar)(\.part)?")
LOCK = ".pakn-backup.lock"
MISSING = "MISSING.txt"  # beside uploads/ in the tar: the named files a run went on without


class BackupFailed(RuntimeError):
    """Why a run wrote nothing."""


@dataclass(frozen=True)
class Backup:
    database: Path
    uploads: Path
    files: int  # uploaded files in the tar
    removed: list[Path]  # older backups beyond the ones kept
    missing: list[str]  # stored names the database names and UPLOAD_DIR lacked (all of them allowed)


def make_backup(target: Path, keep: int, progress: Callable[[str], None] = lambda _: None,
                allow_missing: Collection[str] = ()) -> Backup:
    """Write ``pakn-<UTC time>.dump`` (PostgreSQL) or ``.sqlite3`` and ``pakn-<UTC time>-uploads.tar``
    into ``target``, then delete all but the newest ``keep`` backups there. The stored names in
    ``allow_missing`` may be missing from ``UPLOAD_DIR``: those missing are listed in the tar and nothing
    is deleted."""
    uploads_dir = Path(current_app.config["UPLOAD_DIR"])
    missing = _check_uploads(uploads_dir, allow_missing)
    for lost in missing:  # before the dump, so that the log names them even if the run fails later
        progress(f"missing from UPLOAD_DIR {uploads_dir}: {lost.stored_name}"
                 + (f" (marked lost on {lost.lost_at:%Y-%m-%d})" if lost.lost_at else ""))
    # files only allowed by the option may still be in an older copy: keep those; marked ones were looked for
    only_allowed = [f for f in missing if f.lost_at is None]
    db.session.remove()  # that query's transaction is not held open through a dump of minutes
    if not target.parent.is_dir():
        # made with its parents, a mistyped --to, or a path under a mount point not there, would be a new
        # tree on the host's own disk, filled unseen (a share mounted at BACKUP_DIR itself: the unit's
        # RequiresMountsFor, deploy/pakn-backup.service)
        raise BackupFailed(f"{target.parent} does not exist: is the path right, the backup share mounted? "
                           "Nothing written")
    target.mkdir(exist_ok=True)
    with open(target / LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupFailed(f"another backup is running in {target}") from None
        began = CLOCK.now()
        stamp = "pakn-" + began.strftime("%Y%m%dT%H%M%SZ")
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
            count = _whole(uploads, lambda out: _tar(uploads_dir, out, progress, missing, began))
        except BaseException as exc:  # whatever stopped it (a bug, Ctrl-C, SIGTERM: cli.py): both or neither
            database.unlink(missing_ok=True)
            if isinstance(exc, (OSError, sqlite3.Error, subprocess.SubprocessError)):
                raise BackupFailed(str(exc)) from exc
            raise
        progress(f"uploads: {uploads} ({count:,} files, {uploads.stat().st_size:,} bytes)")
        if missing:
            progress(f"{len(missing):,} missing files listed in {MISSING} in {uploads.name}"
                     + ("; older backups not pruned: they may still hold them" if only_allowed else ""))
        return Backup(database, uploads, count, [] if only_allowed else _prune(target, keep, stamp),
                      [f.stored_name for f in missing])


def _check_uploads(uploads_dir: Path, allow_missing: Collection[str] = ()) -> list[NamedFile]:
    """The files the database names that are not in ``uploads_dir``, when each is marked lost (``flask
    files mark-lost``) or in ``allow_missing``. Refuse, before anything is written or pruned, when any
    other is missing: an unmounted share (a missing folder, or the empty mount point under it) would give
    a tar without them, and pruning would then push the good backups out. A missing folder with no file
    named is a new installation (the app makes it on the first upload): that is a backup."""
    # Files are written before the rows that name them are committed, and a removed row leaves its file
    # (services.staff.remove_draft_file), so a named file is never missing for a good reason.
    named, missing = missing_from(uploads_dir)
    unexpected = [f.stored_name for f in missing if f.lost_at is None and f.stored_name not in allow_missing]
    if not unexpected:
        return missing
    where = (f"UPLOAD_DIR {uploads_dir}" if uploads_dir.is_dir()
             else f"UPLOAD_DIR {uploads_dir} (not a directory)")
    beyond = " (besides those marked lost or allowed by --allow-missing)" if len(unexpected) < len(missing) else ""
    raise BackupFailed(f"{len(unexpected):,} of the {named:,} uploaded files the database names are missing from "
                       f"{where}{beyond}, e.g. {unexpected[0]}: is the share mounted? Nothing written, older backups kept")


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
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:  # the setting names a program that is not there: say which setting
        raise subprocess.SubprocessError(f"PG_DUMP={command[0]} does not exist: install postgresql-client of the "
                                         "server's major version, or set PG_DUMP to its pg_dump") from None
    if result.returncode != 0:
        raise subprocess.SubprocessError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")


def _sqlite_copy(source: Path, out: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(out)
    try:
        src.backup(dst)  # page by page, started again by SQLite if a writer changes the file meanwhile
    finally:
        dst.close()
        src.close()


def _tar(folder: Path, out: Path, progress: Callable[[str], None], missing: list[NamedFile], began: datetime) -> int:
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
        if missing:  # in the tar itself: whoever restores this copy learns what it lacks
            listing = (f"# {len(missing)} uploaded files the database names were missing from UPLOAD_DIR {folder} "
                       f"when the run of {began:%Y-%m-%dT%H:%M:%SZ} began (its name's time)\n"
                       + "".join(f"{f.stored_name}\tmarked lost on {f.lost_at:%Y-%m-%d}\n" if f.lost_at
                                 else f"{f.stored_name}\n" for f in missing)).encode()
            entry = tarfile.TarInfo(MISSING)
            entry.size, entry.mtime, entry.mode = len(listing), int(began.timestamp()), 0o640
            tar.addfile(entry, io.BytesIO(listing))
    return files


def _prune(target: Path, keep: int, current: str) -> list[Path]:
    """Delete the backups of all but the newest ``keep`` whole runs (never ``current``) and what killed
    runs left half written; other files stay."""
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
    # a run killed between its two files (SIGKILL, a power cut) left its database's copy alone: not a
    # backup, so it neither counts among the ``keep`` nor stays
    halves = [stamp for stamp, paths in runs.items() if len(paths) < 2 and stamp != current]
    whole = sorted((stamp for stamp in runs if stamp not in halves), reverse=True)
    for stamp in halves + [stamp for stamp in whole[max(keep, 1):] if stamp != current]:
        for path in runs[stamp]:
            path.unlink()
            removed.append(path)
    return removed
