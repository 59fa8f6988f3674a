"""Reports as a service: build the report of a period, close it (chốt số liệu) once it is sent, and
remind HCTH before the internal deadline.

The department's 2024 plan (chapter III.1) has units report "chậm nhất vào ngày 15 của tháng cuối
quý"; ``remind_quarterly_report`` queues one mail per quarter to HCTH a few working days before.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflows.clock import CLOCK, LOCAL_TZ, end_of_local_day, local_date
from workflows.lifecycle import N_

from ..extensions import db
from ..models import OutboxMail, ReportSnapshot, User
from ..reports.periods import Period, between, half_of, quarter_of, report_due_date, year_of
from ..reports.overview import on_time_rate
from ..reports.queries import Report, build_report
from . import outbox
from .accounts import office_addresses
from .calendar import load_calendar

__all__ = ["build_report", "Report", "StoredReport", "report_of", "closed_reports_including", "close_report", "reopen_report", "PeriodNotOver",
           "PeriodNotBegun", "AlreadyClosed", "reminder_day", "remind_quarterly_report"]


def reminder_day(period: Period) -> date:
    """``REPORT_REMINDER_WORKING_DAYS`` working days before the report's due date (the 15th)."""
    return load_calendar().add_working_days(report_due_date(period),
                                            -current_app.config["REPORT_REMINDER_WORKING_DAYS"])


def remind_quarterly_report(now: datetime | None = None) -> OutboxMail | None:
    """Queue the reminder for the quarter now ending, once (key ``report-reminder:<quarter>``), from its
    reminder day until the quarter's last day, naming every report due with it: the half-year's with the
    second and fourth quarters, the year's with the fourth (they end the same day). Commits; returns the
    queued mail or None."""
    today = local_date(now or CLOCK.now())
    period = quarter_of(today)
    if not reminder_day(period) <= today <= period.end:
        return None
    due = report_due_date(period)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    reports = [(p, f"{base}/van-phong/bao-cao?period={p.label}")
               for p in (period, half_of(today), year_of(today)) if p.end == period.end]
    titles = [p.title() for p, _ in reports]
    names = " và ".join(filter(None, (", ".join(titles[:-1]), titles[-1])))  # "A, B và C"
    mail = outbox.enqueue(f"report-reminder:{period.label}", "report_reminder", office_addresses(),
                          f"Nhắc lập báo cáo PAKN {names} (hạn {due:%d/%m/%Y})", "report_reminder",
                          reports=reports, due=due, expires_at=end_of_local_day(due))
    db.session.commit()
    return mail


# --- closed periods (chốt số liệu) -----------------------------------------------------------------
# A report counts every column as of the end of its period, from timestamps that never change, but a
# case counts for the unit in charge of it *now* (reports/queries.py): a case moved to another unit
# later moves between rows of a past report. What was sent to the province must stay what it was, so
# HCTH closes the period when it sends the report, and from then on the stored figures are the report.

class PeriodNotOver(ValueError):
    """The period has not ended yet: its figures are still moving."""


class PeriodNotBegun(ValueError):
    """The period starts after today. Counted anyway, it would show today's open cases as carried over
    into it and split into on time and overdue as of today, figures no day of it has produced.
    ``message`` is a msgid, ``params`` its values; ``str()`` is the Vietnamese text (the CLI's)."""

    message = N_("Kỳ báo cáo %(period)s chưa bắt đầu (từ ngày %(start)s): chưa có số liệu.")

    def __init__(self, period: Period):
        self.period = period
        self.params = {"period": period.title(), "start": f"{period.start:%d/%m/%Y}"}
        super().__init__(self.message % self.params)

    def text(self, translate) -> str:
        """The message in the page's language (``translate``: gettext), the period named in it too."""
        return translate(self.message) % {**self.params, "period": self.period.title(translate)}


class AlreadyClosed(Exception):
    def __init__(self, snapshot: ReportSnapshot):
        super().__init__(f"period {snapshot.label} was closed at {snapshot.closed_at.isoformat()}")
        self.snapshot = snapshot


@dataclass
class StoredReport:
    """The report of a period and, when it is closed, the stored snapshot it was read from."""

    report: Report
    snapshot: ReportSnapshot | None

    @property
    def closed_at(self) -> datetime | None:
        return self.snapshot.closed_at if self.snapshot is not None else None

    def status_line(self) -> str:
        """What a download says under its period: closed figures (when, by whom) or counted when."""
        if self.snapshot is not None:
            return (f"Số liệu đã chốt lúc {self.snapshot.closed_at.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
                    f" bởi {self.snapshot.closed_by_label}")
        return f"Số liệu tính đến {CLOCK.now().astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"


def snapshot_of(period: Period) -> ReportSnapshot | None:
    return db.session.execute(select(ReportSnapshot).where(ReportSnapshot.period_start == period.start,
                                                           ReportSnapshot.period_end == period.end)).scalar()


def closed_reports_including(day: date) -> list[ReportSnapshot]:
    """The closed reports whose stored figures miss a case received on ``day`` and entered only now:
    every period ending on or after that day, since the case counts among the received of its period
    and among those carried over or pending at the end of each later one."""
    return db.session.execute(select(ReportSnapshot).where(ReportSnapshot.period_end >= day)
                              .order_by(ReportSnapshot.period_start, ReportSnapshot.period_end)).scalars().all()


def report_of(period: Period, *, live: bool = False) -> StoredReport:
    """The figures of a closed period as they were closed, else (or with ``live``) counted now;
    ``PeriodNotBegun`` before its first day. The page, its downloads and ``flask report`` all read a
    report here, so each refuses a period not begun without checking it itself."""
    if not period.has_begun(CLOCK.now()):
        raise PeriodNotBegun(period)
    snapshot = None if live else snapshot_of(period)
    if snapshot is None:
        return StoredReport(build_report(period), None)
    return StoredReport(Report.from_dict(json.loads(snapshot.figures), period), snapshot)


@dataclass(frozen=True)
class PublicResult:
    """A closed period's figures as the public reads them (``published_results``): the rates worked out."""

    report: Report
    closed_at: datetime

    @staticmethod
    def share(part: int | None, whole: int | None) -> float | None:
        """``part`` of ``whole`` in per cent; None without a whole (nothing to rate) or a column not
        counted when the period was closed."""
        return 100 * part / whole if part is not None and whole else None

    @staticmethod
    def on_time(values: dict) -> float | None:
        """Answers sent early or on time, of all sent in the period (the dashboard's rate)."""
        late = values.get("answered_late")
        return None if late is None else on_time_rate(values.get("answered") or 0, late)

    def satisfied(self, values: dict) -> float | None:
        """Ratings "very satisfied" or "satisfied", of all given in the period."""
        very, fairly = values.get("very_satisfied"), values.get("satisfied")
        return self.share(None if very is None or fairly is None else very + fairly, values.get("rated"))


RESULTS_PER_PAGE = 8  # a year's seven periods and the last of the year before


@dataclass(frozen=True)
class ResultsPage:
    """One page of ``published_results``: what ``beyond_last_page`` and the page's links read."""

    items: list[PublicResult]
    page: int
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def published_results(page: int = 1, per_page: int = RESULTS_PER_PAGE) -> ResultsPage:
    """The closed periods, newest first, ``per_page`` a page: what the department publishes of its handling
    and of the citizens' satisfaction (the plan, items 13 and 24: "Công khai kết quả trên Cổng thông
    tin điện tử Sở"), every period it closed within reach. Only closed figures: those HCTH sent, which do
    not move afterwards. Only the reporting periods (quarters, half-years, years): a range closed for an
    ad-hoc request is the department's own, not a period it reports on, and would push a quarter off the page.
    Which periods are named is read from their dates alone (seven a year); only the page's figures are
    read and parsed."""
    dates = db.session.execute(select(ReportSnapshot.id, ReportSnapshot.period_start, ReportSnapshot.period_end)
                               .order_by(ReportSnapshot.period_end.desc(), ReportSnapshot.period_start)).all()
    # named ("2024-Q2", "2024-H1", "2024"), not a range of days
    named = [(sid, period) for sid, start, end in dates if ".." not in (period := between(start, end)).label]
    shown = named[(page - 1) * per_page:page * per_page]
    snapshots = {s.id: s for s in db.session.execute(
        select(ReportSnapshot).where(ReportSnapshot.id.in_([sid for sid, _ in shown]))).scalars()} if shown else {}
    items = [PublicResult(Report.from_dict(json.loads(snapshots[sid].figures), period), snapshots[sid].closed_at)
             for sid, period in shown if sid in snapshots]  # one reopened meanwhile is gone
    return ResultsPage(items, page, len(named), per_page)


def close_report(period: Period, actor: User | None, now: datetime | None = None) -> ReportSnapshot:
    """Store the report of ``period`` as it is now and commit; once per period (``AlreadyClosed``,
    also when two people close it at once), and only after its last day (``PeriodNotOver``)."""
    if not period.has_ended(now or CLOCK.now()):
        raise PeriodNotOver(period.label)
    existing = snapshot_of(period)
    if existing is not None:
        raise AlreadyClosed(existing)
    figures = json.dumps(build_report(period).as_dict(), ensure_ascii=False)
    snapshot = ReportSnapshot(period_start=period.start, period_end=period.end, label=period.label[:40],
                              figures=figures, closed_by_id=getattr(actor, "id", None),
                              closed_by_label=actor.full_name if actor else "dòng lệnh (flask report close)")
    db.session.add(snapshot)
    try:
        db.session.commit()
    except IntegrityError:  # closed by someone else meanwhile: theirs stands
        db.session.rollback()
        raise AlreadyClosed(snapshot_of(period)) from None
    return snapshot


def reopen_report(period: Period) -> bool:
    """Delete the stored figures of ``period`` (the report is counted again); False if it was not
    closed. Commits."""
    snapshot = snapshot_of(period)
    if snapshot is None:
        return False
    db.session.delete(snapshot)
    db.session.commit()
    return True
