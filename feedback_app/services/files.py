"""Where attachments live: ``UPLOAD_DIR``, outside the web root (a directory several web hosts can
share), each file under a random name; the original name stays in the ``attachments`` row."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app

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


def write_new(data: bytes, extension: str) -> tuple[str, Path]:
    """Write ``data`` under a new random name with ``extension``; returns the name and the path (the
    caller removes the file if its transaction fails)."""
    stored = f"{secrets.token_hex(16)}.{extension}"
    path = upload_dir() / stored
    path.write_bytes(data)
    return stored, path
