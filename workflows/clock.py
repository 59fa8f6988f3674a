"""The one clock every deadline computation reads "now" from.

Production reads the system time. Tests and demos set it (``CLOCK.set(...)``, or the
``PAKN_NOW`` environment variable, which the app honours only outside production), so that
nobody ever sleeps to wait for a deadline.
"""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; one without an offset is taken as Vietnamese local time. Raises
    ValueError, an instant beyond year 1 to 9999 in UTC or local time included (``utc_instant``)."""
    return utc_instant(datetime.fromisoformat(text.strip()))


def utc_instant(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive: Vietnamese local time), if both its UTC and its local
    time are dates Python can hold; else ValueError. 0001-01-01T00:00+14:00 is still year 0 in UTC, and
    9999-12-31T23:00Z is year 10000 in Vietnam: their OverflowError, raised by the first conversion or
    the first page that shows them, was a 500 for a mistyped or hostile query."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    try:
        instant = value.astimezone(timezone.utc)
        instant.astimezone(LOCAL_TZ)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is outside the years 1 to 9999 in UTC or Vietnamese time") from None
    return instant


class Clock:
    """A settable clock. ``now()`` is always timezone-aware UTC."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            fixed = self._fixed
        return fixed if fixed is not None else datetime.now(timezone.utc)

    def today(self) -> date:
        """Today's calendar date in Vietnam: deadlines are local calendar dates."""
        return self.now().astimezone(LOCAL_TZ).date()

    def set(self, instant: datetime | str | None) -> None:
        if isinstance(instant, str):
            instant = parse_instant(instant)
        elif instant is not None:
            if instant.tzinfo is None:
                raise ValueError("the clock takes timezone-aware datetimes only")
            instant = instant.astimezone(timezone.utc)
        with self._lock:
            self._fixed = instant

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            if self._fixed is None:
                raise RuntimeError("advance() needs a fixed clock; call set() first")
            self._fixed = self._fixed + timedelta(**delta)
            return self._fixed

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None


CLOCK = Clock()


def end_of_local_day(day: date) -> datetime:
    """The instant a due date ends: a step is late only after the end of its due date, local time."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_TZ).astimezone(timezone.utc)


def local_time(instant: datetime) -> datetime:
    """``instant`` in Vietnamese local time."""
    if instant.tzinfo is None:  # SQLite hands back naive datetimes; pakn stores UTC
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(LOCAL_TZ)


def local_date(instant: datetime) -> date:
    return local_time(instant).date()
