"""Staff look a case up (the box *Tìm hồ sơ* on HCTH's queue and on the unit's workspace, ``?q=``) by what
a citizen on the phone can tell: the tracking code or a part of it, the phone number, the e-mail address,
the name, or words of the title or content. HCTH and the leader search every case, a unit only its own,
open or closed (``staff.case_query``, the rule of ``serialize.staff_may_see``): another unit's case is
never listed.

What an index serves is looked for among all the cases: a whole code (the unique index on
``feedback.code``), a part of a code that carries its day ("20240304.0012": that day's cases through
ix_feedback_received_at), a phone number or an e-mail address (ix_feedback_phone, ix_feedback_email,
migration 0030). A name and words are matched on text folded in Python (``text.fold_ascii``: with or
without diacritics, in any case), which no index serves: the full-text index of search_index.py holds
only the published cases' public copy, masked and without the sender's name. They are looked for among
the cases received since the department's ``SCAN_WINDOW``-th newest one (the same days for every user: a
unit reads its own among them), read once, newest first, and the page names that day."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, false, select

from workflows.clock import CLOCK
from workflows.lifecycle import N_, UNSAFE_CHARS, UNSAFE_TEXT

from ..extensions import db
from ..models import Feedback
from ..reports.periods import Period
from ..text import MAX_TERMS, fold_ascii
from .cases import TRACKING_CODE, normalise_code
from .staff import StaffInputError, case_query, paginate
from .submissions import stored_phones

MAX_QUERY_LENGTH = 200
TOO_LONG = N_("Nội dung tìm kiếm dài quá %(n)s ký tự; vui lòng nhập ngắn hơn, ví dụ mã hồ sơ "
              "hoặc họ tên.")
# Names and words: how many of the newest cases a search reads. Folding their name, title and content
# in Python costs about 8 µs a row of 250 characters, some 30 µs a kilobyte: 0.2-0.3 s a search at
# a million cases (docs/performance.md), and more with longer texts. A department receiving a few
# thousand cases a year has years of them in it.
SCAN_WINDOW = 10_000
# A common word stops the reading here: the page says "more than", as the published search does.
FOUND_CAP = 500
NEWEST = (Feedback.received_at.desc(), Feedback.id.desc())

# A part of a tracking code as typed: "PAKN.2024", "20240304-0012", ".0012" (capitals, no spaces, dots)
_CODE_PART = re.compile(r"(?:PAKN)?[.\d]*")


@dataclass(frozen=True)
class Found:
    """A page of the cases found, newest first (``page.total``, and ``page.more`` when there were more
    than ``FOUND_CAP``); ``exact``: the query was a whole tracking code, whose one case opens at once;
    ``since``: the name and words were looked for among the cases received since then, not the older ones."""
    page: Pagination
    exact: bool = False
    since: datetime | None = None


def search(user, q: str, page: int, per_page: int | None = None) -> Found:
    """The cases ``user`` may see that match ``q`` (stripped, not empty). Raises ``StaffInputError`` for a
    query longer than ``MAX_QUERY_LENGTH`` or with characters nobody types."""
    if len(q) > MAX_QUERY_LENGTH:
        raise StaffInputError(TOO_LONG, "q")
    if UNSAFE_CHARS.search(q):
        raise StaffInputError(UNSAFE_TEXT, "q")
    visible = case_query(user)
    if TRACKING_CODE.fullmatch(code := normalise_code(q)):
        return Found(_listed(visible.where(Feedback.code == code), page, per_page), exact=True)
    if "@" in q:  # stored in small letters (cases.Submission.as_stored)
        return Found(_listed(visible.where(Feedback.email == q.lower()), page, per_page))
    part = "".join(q.split()).upper().replace("-", ".")
    part = part if _CODE_PART.fullmatch(part) else None
    if part and (day := _day_in(part)) is not None:
        that_day = Period(day, day)  # the code's day is the day of receipt (cases.receive)
        return Found(_listed(visible.where(
            Feedback.received_at >= that_day.start_utc(), Feedback.received_at < that_day.end_utc_exclusive(),
            Feedback.code.contains(part, autoescape=True)), page, per_page))
    if phones := stored_phones(q):
        return Found(_listed(visible.where(Feedback.phone.in_(phones)), page, per_page))
    if part and (part.startswith("PAKN") or sum(c.isdigit() for c in part) >= 3):
        return _scanned(visible, (Feedback.code,), lambda row: part in row.code, page, per_page)
    # every word of the query, anywhere in the sender's name, the title or the content
    patterns = [_word(token) for token in list(dict.fromkeys(fold_ascii(q).split()))[:MAX_TERMS]]
    if not patterns:  # only characters that fold to nothing ("“”", "–"): nothing to look for
        return Found(_listed(visible.where(false()), page, per_page))

    def has_every_word(row) -> bool:
        text = fold_ascii(f"{row.submitter_name}\n{row.title}\n{row.content}")
        return all(p.search(text) for p in patterns)
    return _scanned(visible, (Feedback.submitter_name, Feedback.title, Feedback.content), has_every_word,
                    page, per_page)


def _day_in(part: str) -> date | None:
    """The day of receipt a part of a code names: a run of exactly eight digits that is a date no later
    than today (a landline's eight digits after its area code, "024-38221215", are no day: 15/12/3822)."""
    for run in re.findall(r"\d+", part):
        if len(run) == 8:
            try:
                day = date(int(run[:4]), int(run[4:6]), int(run[6:]))
            except ValueError:
                continue
            if date(2000, 1, 1) <= day <= CLOCK.today():
                return day
    return None


def _word(token: str) -> re.Pattern:
    """A folded word of the query, found whole ("an" is not in "anh" or "toan"); its other characters
    literally ("50%" is "50%", "a_b" is "a_b": nothing typed acts as a wildcard)."""
    start = r"(?<![a-z0-9])" if token[0].isalnum() else ""
    end = r"(?![a-z0-9])" if token[-1].isalnum() else ""
    return re.compile(start + re.escape(token) + end)


def _listed(query: Select, page: int, per_page: int | None):
    """A page of what an index finds, counted exactly."""
    results = paginate(query.order_by(*NEWEST), page, per_page)
    results.more = False
    return results


def _scanned(visible: Select, columns, matches, page: int, per_page: int | None) -> Found:
    """The cases of ``visible`` received since the ``SCAN_WINDOW``-th newest case, read with ``columns``
    and kept when ``matches(row)``, newest first, up to ``FOUND_CAP`` of them; then the page of those."""
    # the day the window starts, read from ix_feedback_received_at alone; None when there are fewer cases
    since = db.session.execute(select(Feedback.received_at).order_by(Feedback.received_at.desc())
                               .offset(SCAN_WINDOW - 1).limit(1)).scalar()
    window = visible if since is None else visible.where(Feedback.received_at >= since)
    found = []
    rows = db.session.execute(window.with_only_columns(Feedback.id, *columns).order_by(*NEWEST)
                              .execution_options(yield_per=1000))
    try:
        for row in rows:
            if matches(row):
                found.append(row.id)
                if len(found) > FOUND_CAP:
                    break
    finally:
        rows.close()
    results = paginate(select(Feedback).where(Feedback.id.in_(found[:FOUND_CAP])).order_by(*NEWEST), page, per_page,
                       count=False)
    results.total, results.more = min(len(found), FOUND_CAP), len(found) > FOUND_CAP
    return Found(results, since=since)
