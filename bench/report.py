"""The quarterly report over the stored cases (1,000,000 in the target run); target under 1 s.

    python bench/report.py [--json] [--database URL] [--n 1000000] [--period 2024-Q2] [--runs 5]

The database is filled by bench/generate.py (migrated, so the report indexes of 0005 are there: four
years of cases ending in June 2025, with answered due dates, closing dates, ratings and, after
bench/sweep.py, apology letters); a database that already holds N cases is reused, which is what
``make bench`` does after the sweep benchmark filled it.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import arguments, database_label, figure, log  # noqa: E402
from generate import _app, ensure_filled  # noqa: E402


def main() -> int:
    args = arguments(__doc__.splitlines()[0], 20_000, period="2024-Q2", runs=5)
    ensure_filled(args.database, args.n, progress=log)

    from sqlalchemy import func, select

    from feedback_app.extensions import db
    from feedback_app.models import Feedback
    from feedback_app.reports.periods import parse_period
    from feedback_app.reports.queries import build_report

    app = _app(args.database)
    with app.app_context():
        database = database_label(db.engine)
        stored = db.session.execute(select(func.count()).select_from(Feedback)).scalar_one()
        period = parse_period(args.period)
        times = []
        for _ in range(args.runs):
            db.session.expire_all()
            started = time.perf_counter()
            report = build_report(period)
            times.append((time.perf_counter() - started) * 1000)
        total = report.total.values
        log(f"{database}: quarterly report {period.label} over {stored:,} cases: to_handle {total['to_handle']:,}, "
            f"received {total['received']:,}, answered {total['answered']:,}, pending {total['pending']:,}")
    for name, value in (("best", min(times)), ("median", statistics.median(times))):
        figure(args.json, f"quarterly report {period.label}, {name} of {args.runs}", round(value, 1), "ms", stored,
               database, target=1000, received=total["received"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
