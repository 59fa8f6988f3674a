#!/usr/bin/env python3
"""The two public reads at scale: the citizen's status page and the published search; targets at
1,000,000 cases: status page p95 < 30 ms, published search p95 < 50 ms.

    python bench/lookup.py [--json] [--database URL] [--n 1000000] [--requests 200]

The database is filled by bench/generate.py (reused when it holds N cases already): about half the
cases published, with their public copy and folded ``search_text``. The app runs in-process with
production settings (CSRF on), like bench/pages.py: the figures are the app's own time per request.

- status page: for each of K random cases, the real lookup flow (GET /tra-cuu for the form's CSRF
  token, POST /tra-cuu with the code and the phone number the citizen gave, which puts the code in
  the session) and then the timed GET /tra-cuu/<code>; the POST is timed too.
- published search: GET /cong-khai?q=<folded Vietnamese words>, a mix of queries from very common
  (a word of a frequent topic) to rare (a keyword and a commune) and absent, and a code.
"""
from __future__ import annotations

import random
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import arguments, database_label, figure, log, percentile  # noqa: E402
from generate import ensure_filled  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
QUERIES = ["khoa hoc", "hoc phi", "thoi han giai quyet", "x-quang", "nhan hieu ocop", "can dien tu",
           "dong ho nuoc tinh son", "toi ly son", "que tra bong binh son", "giong lua moi cam thanh",
           "nguon phong xa nghia chanh", "tem truy xuat nguon goc duc pho", "khong co tu nay", "vung tau"]


def timed(client, method: str, path: str, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.open(path, method=method, **kwargs)
    return (time.perf_counter() - started) * 1000, response


def main() -> int:
    args = arguments(__doc__.split("\n")[0], 20_000, requests=200)
    ensure_filled(args.database, args.n, progress=log)

    from sqlalchemy import func, select

    from feedback_app import create_app
    from feedback_app.extensions import db
    from feedback_app.models import Feedback

    tmp_uploads = Path(tempfile.gettempdir()) / "pakn-bench-uploads"  # nothing is uploaded: reads only
    app = create_app("production", SECRET_KEY=secrets.token_hex(32), SQLALCHEMY_DATABASE_URI=args.database,
                     SESSION_COOKIE_SECURE=False, RATELIMIT_ENABLED=False, SCHEDULER_IN_APP=False,
                     UPLOAD_DIR=str(tmp_uploads))
    rng = random.Random(7)
    with app.app_context():
        database = database_label(db.engine)
        stored = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
        published = db.session.execute(select(func.count()).select_from(Feedback)
                                       .where(Feedback.state == "published")).scalar_one()
        top = db.session.execute(select(func.max(Feedback.id))).scalar_one()
        cases = []
        while len(cases) < args.requests:  # random cases of every state, by id (no scan)
            # not the rows bench/submit.py's bare app left (codes BARE.…): no citizen holds such a code
            row = db.session.execute(select(Feedback.code, Feedback.phone).where(
                Feedback.id == rng.randint(1, top), Feedback.phone.is_not(None),
                Feedback.code.startswith("PAKN."))).first()
            if row:
                cases.append(tuple(row))
        recent = db.session.execute(select(Feedback.code).where(Feedback.state == "published")
                                    .order_by(Feedback.published_at.desc()).limit(1)).scalar()
    log(f"{database}: {stored:,} cases, {published:,} published ({published / max(stored, 1):.0%})")

    lookups, pages = [], []
    warm = min(10, len(cases))
    for code, phone in cases[:warm] + cases:  # the first ones warm up templates, query plans, the calendar
        client = app.test_client()  # a new citizen: a new session
        form = client.get("/tra-cuu").get_data(as_text=True)
        token = next(g for g in CSRF.search(form).groups() if g)
        ms, response = timed(client, "POST", "/tra-cuu", data={"csrf_token": token, "code": code, "contact": phone},
                             headers={"Referer": "https://localhost/tra-cuu"})  # production: CSRF checks it (TLS)
        if response.status_code != 303:
            log(f"lookup of {code} answered {response.status_code}")
            return 1
        lookups.append(ms)
        ms, response = timed(client, "GET", f"/tra-cuu/{code}")
        if response.status_code != 200 or code not in response.get_data(as_text=True):
            log(f"status page of {code} answered {response.status_code}")
            return 1
        pages.append(ms)
    lookups, pages = lookups[warm:], pages[warm:]

    queries = QUERIES + ([recent.lower()] if recent else [])
    client = app.test_client()
    for q in queries:  # warm-up, and the number of hits of each query
        body = client.get("/cong-khai", query_string={"q": q}).get_data(as_text=True)
        hits = re.search(r'id="result-count">([^<]*)<', body)
        log(f"  /cong-khai?q={q}: {hits.group(1) if hits else '?'}")
    searches, by_query = [], {q: [] for q in queries}
    for i in range(args.requests):
        q = queries[i % len(queries)]
        ms, response = timed(client, "GET", "/cong-khai?" + f"q={q.replace(' ', '+')}")
        if response.status_code != 200:
            log(f"search {q!r} answered {response.status_code}")
            return 1
        searches.append(ms)
        by_query[q].append(ms)
    slowest = max((q for q in by_query if by_query[q]), key=lambda q: max(by_query[q]))
    log(f"  slowest query: {slowest!r}, {max(by_query[slowest]):.1f} ms")
    listing = []
    for _ in range(max(20, args.requests // 5)):
        ms, _ = timed(client, "GET", "/cong-khai")
        listing.append(ms)

    extra = {"requests": args.requests, "published": published}
    for p in (50, 95):
        figure(args.json, f"status page GET /tra-cuu/<code> p{p}", round(percentile(pages, p), 2), "ms", stored,
               database, **extra, **({"target": 30} if p == 95 else {}))
    figure(args.json, "lookup POST /tra-cuu (code + phone) p95", round(percentile(lookups, 95), 2), "ms", stored,
           database, **extra)
    for p in (50, 95):
        figure(args.json, f"published search GET /cong-khai?q=… p{p}", round(percentile(searches, p), 2), "ms",
               stored, database, **extra, queries=len(queries), **({"target": 50} if p == 95 else {}))
    figure(args.json, "published list GET /cong-khai (no query) p95", round(percentile(listing, 95), 2), "ms",
           stored, database, requests=len(listing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
