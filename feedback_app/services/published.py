"""The published answers (NĐ 20/2008/NĐ-CP Art 19; QĐ 31/2021/QĐ-TTg Art 46) as the public reads them:
only the stored public copy (redacted when it was published), searchable by whole words without diacritics."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import column, func, literal_column, select, table, text

from workflows.clock import CLOCK
from workflows.lifecycle import State

from .. import search_index
from ..extensions import db
from ..models import Category, Feedback, Unit
from ..reports.periods import Period, parse_period, recent as recent_periods
from ..text import search_terms
from .cases import TRACKING_CODE, normalise_code


# The result count stops here: counting every match of a common word at a million cases means reading
# every matching row (bench/lookup.py); the page then says "more than 1000 results" (50 pages).
COUNT_CAP = 1000
# Operators a user may type out of habit (FTS5's and search engines' AND, OR, NOT, NEAR): README says
# they only separate words, so they are no words to look for ("hoc OR phi" is "hoc phi"). In capitals
# as typed; "or" and "and" also in lower case, since no Vietnamese word folds to them; "not" and
# "near" in lower case stay words ("nốt" typed without diacritics is "not").
OPERATORS = re.compile(r"(?<![^\W_])(?:NOT|NEAR(?:/\d+)?|[Aa][Nn][Dd]|[Oo][Rr])(?![^\W_])")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    unit: str = ""
    category: str = ""
    period: Period | None = None


def parse_filters(args) -> tuple[Filters, str | None, ValueError | None]:
    """Filters from the query string; an unreadable period is dropped and reported (never a 500): as typed,
    and why (a ``RangeError`` says what is wrong with a range of days written right)."""
    period, problem, why = None, None, None
    raw = (args.get("period") or "").strip()
    if raw:
        try:
            period = parse_period(raw)
        except ValueError as error:
            problem, why = raw, error
    return Filters(q=(args.get("q") or "").strip()[:200], unit=(args.get("unit") or "").strip()[:32],
                   category=(args.get("category") or "").strip()[:32], period=period), problem, why


def query_terms(q: str) -> list[str]:
    """The words to look for in a search box's text: ``text.search_terms`` without the operators."""
    return search_terms(OPERATORS.sub(" ", q))


def without_words(q: str) -> bool:
    """A search box's text with nothing to look for (``%%%``, ``---``, ``""``, ``OR``): the search is
    then no search, and the page says why it lists everything."""
    return bool(q) and not TRACKING_CODE.fullmatch(normalise_code(q)) and not query_terms(q)


def search(filters: Filters, page: int, per_page: int):
    """A page of published cases, newest publication first, with the number of matches (counted up to
    ``COUNT_CAP``). With a query, every word of it (folded, ``query_terms``: operators such as OR only
    separate words) must be a word of the public text; a query without a word (punctuation, symbols,
    operators only: ``without_words``) is no query. Whole words through the database's full-text index
    (feedback_app/search_index.py): FTS5 on SQLite, a tsvector on PostgreSQL."""
    query = select(Feedback).where(Feedback.state == State.PUBLISHED.value, Feedback.published_seq.is_not(None))
    order, total = Feedback.published_seq.desc(), None
    if TRACKING_CODE.fullmatch(code := normalise_code(filters.q)):  # the unique index, not the word index
        query = query.where(Feedback.code == code)
    elif terms := query_terms(filters.q):
        only_words = not (filters.unit or filters.category or filters.period is not None)
        query, order, total = _matching(query, terms, only_words, max(page, 1) * per_page)
    if filters.unit:
        query = query.join(Unit, Feedback.unit_id == Unit.id).where(Unit.code == filters.unit)
    if filters.category:
        query = query.join(Category, Feedback.category_id == Category.id).where(Category.code == filters.category)
    if filters.period is not None:
        query = query.where(Feedback.published_at >= filters.period.start_utc(),
                            Feedback.published_at < filters.period.end_utc_exclusive())
    if total is None:
        total = _count(query.with_only_columns(Feedback.id))
    # NULLs never reach the order (``published_seq IS NOT NULL`` above): PostgreSQL, which sorts them
    # first when descending, walks ix_feedback_published_seq from the newest instead of past every NULL
    results = db.paginate(query.order_by(order), page=max(page, 1), per_page=per_page, error_out=False,
                          count=False)
    results.total, results.more = min(total, COUNT_CAP), total > COUNT_CAP
    return results


# feedback_app/search_index.py: rowid on SQLite (FTS5); seq and document on PostgreSQL
_FTS = table(search_index.FTS_TABLE, column("rowid"), column("seq"), column("document"))
# PostgreSQL: the newest publications read one by one before the GIN index is asked (see _words_on_postgresql)
NEWEST_WINDOW = 10_000


def _matching(query, terms: list[str], only_words: bool, first_rows: int):
    """``query`` narrowed to the cases whose public text has every word of ``terms``; the order that
    lets the database stop after the first page; and, when the index alone could count the matches,
    their number up to ``COUNT_CAP + 1`` (else None). ``first_rows``: how many matches the page needs.

    The terms are letters and digits only (``text.search_terms``) and go as bound parameters: nothing
    typed reaches the full-text query language as an operator."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _words_on_postgresql(query, terms, only_words, first_rows)
    # FTS5: each term a quoted string ("…" AND "…"). The FTS table drives the join and hands back its
    # rowids (= published_seq) newest first, so a common word stops after the first page; it holds the
    # published cases only (a publication is final), so it counts them alone, without reading feedback.
    matches = literal_column(search_index.FTS_TABLE).op("MATCH")(" AND ".join(f'"{t}"' for t in terms))
    query = query.join(_FTS, _FTS.c.rowid == Feedback.published_seq).where(matches)
    return query, _FTS.c.rowid.desc(), (_count(select(_FTS.c.rowid).where(matches)) if only_words else None)


def _words_on_postgresql(query, terms: list[str], only_words: bool, first_rows: int):
    """PostgreSQL: the planner guesses how many cases hold all the words by multiplying each word's
    frequency, far too low for words that go together ("thoi han giai quyet": guessed 300, 150,000 at a
    million cases), and then sorts 150,000 GIN matches for 20 of them (1.2 s). So the order of work is
    decided here, from what is found:

    1. the newest ``NEWEST_WINDOW`` publications, newest first, from the narrow ``published_search``
       table through its primary key (a quarter of a microsecond each), up to ``COUNT_CAP + 1``
       matches: a common word stops early, and the count is "more than COUNT_CAP";
    2. otherwise the GIN index, up to ``COUNT_CAP + 1`` matches in any order: fewer means every
       match, the exact count and the page from them;
    3. the page from step 1 when it holds enough matches, else (a late page of a word that is neither
       common nor rare) every match through the GIN index, sorted.
    """
    words_query = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(terms))
    everywhere = select(_FTS.c.seq).where(_FTS.c.document.op("@@")(words_query))
    if not only_words:  # with other filters: one query, the planner's choice
        return query.where(Feedback.published_seq.in_(everywhere)), Feedback.published_seq.desc(), None
    # The table's statistics say how common the most common words are: when one of the words is too
    # rare for more than COUNT_CAP matches, the GIN index alone finds them all (step 1 is skipped)
    frequency = _word_frequencies()
    published_now = db.session.execute(select(func.max(_FTS.c.seq))).scalar() or 0
    newest: list[int] = []
    if min(frequency.get(t, 0.0) for t in terms) * published_now > COUNT_CAP:
        # ts_match_vq is the function behind @@: the GIN index cannot serve it, so the newest rows
        # are read in order through the primary key
        newest = db.session.execute(select(_FTS.c.seq).where(
            _FTS.c.seq > published_now - NEWEST_WINDOW, func.ts_match_vq(_FTS.c.document, words_query))
            .order_by(_FTS.c.seq.desc()).limit(COUNT_CAP + 1)).scalars().all()
    total, every_match = len(newest), False
    if total <= COUNT_CAP:
        anywhere = db.session.execute(everywhere.limit(COUNT_CAP + 1)).scalars().all()
        total = len(anywhere)
        if total <= COUNT_CAP:  # every match: the newest of them are the page's
            newest, every_match = sorted(anywhere, reverse=True), True
    if len(newest) >= first_rows or every_match:
        return query.where(Feedback.published_seq.in_(newest[:first_rows])), Feedback.published_seq.desc(), total
    matching = everywhere.cte("matching").prefix_with("MATERIALIZED")  # read once, then sorted
    return query.join(matching, matching.c.seq == Feedback.published_seq), matching.c.seq.desc(), total


_FREQUENCIES: dict[str, float] = {}
_FREQUENCIES_READ = [float("-inf")]
FREQUENCIES_SECONDS = 600


def _word_frequencies() -> dict[str, float]:
    """PostgreSQL: the share of published cases that hold each of the most common words, from the
    statistics ANALYZE keeps on ``published_search.document`` (re-read every ten minutes); a word
    missing here is rarer than any of them."""
    if time.monotonic() - _FREQUENCIES_READ[0] > FREQUENCIES_SECONDS:
        row = db.session.execute(text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = :table AND attname = 'document'"), {"table": search_index.FTS_TABLE}).first()
        _FREQUENCIES.clear()
        if row and row[0] and row[1]:
            _FREQUENCIES.update(zip(row[0], row[1]))
        _FREQUENCIES_READ[0] = time.monotonic()
    return _FREQUENCIES


def _count(query) -> int:
    """The number of rows of ``query``, counted up to ``COUNT_CAP + 1``."""
    capped = query.limit(COUNT_CAP + 1).subquery()
    return db.session.execute(select(func.count()).select_from(capped)).scalar_one()


def published(code: str) -> Feedback | None:
    return db.session.execute(select(Feedback).where(Feedback.code == normalise_code(code),
                                                     Feedback.state == State.PUBLISHED.value)).scalar_one_or_none()


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The filters of the published search: the units in use and a stopped one with published answers (they
    stay listed), every category (one switched off keeps its published answers), and the recent reporting
    periods."""
    has_published = (select(Feedback.id).where(Feedback.state == State.PUBLISHED.value,  # ix_feedback_state_unit
                                                Feedback.unit_id == Unit.id).exists())
    units = db.session.execute(select(Unit.code, Unit.name).where(Unit.active | has_published, ~Unit.is_office)
                               .order_by(Unit.name)).all()
    categories = db.session.execute(select(Category.code, Category.name).order_by(Category.name)).all()
    return {"units": [tuple(u) for u in units], "categories": [tuple(c) for c in categories],
            "periods": [(p.label, p) for p in recent_periods(CLOCK.today())]}
