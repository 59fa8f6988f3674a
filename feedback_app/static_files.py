"""Versioned static URLs: ``url_for('static', filename='pakn.css')`` gives
``/static/pakn.css?v=<the first 12 hex digits of the SHA-256 of the file>``.

nginx lets browsers keep ``/static/`` for 7 days (deploy/nginx-pakn.conf); without a version a deploy
would reach them a week late, last week's script running against this week's pages. The query changes
with the content, so a new file is a new URL at once, and an unchanged one stays cached. Same origin,
so the Content-Security-Policy's ``'self'`` allows it as before.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask
from werkzeug.security import safe_join


def file_version(folder: str, filename: str) -> str | None:
    """The version of ``folder/filename``; None for a file that is not there (its URL stays as it was
    and answers 404 as before)."""
    path = safe_join(folder, filename)
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12] if path else None
    except OSError:
        return None


def init_app(app: Flask) -> None:
    versions: dict[str, str | None] = {}  # filename -> version: the files change only with a deploy (a restart)

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or not values.get("filename"):
            return
        filename = values["filename"]
        if filename not in versions or app.debug:  # development: an edited file is seen at once
            versions[filename] = file_version(app.static_folder, filename)
        if versions[filename]:
            values["v"] = versions[filename]
