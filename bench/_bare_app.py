"""The baseline for bench/submit.py: a bare Flask app whose only endpoint does one INSERT of the
posted case into the same ``feedback`` table of the same database (``DATABASE_URL``), with no
validation, no lifecycle, no audit row, no code counter. Served by the same gunicorn settings as pakn:

    DATABASE_URL=sqlite:////tmp/b.sqlite3 gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8001 bench._bare_app:app
"""
from __future__ import annotations

import itertools
import os
from datetime import datetime, timezone

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"])
numbers = itertools.count(1)
INSERT = text(
    "INSERT INTO feedback (code, submitter_name, address, phone, email, title, content, consent_publish, channel,"
    " language, received_at, state, version, paused_days, extension_count, created_at, updated_at)"
    " VALUES (:code, :name, :address, :phone, :email, :title, :content, :consent, 'api', 'vi', :now, 'received',"
    " 1, 0, 0, :now, :now)")


@app.post("/api/v1/feedback")
def post_feedback():
    body = request.get_json()
    code = f"BARE.{os.getpid()}.{next(numbers)}"
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(INSERT, {"code": code, "name": body["full_name"], "address": body["address"],
                              "phone": body.get("phone"), "email": body.get("email"), "title": body["title"],
                              "content": body["content"], "consent": bool(body.get("consent_publish")), "now": now})
    return {"code": code, "state": "received"}, 201
