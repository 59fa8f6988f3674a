"""Working days for pakn deadlines (pure Python, no Flask).

- Government offices work Monday to Friday and rest on Saturday and Sunday
  (QĐ 188/1999/QĐ-TTg Art 1).
- Public holidays are those of BLLĐ 2019 Art 112; a holiday on a rest day is
  compensated on the next working day (Art 111.3); the Prime Minister fixes the
  Tết and 2/9 days and swaps days every year (Art 112.3).
- ``holidays.VN`` models all of this, including the Saturdays worked in exchange
  (``weekend_workdays``). It only knows announcements made before its release,
  so the office keeps local overrides (``days_off``, ``working_days``), which
  win over the library.
- Deadlines count from the day after receipt (NĐ 20/2008 Art 9.1d): a case
  received on day D with 5 working days is due on the 5th working day after D.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import NamedTuple

import holidays

__all__ = ["DEFAULT_CALENDAR", "HolidayNote", "WorkingCalendar"]

_ONE_DAY = timedelta(days=1)
# Rest days, QĐ 188/1999/QĐ-TTg Art 1.
WEEKEND_NAMES = {5: "Thứ Bảy", 6: "Chủ nhật"}
MAKE_UP_DAY_NAME = "Ngày làm bù"


class HolidayNote(NamedTuple):
    date: date
    name: str


class _LibraryYear(NamedTuple):
    days_off: dict[date, str]  # holidays, compensation (nghỉ bù) and swapped days
    make_up: dict[date, date | None]  # weekend days worked, each with the day off it makes up for if named


@functools.cache
def _library_year(year: int) -> _LibraryYear:
    """What ``holidays.VN`` says about one year; built once per year per process."""
    # Neighbouring years too: a swap can cross New Year (worked 27/12/2014, off 2/1/2015).
    lib = holidays.VN(years=range(year - 1, year + 2), language="vi")
    days_off = {d: name for d, name in lib.items() if d.year == year}
    make_up = {}
    for worked in (d for d in lib.weekend_workdays if d.year == year):
        # The library names the day off "Ngày nghỉ (thay cho ngày <worked>)".
        label = f"{worked:%d/%m/%Y}"
        make_up[worked] = next((d for d, name in lib.items() if label in name), None)
    return _LibraryYear(days_off, make_up)


def _make_up_label(off: date | None) -> str:
    return f"{MAKE_UP_DAY_NAME} (cho ngày {off:%d/%m/%Y})" if off else MAKE_UP_DAY_NAME


@functools.cache
def _library_names(year: int, language: str) -> dict[date, str]:
    """``holidays.VN``'s names of one year's days off in another of its languages ("en_US")."""
    return dict(holidays.VN(years=year, language=language).items())


def _check(d: object) -> None:
    # A datetime would silently miss every date key; the caller picks the local date.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def _days_after(start: date, end: date) -> Iterator[date]:
    """Dates in (start, end]."""
    d = start
    while d < end:
        d += _ONE_DAY
        yield d


class WorkingCalendar:
    """Working days of a Vietnamese government office.

    ``days_off`` and ``working_days`` map dates to a reason; they are the admin's
    override table and win over ``holidays.VN``. A date may not be in both.
    """

    def __init__(
        self,
        days_off: Mapping[date, str] | None = None,
        working_days: Mapping[date, str] | None = None,
    ) -> None:
        self._days_off = dict(days_off or {})
        self._working_days = dict(working_days or {})
        for d in (*self._days_off, *self._working_days):
            _check(d)
        if clash := sorted(self._days_off.keys() & self._working_days.keys()):
            raise ValueError(f"dates both off and working: {clash}")

    def _off_name(self, d: date) -> str | None:
        if d in self._working_days:
            return None
        if d in self._days_off:
            return self._days_off[d]
        lib = _library_year(d.year)
        if d in lib.days_off:
            return lib.days_off[d]
        if d in lib.make_up:
            return None
        return WEEKEND_NAMES.get(d.weekday())

    def day_off_name(self, d: date) -> str | None:
        """Why ``d`` is not a working day (Vietnamese), or None for a working day."""
        _check(d)
        return self._off_name(d)

    def holiday_name(self, note: HolidayNote, language: str) -> str:
        """The name of a day off in ``language`` (one of ``holidays.VN``'s, e.g. "en_US") where the
        library named it; the admin's own reason, a weekend or a language it lacks stay as they are."""
        if note.date in self._days_off:
            return note.name
        return _library_names(note.date.year, language).get(note.date, note.name)

    def is_working_day(self, d: date) -> bool:
        _check(d)
        return self._off_name(d) is None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (before it if n < 0); ``start`` itself
        never counts (NĐ 20/2008 Art 9.1d). n == 0 returns ``start``."""
        _check(start)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        d, left = start, abs(n)
        while left:
            d += step
            if self._off_name(d) is None:
                left -= 1
        return d

    def count_working_days(self, start: date, end: date) -> int:
        """Working days in (start, end]; minus those in (end, start] if end < start.

        count_working_days(s, add_working_days(s, n)) == n for n >= 0.
        """
        _check(start)
        _check(end)
        if end < start:
            return -self.count_working_days(end, start)
        return sum(1 for d in _days_after(start, end) if self._off_name(d) is None)

    def days_off_between(self, start: date, end: date) -> list[HolidayNote]:
        """Monday-to-Friday days off in (start, end]: the days that push a due date
        back. Ordinary Saturdays and Sundays, and holidays falling on them, are left out."""
        _check(start)
        _check(end)
        return [
            HolidayNote(d, name)
            for d in _days_after(start, end)
            if d.weekday() < 5 and (name := self._off_name(d)) is not None
        ]

    def make_up_days_between(self, start: date, end: date) -> list[HolidayNote]:
        """Saturdays and Sundays worked in (start, end]: the days that bring a due date forward
        (make-up days, *ngày làm bù*, and the admin's working weekend days), with why they are worked."""
        _check(start)
        _check(end)
        return [HolidayNote(d, self._make_up_name(d)) for d in _days_after(start, end)
                if d.weekday() >= 5 and self._off_name(d) is None]

    def _make_up_name(self, d: date) -> str:
        return self._working_days.get(d) or _make_up_label(_library_year(d.year).make_up[d])

    def made_up_for(self, d: date) -> date | None:
        """The day off that ``holidays.VN`` gives for the worked weekend day ``d``, to name it in another
        language; None for the admin's own working day, or a day the library does not pair."""
        return None if d in self._working_days else _library_year(d.year).make_up.get(d)

    def own_working_day(self, d: date) -> bool:
        """``d`` is a working day by the admin's override, named as the admin typed it."""
        return d in self._working_days

    def make_up_working_days(self, year: int) -> list[HolidayNote]:
        """Saturdays and Sundays worked in ``year`` (library swaps and overrides)."""
        candidates = {d: _make_up_label(off) for d, off in _library_year(year).make_up.items()}
        candidates.update((d, name) for d, name in self._working_days.items() if d.year == year)
        return sorted(
            HolidayNote(d, name)
            for d, name in candidates.items()
            if d.weekday() >= 5 and self._off_name(d) is None
        )

    def next_working_day(self, d: date, include_self: bool = True) -> date:
        """``d`` if it is a working day and ``include_self``, else the next one."""
        _check(d)
        if include_self and self._off_name(d) is None:
            return d
        return self.add_working_days(d, 1)


DEFAULT_CALENDAR = WorkingCalendar()
