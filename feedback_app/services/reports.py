"""Reports as a service: build the report of a period, and remind HCTH before the internal deadline.

The department's 2024 plan (chapter III.1) has units report "chậm nhất vào ngày 15 của tháng cuối
quý"; ``remind_quarterly_report`` queues one mail per quarter to HCTH a few working days before.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from workflows.clock import CLOCK, local_date

from ..extensions import db
from ..models import OutboxMail, Unit, User
from ..reports.periods import Period, quarter_of, report_due_date
from ..reports.queries import Report, build_report
from . import outbox
from .calendar import load_calendar

__all__ = ["build_report", "Report", "reminder_day", "remind_quarterly_report"]


def reminder_day(period: Period) -> date:
    """``REPORT_REMINDER_WORKING_DAYS`` working days before the report's due date (the 15th)."""
    return load_calendar().add_working_days(report_due_date(period),
                                            -current_app.config["REPORT_REMINDER_WORKING_DAYS"])


def _office_recipients() -> list[str]:
    office = db.session.execute(select(Unit.email).where(Unit.is_office, Unit.active)).scalars().all()
    staff = db.session.execute(select(User.email).where(User.role == "office", User.active)
                               .order_by(User.id)).scalars().all()
    return [e for e in dict.fromkeys([*office, *staff]) if e]


def remind_quarterly_report(now: datetime | None = None) -> OutboxMail | None:
    """Queue the reminder for the quarter now ending, once (key ``report-reminder:<quarter>``),
    from its reminder day until the quarter's last day. Commits; returns the queued mail or None."""
    today = local_date(now or CLOCK.now())
    period = quarter_of(today)
    if not reminder_day(period) <= today <= period.end:
        return None
    due = report_due_date(period)
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/van-phong/bao-cao?period={period.label}"
    mail = outbox.enqueue(f"report-reminder:{period.label}", "report_reminder", _office_recipients(),
                          f"Nhắc lập báo cáo PAKN {period.label} (hạn {due:%d/%m/%Y})", "report_reminder",
                          period=period, due=due, link=link)
    db.session.commit()
    return mail
