"""The working-day calendar as the department keeps it: ``holidays.VN`` plus the local overrides
an admin adds (days off and make-up working days announced by the government, QĐ 188/1999, BLLĐ 2019
Art 111–112). Changing an override recomputes the due dates of the cases it affects, with an audit row."""
from __future__ import annotations

import functools
from datetime import date

from flask import current_app
from sqlalchemy import select

from workflows.calendar import WorkingCalendar
from workflows.clock import CLOCK
from workflows.deadlines import Deadlines, Rules

from ..extensions import db
from ..models import CalendarDay, Feedback, Transition


def load_calendar() -> WorkingCalendar:
    """The calendar with the overrides as stored now (read on every call: an admin's change applies at
    once in every worker); the same overrides give the same, already built, calendar."""
    rows = db.session.connection().execute(_OVERRIDES).all()
    return _calendar(tuple(tuple(row) for row in rows))


_DAYS = CalendarDay.__table__  # read on every submission: a Core query built once, no ORM entities
_OVERRIDES = select(_DAYS.c.day, _DAYS.c.kind, _DAYS.c.name).order_by(_DAYS.c.day)


@functools.lru_cache(maxsize=4)
def _calendar(overrides: tuple[tuple[date, str, str], ...]) -> WorkingCalendar:
    return WorkingCalendar(days_off={d: n for d, k, n in overrides if k == "off"},
                           working_days={d: n for d, k, n in overrides if k == "work"})


def rules() -> Rules:
    """The deadline rules (workflows.deadlines.Rules, each with its article) as PAKN_DEADLINES sets them."""
    return Rules.from_mapping(current_app.config.get("PAKN_DEADLINES"))


def deadlines(calendar: WorkingCalendar | None = None) -> Deadlines:
    return Deadlines(calendar or load_calendar(), rules())


def target_date(case: Feedback, plan: Deadlines | None = None):
    """The internal target of the case's current step (``Category.classify_target_days`` /
    ``answer_target_days``): reminders follow it, letters follow the legal due date."""
    category = case.category
    days = None
    if category is not None and case.due_step == "classify":
        days = category.classify_target_days
    elif category is not None and case.due_step == "answer":
        days = category.answer_target_days
    return (plan or deadlines()).target(case.due, days)


class CalendarError(ValueError):
    pass


def set_day(day: date, kind: str, name: str, actor) -> int:
    """Add or change an override; returns how many open cases got a new due date."""
    if kind not in ("off", "work"):
        raise CalendarError("kind must be 'off' or 'work'")
    if not name.strip():
        raise CalendarError("a name is required")
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name, row.created_by_id = kind, name.strip(), getattr(actor, "id", None)
    db.session.flush()
    changed = _recompute(day, f"{day:%d/%m/%Y}: {name.strip()} ({'nghỉ' if kind == 'off' else 'làm việc'})", actor)
    db.session.commit()
    return changed


def remove_day(day: date, actor) -> int:
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if row is None:
        raise CalendarError(f"no override on {day.isoformat()}")
    db.session.delete(row)
    db.session.flush()
    changed = _recompute(day, f"{day:%d/%m/%Y}: bỏ điều chỉnh lịch", actor)
    db.session.commit()
    return changed


def _recompute(day: date, why: str, actor) -> int:
    """Only a case whose counting window (due_start, due_date] contains ``day`` can move."""
    cal = load_calendar()
    cal_plan = deadlines(cal)
    affected = db.session.execute(
        select(Feedback).where(Feedback.due_start < day, Feedback.due_date >= day)).scalars()
    changed = 0
    for case in affected:
        old, new = case.due, case.due.recomputed(cal)
        if new.date == old.date:
            continue
        case.due = new
        case.target_date = target_date(case, cal_plan)
        db.session.add(Transition(
            feedback=case, event="due_recomputed", from_state=case.state, to_state=case.state,
            actor_id=getattr(actor, "id", None), actor_label=getattr(actor, "full_name", "system"),
            at=CLOCK.now(), public=True,
            note=f"Lịch làm việc thay đổi ({why}); hạn xử lý {old.date:%d/%m/%Y} → {new.date:%d/%m/%Y}"))
        changed += 1
    return changed
