"""One deadline sweep over many stored cases, on SQLite or PostgreSQL.

    python bench/sweep.py --url sqlite:////tmp/pakn-bench.sqlite3            # 1,000,000 cases, 10,000 newly overdue
    python bench/sweep.py --url postgresql+psycopg://pakn@127.0.0.1:5432/bench --n 1000000 --overdue 10000

Fills the database (``bench/generate.py``; ``--reuse`` keeps an already filled one), then sweeps as of
five minutes after the newly overdue cases' due date: each gets its overdue mark, its automatic apology
letter (no PDF: PDFs are rendered when asked for) and its outbox row. Prints the time to find the due
cases (the queries through ``ix_feedback_due``), the whole sweep, cases per second, and the query plan.
Targets: < 2 s to find them, < 60 s for all the letters. A second sweep must find nothing more.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import BENCH_NOW, _app, fill  # noqa: E402


def explain(db, today) -> str:
    from sqlalchemy import or_, select

    from feedback_app.models import Feedback
    from feedback_app.services.sweep import SWEPT_STATES
    query = (select(Feedback.id).where(Feedback.due_date < today, Feedback.state.in_(SWEPT_STATES),
                                       or_(Feedback.overdue_since.is_(None), Feedback.overdue_since != Feedback.due_date))
             .order_by(Feedback.due_date, Feedback.id))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(db.text(prefix + sql)).all()
    return "\n".join("    " + " ".join(str(c) for c in row) for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="do not refill: the database was filled before")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from feedback_app.extensions import db
    from feedback_app.models import ApologyLetter, Feedback
    from feedback_app.services.sweep import sweep
    from workflows.clock import CLOCK

    backend = args.url.split(":", 1)[0]
    if not args.reuse:
        started = time.perf_counter()
        fill(args.url, args.n, newly_overdue=args.overdue, progress=print)
        print(f"filled in {time.perf_counter() - started:.1f} s")
    app = _app(args.url)
    with app.app_context():
        CLOCK.set(BENCH_NOW)
        stored = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
        print(f"\n{backend}: {stored:,} stored cases; sweep as of {BENCH_NOW.isoformat()}")
        print("  plan of the query that finds them:\n" + explain(db, BENCH_NOW.date()))
        result = sweep(BENCH_NOW)
        letters = db.session.execute(select(func.count()).select_from(ApologyLetter)).scalar_one()
        print(f"  sweep: {result.summary()}")
        print(f"  finding the due cases: {result.find_seconds:.3f} s   (target < 2 s); "
              f"claiming them batch by batch: {result.claim_seconds:.3f} s")
        print(f"  whole sweep: {result.seconds:.2f} s for {result.letters:,} letters   (target < 60 s)")
        print(f"  {result.overdue / result.seconds:,.0f} overdue cases/s; {stored / result.seconds:,.0f} stored cases/s")
        again = sweep(BENCH_NOW)
        print(f"  second sweep: {again.summary()}")
        ok = (result.letters == args.overdue == letters and again.letters == 0 and result.find_seconds < 2
              and result.seconds < 60)
        print("  OK" if ok else "  NOT MET")
        CLOCK.set(None)


if __name__ == "__main__":
    main()
