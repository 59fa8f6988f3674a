"""Files a sender already sent with a form that came back (a field to correct, a rate limit, a form
already used): kept so that nothing attached is lost, and attached when the form is finally accepted.

They are held in ``UPLOAD_DIR/held/<token>/`` (the directory every web host shares), under a random
token that the re-rendered form carries in a hidden field: 32 URL-safe characters (192 random bits),
so unguessable, and checked against that pattern before it names a directory. A token that names no
hold attaches nothing. Each hold has a ``manifest.json`` (the names as sent, the checked kind and size)
whose modification time is when it was last held; ``sweep_held`` removes holds older than
``HELD_UPLOAD_HOURS``. ``HELD_UPLOADS_MAX_BYTES`` bounds what all holds together take on disk, so that
forms sent again and again with files and an error cannot fill it, and ``HELD_UPLOADS_CLIENT_MAX_BYTES``
what one client's holds take (the client a rate limit counts, ``security.client_key``, written in the
hold's ``client`` file), so that one sender doing so cannot take the others' room.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from workflows.clock import CLOCK

from .files import upload_dir
from .submissions import CheckedFile

HELD = "held"
MANIFEST = "manifest.json"
CLIENT = "client"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
FILE_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class HeldFile:
    id: str  # names the file in its hold: the form's "remove" checkbox sends it back
    file: CheckedFile

    @property
    def name(self) -> str:
        return self.file.original_name

    @property
    def size(self) -> int:
        return len(self.file.data)


@dataclass(frozen=True)
class Hold:
    token: str | None
    files: list[HeldFile]

    @property
    def checked(self) -> list[CheckedFile]:
        return [f.file for f in self.files]


def _root() -> Path:
    return upload_dir() / HELD


def _folder(token: str | None) -> Path | None:
    return _root() / token if token and TOKEN.fullmatch(token) else None


def _entries(folder: Path) -> list[dict]:
    try:
        entries = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and FILE_ID.fullmatch(str(e.get("id", "")))]


def _read(folder: Path, entry: dict) -> HeldFile | None:
    try:
        data = (folder / f"{entry['id']}.{entry['extension']}").read_bytes()
    except (OSError, KeyError, TypeError):
        return None
    return HeldFile(entry["id"], CheckedFile(entry["name"], entry["extension"], entry["content_type"], data))


def _write_manifest(folder: Path, files: list[HeldFile]) -> None:
    entries = [{"id": f.id, "name": f.name, "extension": f.file.extension, "content_type": f.file.content_type}
               for f in files]
    temporary = folder / f".{MANIFEST}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    held_at = CLOCK.now().timestamp()
    os.utime(temporary, (held_at, held_at))  # the hold's age, on the app's clock
    os.replace(temporary, folder / MANIFEST)


def take(token: str | None, removed: list[str] = ()) -> Hold:
    """The files held under ``token``, less those the sender removed (deleted at once). An unknown or
    malformed token holds nothing."""
    folder = _folder(token)
    if folder is None or not folder.is_dir():
        return Hold(None, [])
    files = [f for e in _entries(folder) if (f := _read(folder, e)) is not None]
    removed = set(removed)
    gone = [f for f in files if f.id in removed]
    if gone:
        files = [f for f in files if f not in gone]
        for f in gone:
            (folder / f"{f.id}.{f.file.extension}").unlink(missing_ok=True)
        _write_manifest(folder, files)
    return Hold(token, files)


def _held_bytes(client: str) -> tuple[int, int]:
    """What the holds take on disk: all of them, and ``client``'s."""
    root = _root()
    total = theirs = 0
    for folder in (root.iterdir() if root.is_dir() else ()):
        try:
            size = sum(p.stat().st_size for p in folder.iterdir())
            total += size
            if (folder / CLIENT).read_text("utf-8") == client:
                theirs += size
        except OSError:
            continue  # released or swept meanwhile, or a hold of before the client file (counted in total)
    return total, theirs


def hold(current: Hold, new: list[CheckedFile], client: str) -> Hold | None:
    """``current`` with the ``new`` files added (in a new hold if it has none) for ``client``; None, and
    nothing written, if all holds together would pass ``HELD_UPLOADS_MAX_BYTES`` or this client's
    ``HELD_UPLOADS_CLIENT_MAX_BYTES``."""
    if not new:
        return current
    size, config = sum(len(f.data) for f in new), current_app.config
    total, theirs = _held_bytes(client)
    if theirs + size > config["HELD_UPLOADS_CLIENT_MAX_BYTES"] or total + size > config["HELD_UPLOADS_MAX_BYTES"]:
        return None
    token = current.token or secrets.token_urlsafe(24)
    folder = _root() / token
    folder.mkdir(parents=True, exist_ok=True)
    if not current.token:
        (folder / CLIENT).write_text(client, "utf-8")
    added = []
    for f in new:
        held = HeldFile(secrets.token_hex(8), f)
        (folder / f"{held.id}.{f.extension}").write_bytes(f.data)
        added.append(held)
    files = [*current.files, *added]
    _write_manifest(folder, files)
    return Hold(token, files)


def release(token: str | None) -> None:
    """The form was accepted: its held files are the case's now (stored anew by ``submissions.submit``)."""
    folder = _folder(token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_held(now: datetime | None = None) -> int:
    """Remove the holds last held more than ``HELD_UPLOAD_HOURS`` ago (a form never sent again);
    returns how many. A hold without a readable manifest is aged by its directory."""
    root = _root()
    if not root.is_dir():
        return 0
    oldest = (now or CLOCK.now()).timestamp() - current_app.config["HELD_UPLOAD_HOURS"] * 3600
    removed = 0
    for folder in root.iterdir():
        try:
            manifest = folder / MANIFEST
            held_at = (manifest if manifest.exists() else folder).stat().st_mtime
        except OSError:
            continue  # removed meanwhile (released, or another host's sweep)
        if held_at < oldest:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
