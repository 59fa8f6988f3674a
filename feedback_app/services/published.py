"""The published answers (NĐ 20/2008/NĐ-CP Art 19; QĐ 31/2021/QĐ-TTg Art 46) as the public reads them:
only the stored public copy (redacted when it was published), searchable without diacritics."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from workflows.clock import CLOCK
from workflows.lifecycle import State

from ..extensions import db
from ..models import Category, Feedback, Unit
from ..reports.periods import Period, parse_period, quarter_of, year_of
from ..text import like_pattern, search_terms


# The result count stops here: counting every match of a common word at a million cases means reading
# every matching row (bench/lookup.py); the page then says "more than 1000 results" (50 pages).
COUNT_CAP = 1000
TRACKING_CODE = re.compile(r"PAKN\.\d{8}\.\d{4,}", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    q: str = ""
    unit: str = ""
    category: str = ""
    period: Period | None = None


def parse_filters(args) -> tuple[Filters, str | None]:
    """Filters from the query string; an unreadable period is dropped and reported (never a 500)."""
    period, problem = None, None
    raw = (args.get("period") or "").strip()
    if raw:
        try:
            period = parse_period(raw)
        except ValueError:
            problem = raw
    return Filters(q=(args.get("q") or "").strip()[:200], unit=(args.get("unit") or "").strip()[:32],
                   category=(args.get("category") or "").strip()[:32], period=period), problem


def search(filters: Filters, page: int, per_page: int):
    """A page of published cases, newest first: every folded query term must occur in the folded
    public text (``Feedback.search_text``), which works alike on SQLite and PostgreSQL."""
    query = select(Feedback).where(Feedback.state == State.PUBLISHED.value)
    if TRACKING_CODE.fullmatch(filters.q):  # a tracking code: the unique index, not a scan of every text
        query = query.where(Feedback.code == filters.q.upper())
    else:
        for term in search_terms(filters.q):
            query = query.where(Feedback.search_text.like(like_pattern(term), escape="\\"))
    if filters.unit:
        query = query.join(Unit, Feedback.unit_id == Unit.id).where(Unit.code == filters.unit)
    if filters.category:
        query = query.join(Category, Feedback.category_id == Category.id).where(Category.code == filters.category)
    if filters.period is not None:
        query = query.where(Feedback.published_at >= filters.period.start_utc(),
                            Feedback.published_at < filters.period.end_utc_exclusive())
    capped = query.with_only_columns(Feedback.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.execute(select(func.count()).select_from(capped)).scalar_one()
    # published_at is never NULL here; saying so lets PostgreSQL, which sorts NULLs first in a
    # descending order, walk ix_feedback_published_at from the newest instead of past every NULL
    query = query.where(Feedback.published_at.is_not(None)).order_by(Feedback.published_at.desc(), Feedback.id.desc())
    results = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=False)
    results.total, results.more = min(total, COUNT_CAP), total > COUNT_CAP
    return results


def published(code: str) -> Feedback | None:
    return db.session.execute(select(Feedback).where(Feedback.code == (code or "").strip().upper(),
                                                     Feedback.state == State.PUBLISHED.value)).scalar_one_or_none()


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Units and categories that have published answers, and the recent reporting periods."""
    units = db.session.execute(select(Unit.code, Unit.name).where(Unit.active, ~Unit.is_office)
                               .order_by(Unit.name)).all()
    categories = db.session.execute(select(Category.code, Category.name).order_by(Category.name)).all()
    this_year = year_of(CLOCK.today())
    periods: list[Period] = []
    for y in (int(this_year.label), int(this_year.label) - 1):
        periods.append(parse_period(str(y)))
        periods += [parse_period(f"{y}-Q{q}") for q in (4, 3, 2, 1)
                    if parse_period(f"{y}-Q{q}").start <= quarter_of(CLOCK.today()).start]
    return {"units": [tuple(u) for u in units], "categories": [tuple(c) for c in categories],
            "periods": [(p.label, p) for p in periods]}
