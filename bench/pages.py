#!/usr/bin/env python3
"""Latency (p50, p95) of every page and API read that the route table can fill in: every GET route
without URL arguments, and those whose only argument is a case ``code`` (filled with a real case).

Generic on purpose: a page added to any blueprint is measured without touching this file. Staff pages
are requested as a signed-in user of a role the view declares (``pakn_roles``), staff API reads with a
bearer token (``pakn_token_roles``). The app runs in-process with production settings (no gunicorn, no
network: bench/submit.py measures those), so the figures are the app's own time per request.

    python bench/pages.py [--json] [--database URL] [--n N] [--requests K] [--page-seconds S]

The database is migrated (``flask db upgrade``); when it holds no units yet, the demo is seeded with N
cases through the real lifecycle (slow beyond a few thousand: fill big databases with a generator first).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PREFERRED_ROLE = ("office", "leader", "unit", "admin")
MIN_SAMPLES = 5


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] if len(samples) > 1 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per figure line (bench/README.md)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_N") or 200),
                        help="cases to seed when the database is empty (default 200)")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS") or 200))
    parser.add_argument("--page-seconds", type=float, default=20.0,
                        help="time budget of one page: after it, stop at %d requests or more" % MIN_SAMPLES)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from feedback_app import create_app
    from feedback_app.auth import token_hash
    from feedback_app.demo import seed
    from feedback_app.extensions import db
    from feedback_app.models import ApiToken, Feedback, Unit, User

    tmp = tempfile.TemporaryDirectory(prefix="pakn-bench-")
    url = args.database or f"sqlite:///{tmp.name}/bench.sqlite3"
    app = create_app("production", SECRET_KEY=secrets.token_hex(32), SQLALCHEMY_DATABASE_URI=url,
                     SESSION_COOKIE_SECURE=False, RATELIMIT_ENABLED=False, UPLOAD_DIR=f"{tmp.name}/uploads")
    with app.app_context():
        upgrade()
        if not db.session.execute(select(func.count()).select_from(Unit)).scalar():
            print(f"seeding {args.n} demo cases …", file=sys.stderr)
            seed(args.n, secrets.token_hex(8), progress=lambda *_: None)
        n_cases = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
        code = db.session.execute(select(Feedback.code).order_by((Feedback.state == "published").desc(),
                                                                 Feedback.id).limit(1)).scalar()
        users = {}  # a role -> (the id of one of its users, the session's id of that user)
        for user in db.session.execute(select(User).where(User.active)).scalars():
            users.setdefault(user.role, (user.id, user.get_id()))
        tokens = {}
        for role, (user_id, _) in users.items():
            tokens[role] = secrets.token_urlsafe(24)
            db.session.add(ApiToken(user_id=user_id, token_hash=token_hash(tokens[role])))
        db.session.commit()
        version = ".".join(str(v) for v in (db.engine.dialect.server_version_info or ())[:2])
        database = f"{db.engine.dialect.name} {version}".strip()

    def who(view) -> str | None:
        roles = getattr(view, "pakn_roles", None) or getattr(view, "pakn_token_roles", None)
        if not roles:
            return None
        return next((r for r in PREFERRED_ROLE if r in roles and r in users), None) or "nobody"

    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.arguments and (rule.arguments != {"code"} or code is None):
            print(f"skipped {rule.rule}: arguments {sorted(rule.arguments)}", file=sys.stderr)
            continue
        path = app.url_map.bind("localhost").build(rule.endpoint, {"code": code} if rule.arguments else {})
        view = app.view_functions[rule.endpoint]
        role = who(view)
        if role == "nobody":
            print(f"skipped {rule.rule}: no user of roles {sorted(view.pakn_roles)}", file=sys.stderr)
            continue
        routes.append((rule.rule, path, role, hasattr(view, "pakn_token_roles")))

    for rule, path, role, by_token in routes:
        client = app.test_client()
        headers = {}
        if role and by_token:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        elif role:
            with client.session_transaction() as session:
                session["_user_id"] = users[role][1]  # with the user's session version (User.get_id)
                session["_fresh"] = True
        first = client.get(path, headers=headers)
        if first.status_code == 401 and role is None and tokens:  # a staff API read that checks its token itself
            role = next(r for r in PREFERRED_ROLE if r in tokens)
            headers["Authorization"] = f"Bearer {tokens[role]}"
            first = client.get(path, headers=headers)
        # a redirect is not the page (the status page asks a browser without its lookup for the
        # contact first: bench/lookup.py measures it after a real lookup)
        if first.status_code >= 300:
            print(f"skipped {rule}: HTTP {first.status_code} as {role or 'anonymous'}", file=sys.stderr)
            continue
        # a page that takes seconds (the dashboard at a million cases) gets fewer requests, not an hour
        budget = time.perf_counter() + args.page_seconds / 4
        for _ in range(min(10, args.requests)):  # warm caches (templates, query plans)
            client.get(path, headers=headers)
            if time.perf_counter() > budget:
                break
        samples = []
        budget = time.perf_counter() + args.page_seconds
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            if len(samples) >= MIN_SAMPLES and time.perf_counter() > budget:
                break
        for p in (50, 95):
            figure = {"name": f"GET {rule} p{p}" + (f" ({role})" if role else ""),
                      "value": round(percentile(samples, p), 2), "unit": "ms", "n": n_cases, "database": database,
                      "requests": len(samples)}
            print(json.dumps(figure, ensure_ascii=False) if args.json
                  else f"{figure['name']:<60} {figure['value']:>8.2f} ms  ({n_cases} cases, {database})")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
