"""The quarterly report over 1,000,000 stored cases; target under 1 s. Prints the times.

    .venv/bin/python bench/report.py sqlite:////tmp/pakn-bench.sqlite3 [--cases 1000000] [--period 2024-Q2]
    .venv/bin/python bench/report.py postgresql+psycopg://pakn@127.0.0.1:5433/postgres

The database is migrated (``db upgrade``, so the report indexes of 0005 are there) and filled once
with a minimal bulk filler (executemany, no audit rows: the report reads only the case columns,
letters and ratings); a database that already holds the cases is reused. Four years of cases
ending on 14/06/2024: 6% refused or transferred, the rest answered (80% on time, 40% published,
20% rated, 3% with an apology letter) except the last ~40 days' intake and 0.3% stuck older cases.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

END = datetime(2024, 6, 14, 10, 0, tzinfo=timezone.utc)
SPAN_DAYS = 4 * 365
BATCH = 20_000


def fill(n: int, seed: int = 1) -> None:
    """Insert ``n`` cases (and their letters and ratings) with executemany in batches."""
    from sqlalchemy import func, insert, select

    from feedback_app.demo import seed as seed_demo
    from feedback_app.extensions import db
    from feedback_app.models import ApologyLetter, Feedback, Rating, Unit

    if not db.session.execute(select(func.count()).select_from(Unit)).scalar():
        seed_demo(0, "bench-pass", progress=lambda *_: None)
    have = db.session.execute(select(func.count()).select_from(Feedback)).scalar()
    if have >= n:
        print(f"reusing {have:,} cases")
        return
    rng = random.Random(seed)
    units = db.session.execute(select(Unit.id).where(Unit.is_office.is_(False))).scalars().all()
    office = db.session.execute(select(Unit.id).where(Unit.is_office)).scalar()
    started = time.perf_counter()
    letter_no = 0
    for lo in range(have, n, BATCH):
        cases, letters, ratings = [], [], []
        for i in range(lo, min(n, lo + BATCH)):
            received = END - timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            age = (END - received).days
            row = dict(id=i + 1, code=f"PAKN.B.{i + 1:07d}", submitter_name="Người gửi", address="Quảng Ngãi",
                       title="Phản ánh", content="Nội dung phản ánh về thủ tục hành chính.",
                       channel=rng.choice(("web", "web", "api", "email", "post", "phone")), language="vi",
                       consent_publish=True, received_at=received, version=1, paused_days=0, extension_count=0,
                       created_at=received, updated_at=received, unit_id=rng.choice(units), state="forwarded",
                       due_step="answer", due_date=(received + timedelta(days=28)).date(), closed_at=None,
                       answered_at=None, answered_on_time=None, answered_due_date=None, published_at=None)
            roll = rng.random()
            if roll < 0.06:
                row.update(state=rng.choice(("refused", "transferred")), unit_id=office, due_step=None,
                           due_date=None, closed_at=received + timedelta(days=rng.randint(1, 7)))
            elif age > 40 and roll > 0.003:
                answered = received + timedelta(days=rng.randint(3, 35), hours=rng.randint(0, 8))
                published = rng.random() < 0.4
                row.update(state="published" if published else "answered", due_step=None, due_date=None,
                           answered_at=answered, answered_due_date=row["due_date"],
                           answered_on_time=answered.date() <= row["due_date"],
                           published_at=answered + timedelta(days=2) if published else None)
                if rng.random() < 0.2:
                    ratings.append(dict(feedback_id=i + 1, score=rng.choice((1, 2, 3, 3)),
                                        created_at=answered + timedelta(days=3)))
                if rng.random() < 0.03:
                    letter_no += 1
                    issued = row["answered_due_date"] - timedelta(days=1)
                    letters.append(dict(feedback_id=i + 1, year=issued.year, number=letter_no, step="answer",
                                        issued_on=issued, missed_due_date=row["answered_due_date"],
                                        new_due_date=row["answered_due_date"] + timedelta(days=7),
                                        reason="Cần thêm thời gian", signer_title="GIÁM ĐỐC", automatic=True,
                                        created_at=received))
            cases.append(row)
        db.session.execute(insert(Feedback.__table__), cases)
        if letters:
            db.session.execute(insert(ApologyLetter.__table__), letters)
        if ratings:
            db.session.execute(insert(Rating.__table__), ratings)
        db.session.commit()
        print(f"\r{lo + len(cases):,} cases ({time.perf_counter() - started:.0f} s)", end="", flush=True)
    print()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL (sqlite:///… or postgresql+psycopg://…)")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--period", default="2024-Q2")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("SCHEDULER_IN_APP", "false")
    from flask_migrate import upgrade

    from feedback_app import create_app
    from feedback_app.extensions import db
    from feedback_app.reports.periods import parse_period
    from feedback_app.reports.queries import build_report

    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.url)
    with app.app_context():
        upgrade()
        fill(args.cases)
        period = parse_period(args.period)
        times = []
        for _ in range(args.runs):
            db.session.expire_all()
            t0 = time.perf_counter()
            report = build_report(period)
            times.append(time.perf_counter() - t0)
        total = report.total.values
        print(f"{db.engine.dialect.name}: quarterly report {period.label} over {args.cases:,} cases: "
              f"best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
              f"(target < 1000 ms); to_handle {total['to_handle']:,}, received {total['received']:,}, "
              f"answered {total['answered']:,}, pending {total['pending']:,}")


if __name__ == "__main__":
    main()
