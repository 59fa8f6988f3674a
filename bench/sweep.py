"""One deadline sweep over many stored cases, on SQLite or PostgreSQL.

    python bench/sweep.py [--json] --url sqlite:////tmp/pakn-bench.sqlite3 --n 1000000   # 10,000 newly overdue
    python bench/sweep.py --url postgresql+psycopg://pakn@127.0.0.1:5432/bench --n 1000000 --overdue 10000

Fills the database (``bench/generate.py``; ``--reuse`` keeps an already filled one), then sweeps as of
five minutes after the newly overdue cases' due date: each gets its overdue mark, its automatic apology
letter (no PDF: PDFs are rendered when asked for) and its outbox row. Prints the time to find the due
cases (the queries through ``ix_feedback_due``), the whole sweep, cases per second, and the query plan.
Targets: < 2 s to find them, < 60 s for all the letters. A second sweep must find nothing more.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import arguments, database_label, figure, log  # noqa: E402
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


def main() -> int:
    args = arguments(__doc__.split("\n\n")[0], 20_000, overdue=0, reuse=False)
    overdue = args.overdue or max(10, args.n // 100)  # 10,000 at 1,000,000

    from sqlalchemy import func, select

    from feedback_app.extensions import db
    from feedback_app.models import ApologyLetter, Feedback
    from feedback_app.services.sweep import sweep
    from workflows.clock import CLOCK

    fill_seconds = None
    if not args.reuse:
        started = time.perf_counter()
        fill(args.database, args.n, newly_overdue=overdue, progress=log)
        fill_seconds = time.perf_counter() - started
        log(f"filled in {fill_seconds:.1f} s")
    app = _app(args.database)
    with app.app_context():
        database = database_label(db.engine)
        CLOCK.set(BENCH_NOW)
        stored = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
        log(f"\n{database}: {stored:,} stored cases; sweep as of {BENCH_NOW.isoformat()}")
        log("  plan of the query that finds them:\n" + explain(db, BENCH_NOW.date()))
        # the generator stores the letters of cases extended before: only the sweep's are counted
        before = db.session.execute(select(func.count()).select_from(ApologyLetter)).scalar_one()
        result = sweep(BENCH_NOW)
        letters = db.session.execute(select(func.count()).select_from(ApologyLetter)).scalar_one() - before
        log(f"  sweep: {result.summary()}")
        again = sweep(BENCH_NOW)
        log(f"  second sweep: {again.summary()}")
        CLOCK.set(None)
        if not (result.letters == overdue == letters and again.letters == 0):
            log(f"  NOT MET: {result.letters} letters for {overdue} newly overdue cases, {again.letters} more after")
            return 1
    if fill_seconds is not None:
        figure(args.json, "fill the database (bench/generate.py)", round(fill_seconds, 1), "s", stored, database,
               rate_per_second=round(args.n / fill_seconds))
    figure(args.json, "sweep: find the newly overdue cases", round(result.find_seconds, 3), "s", stored, database,
           target=2, overdue=overdue)
    figure(args.json, "sweep: whole, with every apology letter", round(result.seconds, 2), "s", stored, database,
           target=60, letters=result.letters)
    figure(args.json, "sweep: overdue cases per second", round(result.overdue / result.seconds), "cases/s", stored,
           database)
    figure(args.json, "sweep: second sweep finds nothing", round(again.seconds, 3), "s", stored, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
