"""Where attachments live: ``UPLOAD_DIR``, outside the web root (a directory several web hosts can
share), each file under a random name; the original name stays in the ``attachments`` row. A file lost
for good (a disk error, and in no backup either) is marked so on its row (``flask files mark-lost``)."""
from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from workflows.clock import CLOCK

from ..extensions import db
from ..models import Attachment, Feedback


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def attachment_path(attachment: Attachment) -> Path:
    return upload_dir() / attachment.stored_name


def reply_files(case: Feedback) -> list[Attachment]:
    """The files the unit attached to the answer the citizen holds: those an approval sent
    (``Attachment.sent_at``). A draft's files are not the department's answer yet; while HCTH has
    returned the answer for revision (QĐ 31/2021/QĐ-TTg Art 46) the citizen still holds the files sent
    with it, not the new draft's."""
    return [a for a in case.attachments if a.kind == "reply" and a.sent_at is not None]


def mailable(attachments: list[Attachment]) -> list[Attachment]:
    """Of these files, those a mail can carry: not marked lost for good (``mark_lost``), which would keep the
    mail failing for ever. The status page still names a lost one, as lost."""
    return [a for a in attachments if a.lost_at is None]


def write_new(data: bytes, extension: str) -> tuple[str, Path]:
    """Write ``data`` under a new random name with ``extension``; returns the name and the path (the
    caller removes the file if its transaction fails)."""
    stored = f"{secrets.token_hex(16)}.{extension}"
    path = upload_dir() / stored
    path.write_bytes(data)
    return stored, path


# --- files lost for good ------------------------------------------------------------------------

class FilesRefused(ValueError):
    """A request about stored files that would be wrong: why, for the person at the terminal."""


class NamedFile(NamedTuple):
    stored_name: str
    lost_at: datetime | None


LOST_NOTE_MAX = 400  # attachments.lost_note


def missing_from(folder: Path) -> tuple[int, list[NamedFile]]:
    """How many files the database names, and those of them ``folder`` lacks (marked lost or not).
    The names are read first and the folder listed after, so a file whose row commits meanwhile is
    already there; one listing of the folder, not a stat a file, since the folder may be an NFS share."""
    named = [NamedFile(*row) for row in db.session.execute(
        select(Attachment.stored_name, Attachment.lost_at).order_by(Attachment.id))]
    present = set(os.listdir(folder)) if folder.is_dir() else set()
    return len(named), [f for f in named if f.stored_name not in present]


def _named(names: list[str]) -> list[Attachment]:
    """The attachments of these stored names, in the order given; refused when any is unknown."""
    names = list(dict.fromkeys(names))
    found = {a.stored_name: a for a in db.session.execute(
        select(Attachment).where(Attachment.stored_name.in_(names))).scalars()}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise FilesRefused(f"no uploaded file is stored as {', '.join(unknown)} (the stored name, as "
                           "`flask files missing` or the backup's refusal gives it)")
    return [found[name] for name in names]


def mark_lost(names: list[str], note: str, none_left: bool = False) -> list[Attachment]:
    """Mark these files lost for good, all of them or none: each must be named by the database and
    missing from ``UPLOAD_DIR``; ``note`` says what was looked at (the older backups first: ``tar -tf``).
    Files marked before keep their first date and note. Returns the files newly marked.

    While none of the files the database names is in ``UPLOAD_DIR``, a share not mounted looks exactly
    like every file lost: refused unless ``none_left`` says the operator checked that it is the latter."""
    note = " ".join((note or "").split())
    if not note:
        raise FilesRefused("say what was looked at (--note), e.g. which backups lack the file")
    if len(note) > LOST_NOTE_MAX:
        raise FilesRefused(f"the note is {len(note)} characters long; at most {LOST_NOTE_MAX}")
    attachments = _named(names)
    folder = Path(current_app.config["UPLOAD_DIR"])
    named, missing = missing_from(folder)
    if named and len(missing) == named and not none_left:  # none of them there: the share, or all lost?
        raise FilesRefused(f"none of the {named:,} files the database names is in UPLOAD_DIR {folder}: is the "
                           "share mounted? Nothing marked. If UPLOAD_DIR is right and no file is left, say so "
                           "with --none-left")
    absent = {f.stored_name for f in missing}
    present = [a.stored_name for a in attachments if a.stored_name not in absent]
    if present:
        raise FilesRefused(f"{', '.join(present)} is in UPLOAD_DIR {folder}: not lost, nothing marked")
    marked = [a for a in attachments if a.lost_at is None]
    for attachment in marked:
        attachment.lost_at, attachment.lost_note = CLOCK.now(), note
    db.session.commit()
    return marked


def mark_found(names: list[str]) -> list[Attachment]:
    """Take the mark off files marked lost that are back in ``UPLOAD_DIR`` (restored from a copy found
    later), all of them or none."""
    attachments = _named(names)
    unmarked = [a.stored_name for a in attachments if a.lost_at is None]
    if unmarked:
        raise FilesRefused(f"{', '.join(unmarked)} is not marked lost: nothing changed")
    folder = Path(current_app.config["UPLOAD_DIR"])  # as it is: not made here when missing (upload_dir)
    absent = [a.stored_name for a in attachments if not (folder / a.stored_name).is_file()]
    if absent:
        raise FilesRefused(f"{', '.join(absent)} is still missing from UPLOAD_DIR {folder}: put it back "
                           "first; nothing changed")
    for attachment in attachments:
        attachment.lost_at = attachment.lost_note = None
    db.session.commit()
    return attachments
