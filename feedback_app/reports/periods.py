"""Reporting periods of the department's 2024 plan (chapter III.1).

The plan does not use calendar quarters: a quarter runs from the 15th of the month before the
quarter to the 14th of the quarter's last month, and a reporting year from 15/12 of the year
before to 14/12::

    Q1 2024 = 15/12/2023 – 14/03/2024      Q3 2024 = 15/06/2024 – 14/09/2024
    Q2 2024 = 15/03/2024 – 14/06/2024      Q4 2024 = 15/09/2024 – 14/12/2024
    2024    = 15/12/2023 – 14/12/2024
    2024-H1 = 15/12/2023 – 14/06/2024      2024-H2 = 15/06/2024 – 14/12/2024

The half-years follow the same rule (NĐ 09/2019/NĐ-CP Art 12.1: "báo cáo định kỳ 6 tháng: tính từ
ngày 15 của tháng 12 năm trước kỳ báo cáo đến ngày 14 của tháng 6"; the 6-monthly report of NĐ
63/2010 Art 35, which includes PAKN, and the plan's item 32 "định kỳ 6 tháng và cuối năm").

Units send their report to HCTH "chậm nhất vào ngày 15 của tháng cuối quý", i.e. the day after
the period ends (``report_due_date``).

Dates here are Vietnamese local calendar dates; ``Period.start_utc()`` and
``Period.end_utc_exclusive()`` turn them into UTC instants for range filters on the UTC
timestamps the database stores. Pure Python: no Flask, no database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workflows.clock import LOCAL_TZ, utc_instant
from workflows.lifecycle import N_

PERIOD_NAMES = {"Q": N_("quý %(n)s năm %(y)s"), "H1": N_("6 tháng đầu năm %(y)s"), "H2": N_("6 tháng cuối năm %(y)s"),
                "Y": N_("năm %(y)s")}
RANGE_NAME = N_("từ ngày %(start)s đến ngày %(end)s")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

__all__ = [
    "LOCAL_TZ",
    "MAX_CUSTOM_YEARS",
    "between",
    "Period",
    "PeriodError",
    "RangeError",
    "RangeReversed",
    "RangeTooLong",
    "custom",
    "half",
    "half_of",
    "parse_period",
    "quarter",
    "quarter_of",
    "recent",
    "report_due_date",
    "year",
    "year_of",
]

MAX_CUSTOM_YEARS = 5
START_DAY = 15  # a period starts on the 15th ...
END_DAY = 14  # ... and ends on the 14th
_MIN_YEAR = 2  # quarter 1 of year y starts in year y - 1, which must exist
_MAX_YEAR = 9999


class PeriodError(ValueError):
    """A reporting period that cannot be built (bad quarter, bad date, reversed range...)."""


class RangeError(PeriodError):
    """A range of days in the right format that gives no report: what is wrong with it, for a page and the
    CLI (the base class's message is English, for logs). ``message`` is a msgid, ``params`` its values."""

    message = ""

    def __init__(self, start: date, end: date, detail: str):
        self.params = {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}", "years": MAX_CUSTOM_YEARS,
                       "last": f"{_add_years(start, MAX_CUSTOM_YEARS) - timedelta(days=1):%d/%m/%Y}"
                       if start.year + MAX_CUSTOM_YEARS <= _MAX_YEAR else ""}
        super().__init__(detail)

    def text(self, translate=lambda text: text) -> str:
        """The message in the page's language (``translate``: gettext); Vietnamese without it."""
        return translate(self.message) % self.params


class RangeReversed(RangeError):
    message = N_("Ngày bắt đầu sau ngày kết thúc (%(start)s sau %(end)s): nhập ngày bắt đầu trước, "
                 "ví dụ 2024-01-01..2024-03-31.")


class RangeTooLong(RangeError):
    message = N_("Khoảng thời gian dài quá %(years)d năm (từ ngày %(start)s đến ngày %(end)s): chọn ngày kết thúc "
                 "muộn nhất là %(last)s, hoặc lập báo cáo theo từng năm.")


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.date()
    if isinstance(value, date):
        return value
    raise PeriodError(f"{what} must be a date, got {type(value).__name__}")


@dataclass(frozen=True)
class Period:
    """A reporting period: ``start`` and ``end`` are local dates, both inclusive."""

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        start = _as_date(self.start, "start")
        end = _as_date(self.end, "end")
        if end < start:
            raise PeriodError(f"period start {start.isoformat()} is after its end {end.isoformat()}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        # its bounds filter UTC timestamps: refused here if they cannot be computed, not in a query
        self.start_utc()
        self.end_utc_exclusive()
        if not self.label:
            object.__setattr__(self, "label", f"{start.isoformat()}..{end.isoformat()}")

    def __str__(self) -> str:
        return self.label

    @property
    def named(self) -> tuple[int, str, int | None] | None:
        """What its label names, for the words a page or a report gives it: (year, "Q", quarter), (year,
        "H", half), (year, "Y", None); None for a range of days."""
        if m := _QUARTER_RE.fullmatch(self.label):
            return int(m[1]), "Q", int(m[2])
        if m := _HALF_RE.fullmatch(self.label):
            return int(m[1]), "H", int(m[2])
        if _YEAR_RE.fullmatch(self.label):
            return int(self.label), "Y", None
        return None

    def title(self, translate=lambda text: text) -> str:
        """The period as the department names it ("quý II năm 2024", "năm 2024"), through ``translate``
        (gettext) on a page; a range of days by its days."""
        named = self.named
        if named is None:
            return translate(RANGE_NAME) % {"start": f"{self.start:%d/%m/%Y}", "end": f"{self.end:%d/%m/%Y}"}
        year, kind, number = named
        return translate(PERIOD_NAMES[f"H{number}" if kind == "H" else kind]) % {"n": ROMAN.get(number), "y": year}

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        """Whether the local date ``d`` falls in the period.

        A datetime is accepted too: an aware one is first converted to Vietnamese local time.
        """
        return self.start <= _as_date(d, "d") <= self.end

    def start_utc(self) -> datetime:
        """Local midnight at the start of the period, as an aware UTC datetime (inclusive)."""
        return _local_midnight_utc(self.start)

    def end_utc_exclusive(self) -> datetime:
        """Local midnight after the last day of the period, as an aware UTC datetime (exclusive).

        Filter with ``start_utc() <= ts < end_utc_exclusive()``.
        """
        if self.end == date.max:
            raise PeriodError(f"period end {self.end.isoformat()} has no day after it")
        return _local_midnight_utc(self.end + timedelta(days=1))

    def has_begun(self, now: datetime) -> bool:
        """Whether its first day has come (local time) at ``now``: before it, the period has no figures."""
        return now >= self.start_utc()

    def has_ended(self, now: datetime) -> bool:
        """Whether its last day is over (local time) at ``now``: its figures no longer move by new days."""
        return now >= self.end_utc_exclusive()

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label}


def _local_midnight_utc(d: date) -> datetime:
    try:
        return utc_instant(datetime.combine(d, time(0)))
    except ValueError as exc:  # 0001-01-01 begins in year 0 in UTC
        raise PeriodError(f"period bound {d.isoformat()}: {exc}") from None


def _check_year(y: object) -> int:
    if isinstance(y, bool) or not isinstance(y, int):
        raise PeriodError(f"year must be an integer, got {y!r}")
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise PeriodError(f"year must be between {_MIN_YEAR} and {_MAX_YEAR}, got {y}")
    return y


def quarter(y: int, q: int) -> Period:
    """Reporting quarter ``q`` (1..4) of year ``y``, labelled "2024-Q1"."""
    y = _check_year(y)
    if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 4:
        raise PeriodError(f"quarter must be 1, 2, 3 or 4, got {q!r}")
    start = date(y - 1, 12, START_DAY) if q == 1 else date(y, 3 * (q - 1), START_DAY)
    end = date(y, 3 * q, END_DAY)
    return Period(start, end, f"{y}-Q{q}")


def half(y: int, h: int) -> Period:
    """Reporting half-year ``h`` (1, 2) of year ``y``, labelled "2024-H1": quarters 1–2 or 3–4."""
    if isinstance(h, bool) or not isinstance(h, int) or h not in (1, 2):
        raise PeriodError(f"half-year must be 1 or 2, got {h!r}")
    first, last = quarter(y, 2 * h - 1), quarter(y, 2 * h)
    return Period(first.start, last.end, f"{y}-H{h}")


def year(y: int) -> Period:
    """Reporting year ``y``: 15/12 of ``y - 1`` to 14/12 of ``y``, labelled "2024"."""
    y = _check_year(y)
    return Period(date(y - 1, 12, START_DAY), date(y, 12, END_DAY), str(y))


def _add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February -> 1 March
        return d.replace(year=d.year + n, month=3, day=1)


def custom(start: date, end: date) -> Period:
    """Any range of whole days, both inclusive, of at most five years.

    Labelled "2024-01-01..2024-02-29".
    """
    start = _as_date(start, "start")
    end = _as_date(end, "end")
    if end < start:
        raise RangeReversed(start, end, f"'from' date {start.isoformat()} is after 'to' date {end.isoformat()}")
    if start.year + MAX_CUSTOM_YEARS <= _MAX_YEAR and end >= _add_years(start, MAX_CUSTOM_YEARS):
        raise RangeTooLong(start, end, f"a custom period may span at most {MAX_CUSTOM_YEARS} years "
                                       f"({start.isoformat()}..{end.isoformat()} is longer)")
    return Period(start, end)


def between(start: date, end: date) -> Period:
    """The days from ``start`` to ``end`` (both inclusive), named as the quarter or the year they are
    when they are one ("2024-Q2"), else as a range; no limit of length (``custom`` has one)."""
    try:
        named = [p for p in (quarter_of(start), half_of(start), year_of(start)) if (p.start, p.end) == (start, end)]
    except PeriodError:  # a day in year 1 or 9999, whose quarter or year cannot be built
        named = []
    return named[0] if named else Period(start, end)


def year_of(d: date) -> Period:
    """The reporting year containing the local date ``d`` (20/12/2023 is in year 2024)."""
    d = _as_date(d, "d")
    y = d.year + 1 if (d.month, d.day) >= (12, START_DAY) else d.year
    return year(y)


def half_of(d: date) -> Period:
    """The reporting half-year containing the local date ``d`` (20/06/2024 is in 2024-H2)."""
    q = quarter_of(d)
    return half(int(q.label[:4]), (int(q.label[-1]) + 1) // 2)


def quarter_of(d: date) -> Period:
    """The reporting quarter containing the local date ``d`` (20/12/2023 is in 2024-Q1)."""
    d = _as_date(d, "d")
    if (d.month, d.day) >= (12, START_DAY):
        return quarter(d.year + 1, 1)
    # Months 1..3 belong to Q1, 4..6 to Q2 ...; from the 15th of the quarter's last month on,
    # the date already belongs to the next quarter.
    q = (d.month - 1) // 3 + 1
    if d.month % 3 == 0 and d.day >= START_DAY:
        q += 1
    return quarter(d.year, q)


def recent(today: date) -> list[Period]:
    """The periods a picker offers on ``today``: this reporting year and the one before, each followed
    by its half-years and quarters begun by then, newest first (2024, 2024-H2, 2024-Q4, 2024-Q3,
    2024-H1, 2024-Q2, 2024-Q1, 2023, …)."""
    this_year = int(year_of(today).label)
    begun = quarter_of(today).start
    periods: list[Period] = []
    for y in (this_year, this_year - 1):
        periods.append(year(y))
        for h in (2, 1):
            periods += [p for p in (half(y, h), quarter(y, 2 * h), quarter(y, 2 * h - 1)) if p.start <= begun]
    return periods


def report_due_date(p: Period) -> date:
    """The plan's internal deadline for the units' report on ``p``: the day after it ends.

    For a quarter that is the 15th of the quarter's last month ("chậm nhất vào ngày 15 của
    tháng cuối quý").
    """
    return p.end + timedelta(days=1)


_QUARTER_RE = re.compile(r"(\d{4})-Q(\d+)", re.IGNORECASE)
_HALF_RE = re.compile(r"(\d{4})-H(\d+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"\d{4}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(text: str, what: str) -> date:
    text = text.strip()
    if not _DATE_RE.fullmatch(text):
        raise PeriodError(f"{what} date {text!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"{what} date {text!r} is not a valid date: {exc}") from None


def parse_period(s: str) -> Period:
    """Parse "2024-Q1" (also "2024-q1"), "2024-H1", "2024", or "2024-01-01..2024-02-29".

    Raises ``PeriodError`` (a ``ValueError``) with an English message for anything else.
    """
    if not isinstance(s, str):
        raise PeriodError(f"period must be a string, got {type(s).__name__}")
    text = s.strip()
    if not text:
        raise PeriodError("empty period; expected YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM-DD..YYYY-MM-DD")
    m = _QUARTER_RE.fullmatch(text)
    if m:
        return quarter(int(m.group(1)), int(m.group(2)))
    m = _HALF_RE.fullmatch(text)
    if m:
        return half(int(m.group(1)), int(m.group(2)))
    if _YEAR_RE.fullmatch(text):
        return year(int(text))
    if ".." in text:
        left, _, right = text.partition("..")
        if ".." in right:
            raise PeriodError(f"bad period {s!r}: more than one '..'")
        return custom(_parse_date(left, "'from'"), _parse_date(right, "'to'"))
    raise PeriodError(
        f"unrecognised period {s!r}; expected YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM-DD..YYYY-MM-DD"
    )
