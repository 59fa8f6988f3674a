"""The working-day calendar as the department keeps it: ``holidays.VN`` plus the local overrides
an admin adds (days off and make-up working days announced by the government, QĐ 188/1999, BLLĐ 2019
Art 111–112). Changing an override recomputes the due dates of the cases it affects, with an audit row;
the citizen's submission reads the calendar from a copy each process keeps for a few seconds."""
from __future__ import annotations

import functools
import time
from datetime import date, datetime, timezone
from typing import Callable, NamedTuple, TypeVar

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from workflows.calendar import HolidayNote, WorkingCalendar
from workflows.clock import CLOCK
from workflows.deadlines import INTERNAL_STEPS, Deadlines, Rules
from workflows.lifecycle import N_

from ..extensions import db
from ..models import CalendarDay, Feedback, Transition
from . import admin_log
from .sequences import clear_value, lower_value, read_value, set_value

T = TypeVar("T")


def load_calendar(cached: bool = False) -> WorkingCalendar:
    """The calendar with the overrides as stored now.

    ``cached``: as this process read it at most ``CALENDAR_CACHE_SECONDS`` ago, for the one caller
    that needs it on every request, the citizen's submission (``cases.receive``); a query per
    submission for a table that changes a few times a year. An admin's change applies there at once
    in the process that made it and within those seconds in every other; a case received meanwhile
    with the calendar of before is put right by the next sweep (``recheck_after_change``). Every
    other caller (staff events, the sweep, the pages) reads it as stored."""
    if not cached:
        return _read()
    cache = current_app.extensions.setdefault("pakn.calendar", {})
    now = _monotonic()
    entry = cache.get("entry")  # one (calendar, read at) tuple: safe when threads share the app
    if entry is None or now - entry[1] >= current_app.config["CALENDAR_CACHE_SECONDS"]:
        entry = cache["entry"] = (_read(), now)
    return entry[0]


_monotonic = time.monotonic  # tests move it


def _read() -> WorkingCalendar:
    rows = db.session.connection().execute(_OVERRIDES).all()
    return _calendar(tuple(tuple(row) for row in rows))


_DAYS = CalendarDay.__table__  # a Core query built once, no ORM entities
_OVERRIDES = select(_DAYS.c.day, _DAYS.c.kind, _DAYS.c.name).order_by(_DAYS.c.day)
# When the calendar last changed, and since when a case may have been received with the calendar of
# before (the clock's epoch minutes, in ``counters``; 0 = nothing to check). The window starts and
# ends a margin early and late: a submission takes a moment from reading the calendar to its commit
# (at most the web server's timeout), and hosts' clocks differ a little.
CHANGED_AT, RECHECK_FROM = "calendar:changed_at", "calendar:recheck_from"
RECHECK_MARGIN_SECONDS = 120


@functools.lru_cache(maxsize=4)
def _calendar(overrides: tuple[tuple[date, str, str], ...]) -> WorkingCalendar:
    return WorkingCalendar(days_off={d: n for d, k, n in overrides if k == "off"},
                           working_days={d: n for d, k, n in overrides if k == "work"})


def rules() -> Rules:
    """The deadline rules (workflows.deadlines.Rules, each with its article) as PAKN_DEADLINES sets them."""
    return _rules(tuple(sorted((current_app.config.get("PAKN_DEADLINES") or {}).items())))


@functools.lru_cache(maxsize=8)
def _rules(settings: tuple[tuple[str, int], ...]) -> Rules:  # read once per setting, not per submission
    return Rules.from_mapping(dict(settings))


def basis_text(basis: str | None, translate: Callable[[str], str] = str, padded: bool = True) -> str:
    """A stored due date's basis (a ``workflows.deadlines`` msgid) as pages, mails and the API say it, with
    the department's own counts of days (``Rules.numbers``); ``translate`` (gettext) for a page in its
    language, which writes them ``padded`` ("05") in Vietnamese only."""
    return translate(basis) % rules().numbers(padded) if basis else ""


def deadlines(calendar: WorkingCalendar | None = None) -> Deadlines:
    """The deadline rules over ``calendar`` (default: the calendar as stored now)."""
    return Deadlines(calendar or load_calendar(), rules())


def target_date(case: Feedback, plan: Deadlines | None = None):
    """The internal target of the case's current step (``Category.classify_target_days`` /
    ``answer_target_days``): reminders follow it, letters follow the legal due date. Worked out again
    while the step runs (a shorter target for the field, a day off added, the unit resuming), it is no
    earlier than today unless the due date itself is: the reminder, which looks at targets from today
    on, then goes at the next sweep instead of never."""
    category = case.category
    days = None
    if category is not None and case.due_step == "classify":
        days = category.classify_target_days
    elif category is not None and case.due_step == "answer":
        days = category.answer_target_days
    target = (plan or deadlines()).target(case.due, days)
    today = CLOCK.today()
    if target is not None and case.due_date is not None and target < today <= case.due_date:
        return today
    return target


class CalendarError(ValueError):
    """A refused change; ``message`` is Vietnamese UI text with %(name)s ``params``, ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)  # what the CLI prints
        self.message, self.field, self.params = message, field, params


KINDS = {"off": N_("Nghỉ"), "work": N_("Làm bù")}


class YearDay(NamedTuple):
    day: date
    kind: str  # a key of KINDS
    name: str


def worked_day_name(calendar: WorkingCalendar, note: HolidayNote, language: str) -> str:
    """A Saturday or Sunday worked, named in the page's ``language``: the admin's own reason as typed, the
    library's make-up day (and the day off it makes up for) in English on an English page."""
    if language != "en" or calendar.own_working_day(note.date):
        return note.name
    off = calendar.made_up_for(note.date)
    return gettext("Ngày làm bù (cho ngày %(day)s)", day=f"{off:%d/%m/%Y}") if off else gettext("Ngày làm bù")


def year_days(year: int, language: str = "vi", calendar: WorkingCalendar | None = None) -> list[YearDay]:
    """The days of ``year`` the deadlines count otherwise than the week has them, in date order: the
    weekdays off (public holidays, Tết and the days off given with them, BLLĐ 2019 Art 112, and the
    admin's), and the Saturdays and Sundays worked; so the admin can check them against the government's
    notice. ``language``: the page's; "en" names the holidays in English where ``holidays.VN`` has the name
    (as ``citizen_notices.due_explained`` does)."""
    calendar = calendar or load_calendar()
    # days_off_between counts (start, end]: from the last day of the year before, so that 1 January is listed
    off = calendar.days_off_between(date(year - 1, 12, 31), date(year, 12, 31))
    days = [YearDay(n.date, "off", calendar.holiday_name(n, "en_US") if language == "en" else n.name) for n in off]
    days += [YearDay(n.date, "work", worked_day_name(calendar, n, language))
             for n in calendar.make_up_working_days(year)]
    return sorted(days)


def overrides(first_year: int, last_year: int) -> list[CalendarDay]:
    """The local overrides of the years ``first_year`` to ``last_year``, in date order."""
    return list(db.session.execute(select(CalendarDay).where(
        CalendarDay.day >= date(first_year, 1, 1), CalendarDay.day <= date(last_year, 12, 31))
        .order_by(CalendarDay.day)).scalars())


def set_day(day: date, kind: str, name: str, actor, *, replace: bool = True, commit: bool = True) -> int:
    """Add an override (or, with ``replace``, change the one of that day); returns how many open
    cases got a new due date. An override must change the day: a day off on a day already off, or a
    make-up working day on a day already worked, is refused. ``commit=False``: for ``dry_run``."""
    if kind not in KINDS:
        raise CalendarError(N_("Loại ngày phải là ngày nghỉ hoặc ngày làm bù."), "kind")
    # read before the new row joins the session: an actor loaded in an earlier transaction is
    # refreshed on first read, and that would flush the row before it has its kind and name
    actor_id = getattr(actor, "id", None)
    name = " ".join(name.split())
    if not name:
        raise CalendarError(N_("Vui lòng nhập tên (lý do) của ngày."), "name")
    _check_changeable(day)
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if row is not None and not replace:
        raise CalendarError(N_("Ngày %(day)s đã được điều chỉnh (%(name)s); xóa điều chỉnh đó trước."), "day",
                            day=f"{day:%d/%m/%Y}", name=row.name)
    _check_it_changes(day, kind)
    replaced = None if row is None else f"thay cho {_described(row)}"  # the command sets a day again
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name, row.created_by_id = kind, name, actor_id
    db.session.flush()
    what = _described(row)
    changed = _recompute(day, what, actor)
    admin_log.record("calendar_set", f"{day:%d/%m/%Y}", actor, "; ".join(
        filter(None, (what, replaced, f"{changed} hồ sơ đang xử lý được tính lại hạn"))))
    if commit:
        _commit_change()
    return changed


def _described(row: CalendarDay) -> str:
    """An override as the audit rows and the administration's trail name it."""
    return f"{row.day:%d/%m/%Y}: {row.name} ({'nghỉ' if row.kind == 'off' else 'làm việc'})"


def _check_changeable(day: date) -> None:
    """Only days from today to the end of next year. A day gone by was counted as it was then: due dates
    already missed, apology letters and the sweep's overdue rows name it, and a citizen was told so.
    A day beyond next year would be an override the admin page never lists (a mistyped year): the
    government announces a year's days off and swaps the year before."""
    today = CLOCK.today()
    if day < today:
        raise CalendarError(N_("Ngày %(day)s đã qua: các hạn xử lý, phiếu xin lỗi đã tính theo lịch lúc đó. Chỉ điều "
                               "chỉnh được từ hôm nay (%(today)s) trở đi."), "day",
                            day=f"{day:%d/%m/%Y}", today=f"{today:%d/%m/%Y}")
    if day.year > today.year + 1:
        raise CalendarError(N_("Chỉ điều chỉnh được ngày của năm %(first)s và năm %(last)s."), "day",
                            first=today.year, last=today.year + 1)


def _check_it_changes(day: date, kind: str) -> None:
    """Judged against the calendar without this day's own override, which the change replaces."""
    rows = db.session.connection().execute(_OVERRIDES.where(_DAYS.c.day != day)).all()
    others = _calendar(tuple(tuple(r) for r in rows))
    if kind == "off" and not others.is_working_day(day):
        raise CalendarError(N_("Ngày %(day)s đã là ngày nghỉ (%(reason)s)."), "day",
                            day=f"{day:%d/%m/%Y}", reason=others.day_off_name(day))
    if kind == "work" and others.is_working_day(day):
        raise CalendarError(N_("Ngày %(day)s đã là ngày làm việc; chỉ làm bù vào ngày nghỉ."), "day",
                            day=f"{day:%d/%m/%Y}")


# The same override deleted twice (two tabs, the back button) or by two admins at once: the calendar is
# already as asked.
ALREADY_REMOVED = N_("Điều chỉnh này đã được xóa trước đó (ví dụ ở một thẻ khác); lịch làm việc không thay đổi thêm.")


def remove_day(day: date, actor) -> int:
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if row is None:
        raise CalendarError(N_("Ngày %(day)s không có điều chỉnh nào."), "day", day=f"{day:%d/%m/%Y}")
    return _remove(row, actor)


def remove_override(override_id: int, actor, *, commit: bool = True) -> tuple[date, int]:
    """The page's delete button: the override by its id, its day and how many open cases moved."""
    row = db.session.get(CalendarDay, override_id)
    if row is None:
        raise CalendarError(ALREADY_REMOVED)
    return row.day, _remove(row, actor, commit)


def _remove(row: CalendarDay, actor, commit: bool = True) -> int:
    day = row.day
    _check_changeable(day)
    was = _described(row)
    db.session.delete(row)
    db.session.flush()
    changed = _recompute(day, f"{day:%d/%m/%Y}: bỏ điều chỉnh lịch", actor)
    admin_log.record("calendar_removed", f"{day:%d/%m/%Y}", actor,
                     f"bỏ {was}; {changed} hồ sơ đang xử lý được tính lại hạn")
    if commit:
        _commit_change()
    return changed


def dry_run(change: Callable[[], T]) -> T:
    """What ``change`` (``set_day`` or ``remove_override`` with ``commit=False``) returns, how many open
    cases it would give a new due date, without making it: done in a savepoint, then undone, so that
    the admin confirms a change that moves cases before it does (a refusal is raised as it would be)."""
    savepoint = db.session.begin_nested()
    try:
        return change()
    finally:
        savepoint.rollback()


def _commit_change() -> None:
    minute = _minute(CLOCK.now())
    set_value(CHANGED_AT, minute)
    lower_value(RECHECK_FROM, minute - RECHECK_MARGIN_SECONDS // 60)  # an earlier change not yet checked keeps its start
    db.session.commit()
    current_app.extensions.get("pakn.calendar", {}).pop("entry", None)  # this process: the new calendar at once


def _minute(instant: datetime) -> int:
    return int(instant.timestamp()) // 60


def _recompute(day: date, why: str, actor) -> int:
    """Only a case whose counting window (due_start, due_date] contains ``day`` can move."""
    affected = db.session.execute(
        select(Feedback).where(Feedback.due_start < day, Feedback.due_date >= day)).scalars()
    return _move_due_dates(affected, f"Lịch làm việc thay đổi ({why})", actor)


def recheck_after_change(now: datetime, actor) -> int:
    """After a change to the calendar, the open cases received since it (by a process that still had
    the calendar of before, for up to ``CALENDAR_CACHE_SECONDS``) get the due date the new one gives,
    with an audit row; run by the sweep, first. Returns how many moved. A case that someone changed
    meanwhile makes the check wait for the next sweep instead of failing this one."""
    since = read_value(RECHECK_FROM)
    if not since:
        return 0
    received = select(Feedback).where(Feedback.received_at >= datetime.fromtimestamp(since * 60, timezone.utc),
                                      Feedback.due_date.is_not(None))
    try:
        moved = _move_due_dates(db.session.execute(received).scalars(), "Lịch làm việc thay đổi khi tiếp nhận",
                                actor, now)
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current_app.logger.info("calendar recheck: a case changed meanwhile; the next sweep checks again")
        return 0
    settled = (read_value(CHANGED_AT) or 0) * 60 + current_app.config["CALENDAR_CACHE_SECONDS"] + RECHECK_MARGIN_SECONDS
    if now.timestamp() > settled:
        clear_value(RECHECK_FROM, since)  # every process has the new calendar by now, unless it changed again
    db.session.commit()
    return moved


def _move_due_dates(cases, why: str, actor, at: datetime | None = None) -> int:
    cal = load_calendar()
    cal_plan = deadlines(cal)
    changed = 0
    for case in cases:
        old, new = case.due, case.due.recomputed(cal)
        if new.date == old.date:
            continue
        case.due = new
        case.target_date = target_date(case, cal_plan)
        db.session.add(Transition(
            feedback=case, event="due_recomputed", from_state=case.state, to_state=case.state,
            actor_id=getattr(actor, "id", None), actor_label=getattr(actor, "full_name", "system"),
            at=at or CLOCK.now(), public=case.due_step not in INTERNAL_STEPS,
            note=f"{why}; hạn xử lý {old.date:%d/%m/%Y} → {new.date:%d/%m/%Y}"))
        changed += 1
    return changed
