"""The report on PAKN handling for a period, per unit and in total, computed by SQL aggregation.

The columns follow Biểu số 06/VPCP/KSTT of TT 01/2020/TT-VPCP (received: online, other channels,
carried over; settled: early, on time, late; pending: within the deadline, overdue), plus refused
(NĐ 20/2008 Art 9.1d), transferred to the competent agency, apology letters (NĐ 61/2018 Art 19.9),
published answers (NĐ 20/2008 Art 19) and satisfaction.

Every column is counted **as of the end of the period** from timestamps that never change once
written (``received_at``, ``answered_at``, ``closed_at`` = the audit time of the refusal or
transfer, ``published_at``, the letter's ``issued_on``, the rating's ``created_at``) so that the
report on a past period gives the same figures when run again later. Let S and E be local midnight
at the start of the period and after its last day (``Period.start_utc()``, ``end_utc_exclusive()``):

- ``received``: received_at in [S, E); ``received_online`` those sent on the portal, through the
  API or on the national PAKN system (channel ``web``/``api``/``national``), ``received_other`` the rest
  (post, e-mail, phone, in person).
- ``carried_over``: received before S and neither answered nor refused nor transferred before S.
- ``to_handle`` = received + carried_over.
- ``about_behaviour``: of those, the ones HCTH classified as about the behaviour of an agency or official
  (``subject``, NĐ 20/2008 Art 9.1b; brief §5 splits the form so); what a case is about is no event, so
  it counts as classified now, also when that was after the period.
- ``refused``: refused (không tiếp nhận) in [S, E); ``transferred``: transferred to another agency in [S, E)
  (event ``transfer_out``; not a case HCTH forwarded to one of the department's units).
- ``answered``: the approved answer was sent in [S, E); split into ``answered_early`` (on a local day
  before its due date), ``answered_on_time`` (on the due date itself, or with no due date) and
  ``answered_late`` (after the end of the due date). The due date is the answer's first one: an
  apology letter's new date does not make a late answer on time (services.cases.first_answer_due_date).
- ``pending``: in hand at E (received before E, not answered, refused or transferred before E);
  ``pending_overdue`` when its due date then was on or before the period's last day (the first due
  date of the answer when it was later answered or has an apology letter, else the current due date
  of a case still open; a case waiting for the citizen is not overdue), ``pending_on_time`` the rest.
  A period still running is read as of today (overdue = due date before today).
  A case overdue at E by the step it was at then stays overdue in the period when it moves on
  afterwards (refused, transferred, classified or forwarded after E, or given the late-at-office
  letter after E): the sweep's overdue mark of that step (``deadline_notices``, due by the last day,
  no move to another step from the day after it up to E) says so, so a past period counts the same when
  run again. Closing the period (services.reports.close_report) keeps the figures as sent.
  Always: to_handle = refused + transferred + answered + pending.
- ``apology_letters``: letters issued on a day of the period.
- ``published``: answers published in [S, E).
- ``rated``, ``very_satisfied`` / ``satisfied`` / ``not_satisfied``: ratings given in [S, E) (score 3/2/1).

A case counts for the unit now in charge of it; a case never forwarded to a unit (refused,
transferred or still at reception) counts for the office (HCTH).

An answer HCTH returns to the unit before publication (event ``return_answer``, QĐ 31/2021/QĐ-TTg
Art 46) changes none of this: the citizen received an approved answer at ``answered_at``, so the case
stays settled then, and Biểu 06 counts that answer as sent (early, on time or late against
``answered_due_date``). The return and the approval of the revised answer leave ``answered_at``,
``answered_due_date``, ``answered_on_time``, ``closed_at`` and ``unit_id`` as they were (the revision's
approval is ``revised_at``, which no column reads), and ``pending`` is read from ``answered_at``, so a
case being revised is neither pending nor overdue in any period: its revision date (step
``revise_answer``) is not one of ``DEPARTMENT_STEPS``. tests/test_return_answer.py checks that a
period's figures are the same before the return and after the re-approval.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Date, and_, case as when, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from workflows.clock import CLOCK
from workflows.deadlines import SAME_STEP_MOVES
from workflows.lifecycle import State

from ..extensions import db
from ..models import PORTAL_CHANNELS, ApologyLetter, DeadlineNotice, Feedback, Rating, Transition, Unit
from ..planner import not_an_index_key
from .periods import Period

# Sent online by the citizen: on the department's portal, through its API, or on the national PAKN
# system (Cổng DVCQG, QĐ 31/2021/QĐ-TTg Art 41), which HCTH enters by hand but the citizen filed online.
ONLINE_CHANNELS = PORTAL_CHANNELS + ("national",)
# Steps whose due date binds the department towards the citizen (the citizen's own deadline does not
# make it late; publication and the revision of a returned answer come after the answer was sent).
DEPARTMENT_STEPS = ("classify", "answer")

COLUMNS: tuple[str, ...] = (
    "received", "received_online", "received_other", "carried_over", "to_handle", "about_behaviour",
    "refused", "transferred",
    "answered", "answered_early", "answered_on_time", "answered_late",
    "pending", "pending_on_time", "pending_overdue",
    "apology_letters", "published",
    "rated", "very_satisfied", "satisfied", "not_satisfied",
)

TOTAL = ("TONG", "Tổng cộng")  # the code and name of the form's last line

# When the department was done with a case (answered, refused or transferred); see models.ix_feedback_settled.
SETTLED_AT = func.coalesce(Feedback.answered_at, Feedback.closed_at)


class local_date(FunctionElement):
    """The Vietnamese local calendar date of a UTC timestamp column (UTC+7, no daylight saving)."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return "date(%s, '+7 hours')" % compiler.process(element.clauses, **kw)


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    return "CAST((%s AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)" % compiler.process(element.clauses, **kw)


@dataclass
class ReportRow:
    unit_code: str
    unit_name: str
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit_code, "unit_name": self.unit_name, **self.values}


@dataclass
class Report:
    period: Period
    units: list[ReportRow]
    total: ReportRow

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.as_dict(), "columns": list(COLUMNS),
                "units": [r.as_dict() for r in self.units], "total": self.total.values}

    @classmethod
    def from_dict(cls, data: dict[str, Any], period: Period) -> Report:
        """The report that ``as_dict`` gave (a closed period's stored figures), for ``period``; a
        column added to the form since then reads None (not counted then), never a made-up 0."""
        def row(code: str, name: str, values: dict[str, Any]) -> ReportRow:
            return ReportRow(code, name, {k: values.get(k) for k in COLUMNS})
        return cls(period, [row(u["unit"], u["unit_name"], u) for u in data["units"]],
                   row(*TOTAL, data["total"]))


def _count(condition) -> Any:
    return func.sum(when((condition, 1), else_=0))


def _unit_key(office_id: int | None):
    return func.coalesce(Feedback.unit_id, literal(office_id) if office_id is not None else None)


def _answered_before(E):
    return and_(Feedback.answered_at.is_not(None), Feedback.answered_at < E)


def _answered_late(answered):
    """Answered after the end of the due date (``answered_on_time`` was stored when it was sent)."""
    return and_(answered, Feedback.answered_on_time.is_(False))


def answers_by_period(periods: list[Period], office_id: int | None) -> dict[tuple[int, int], tuple[int, int]]:
    """(answered, answered late) per (index of the period, unit id) for consecutive ``periods``, counted
    as ``build_report`` counts them, in one query: only the cases settled between the start of the
    first period and the end of the last are read, through ix_feedback_settled (the dashboard's four
    quarters at a million cases, instead of four whole reports). A case at no unit counts for
    ``office_id``, as in the reports."""
    if not periods:
        return {}
    S, E = periods[0].start_utc(), periods[-1].end_utc_exclusive()
    unit_key = _unit_key(office_id).label("unit_key")
    bucket = when(*((Feedback.answered_at < p.end_utc_exclusive(), i) for i, p in enumerate(periods))).label("bucket")
    answered = _answered_before(E)
    query = (select(bucket, unit_key, _count(answered), _count(_answered_late(answered)))
             .where(SETTLED_AT >= S, SETTLED_AT < E, Feedback.answered_at.is_not(None))
             .group_by(bucket, unit_key))
    return {(i, key): (int(n or 0), int(late or 0)) for i, key, n, late in db.session.execute(query)}


def build_report(period: Period) -> Report:
    """Aggregate queries (cases, the overdue ones the first cannot see, publications, letters, ratings), each
    grouped by unit, summed into the report's rows: one per active unit and per stopped unit with a figure."""
    units = db.session.execute(select(Unit).order_by(Unit.is_office.desc(), Unit.id)).scalars().all()
    office_id = next((u.id for u in units if u.is_office), None)
    unit_key = _unit_key(office_id).label("unit_key")
    rows = _case_counts(period, unit_key)
    _count_events(period, unit_key, rows)

    report_rows = []
    for unit in units:
        row = ReportRow(unit.code, unit.name)
        row.values.update(rows.get(unit.id, {}))
        _derive(row.values)
        # a stopped unit is a row only where it has a figure: not a line of zeros in every period,
        # also those before it existed (one with cases in the period keeps its row, the total its sum)
        if unit.active or any(row.values.values()):
            report_rows.append(row)
    total = ReportRow(*TOTAL)
    for row in report_rows:
        for name in COLUMNS:
            total.values[name] += row.values[name]
    return Report(period, report_rows, total)


def _add(rows: dict, key, name: str, n) -> None:
    rows.setdefault(key, {}).setdefault(name, 0)
    rows[key][name] += int(n or 0)


def _case_counts(period: Period, unit_key) -> dict[int | None, dict[str, int]]:
    """The columns counted from the cases themselves, by unit: received, settled, pending and overdue."""
    S, E = period.start_utc(), period.end_utc_exclusive()
    in_period = and_(Feedback.received_at >= S, Feedback.received_at < E)
    answered = _answered_before(E)
    early = and_(answered, Feedback.answered_due_date.is_not(None),
                 local_date(Feedback.answered_at) < Feedback.answered_due_date)
    closed = and_(Feedback.closed_at.is_not(None), Feedback.closed_at < E)
    pending = and_(Feedback.received_at < E, or_(Feedback.answered_at.is_(None), Feedback.answered_at >= E),
                   or_(Feedback.closed_at.is_(None), Feedback.closed_at >= E))
    # An open case with an apology letter (extension_count > 0) is late by the answer's first date: it
    # is counted below from its letters, which are few, not by a lookup per case here (a correlated
    # subquery would also cost PostgreSQL its parallel scan).
    open_with_letter = and_(Feedback.answered_at.is_(None), Feedback.extension_count > 0)
    due_then = when((Feedback.answered_at.is_not(None), Feedback.answered_due_date),
                    (open_with_letter, None),
                    (Feedback.due_step.in_(DEPARTMENT_STEPS), Feedback.due_date), else_=None)
    # a period still running is read as of today: a due date not yet passed is not overdue
    last_day = min(period.end, CLOCK.today() - timedelta(days=1))
    overdue = and_(pending, due_then.is_not(None), due_then <= last_day)

    sums = {
        "received": _count(in_period),
        "received_online": _count(and_(in_period, Feedback.channel.in_(ONLINE_CHANNELS))),
        "carried_over": _count(Feedback.received_at < S),
        "about_behaviour": _count(Feedback.subject == "behaviour"),
        "refused": _count(and_(closed, Feedback.state == "refused")),
        "transferred": _count(and_(closed, Feedback.state == "transferred")),
        "answered": _count(answered),
        "answered_early": _count(early),
        "answered_late": _count(_answered_late(answered)),
        "pending": _count(pending),
        "pending_overdue": _count(overdue),
    }
    # Only cases not settled before S and received before E can count. The expression index
    # ix_feedback_settled (settled, received_at) finds them without reading the years of settled cases
    # and checks the received date inside the index (SQLite and PostgreSQL both use it for the OR);
    # the received date is kept off the planner's index choice, since it alone matches nearly every row.
    cases = (select(unit_key, *(expr.label(name) for name, expr in sums.items()))
             .where(or_(SETTLED_AT.is_(None), SETTLED_AT >= S), not_an_index_key(Feedback.received_at) < E)
             .group_by(unit_key))
    rows: dict[int | None, dict[str, int]] = {}
    for row in db.session.execute(cases).mappings():
        rows[row["unit_key"]] = {name: int(row[name] or 0) for name in sums}

    first_letter = ApologyLetter.first_missed().subquery()
    # ... unless it waits for the citizen at E (asked before E, not answered by E): the clock stops then,
    # also for a case HCTH held past the whole case's limit, which got the automatic letter, and then asked
    late_by_letter = and_(open_with_letter, ~_waiting_at(E))
    overdue_after_letter = (select(unit_key, func.count()).select_from(first_letter)
                            .join(Feedback, Feedback.id == first_letter.c.feedback_id)
                            .where(pending, late_by_letter, first_letter.c.missed <= last_day).group_by(unit_key))
    for key, n in db.session.execute(overdue_after_letter):
        _add(rows, key, "pending_overdue", n)
    # Overdue at E by the step it was at then, which the two counts above cannot read once the case has
    # moved on (refused or transferred after E, classified or forwarded after E, or given the late-at-office
    # letter after E, whose missed date is the whole case's limit): the sweep's overdue mark of a department
    # step due by the last day, with no move to another step from the day after that date up to E. Those two
    # counted already are left out; few cases have such marks, each read through its index.
    counted = or_(overdue, and_(late_by_letter, Feedback.id.in_(
        select(first_letter.c.feedback_id).where(first_letter.c.missed <= last_day))))
    moved_on = (select(Transition.id).where(Transition.feedback_id == Feedback.id,
                                            Transition.from_state != Transition.to_state,
                                            Transition.event.not_in(SAME_STEP_MOVES),  # classified late: still late
                                            local_date(Transition.at) > DeadlineNotice.due_date, Transition.at < E)
                .exists())
    overdue_by_mark = (select(unit_key, func.count(func.distinct(Feedback.id))).select_from(DeadlineNotice)
                       .join(Feedback, Feedback.id == DeadlineNotice.feedback_id)
                       .where(DeadlineNotice.kind == "overdue", DeadlineNotice.step.in_(DEPARTMENT_STEPS),
                              DeadlineNotice.due_date <= last_day, pending, ~counted, ~moved_on)
                       .group_by(unit_key))
    for key, n in db.session.execute(overdue_by_mark):
        _add(rows, key, "pending_overdue", n)
    return rows


def _count_events(period: Period, unit_key, rows: dict) -> None:
    """The columns counted from what happened within the period, by unit: publications, letters, ratings."""
    S, E = period.start_utc(), period.end_utc_exclusive()
    published = (select(unit_key, func.count()).where(Feedback.published_at >= S, Feedback.published_at < E)
                 .group_by(unit_key))
    for key, n in db.session.execute(published):
        _add(rows, key, "published", n)
    letters = (select(unit_key, func.count()).select_from(ApologyLetter).join(Feedback)
               .where(ApologyLetter.issued_on >= period.start, ApologyLetter.issued_on <= period.end)
               .group_by(unit_key))
    for key, n in db.session.execute(letters):
        _add(rows, key, "apology_letters", n)
    ratings = (select(unit_key, Rating.score, func.count()).select_from(Rating).join(Feedback)
               .where(Rating.created_at >= S, Rating.created_at < E).group_by(unit_key, Rating.score))
    score_names = {3: "very_satisfied", 2: "satisfied", 1: "not_satisfied"}
    for key, score, n in db.session.execute(ratings):
        _add(rows, key, score_names[score], n)
        _add(rows, key, "rated", n)


def _waiting_at(end):
    """SQL: the case was waiting for the citizen's information at ``end`` (a UTC instant): its last move
    before ``end`` took it there (``request_info``); the audit rows are read, the case's state now may
    be another."""
    asked, later = aliased(Transition), aliased(Transition)
    waiting = State.AWAITING_INFO.value
    return (select(asked.id).where(
        asked.feedback_id == Feedback.id, asked.to_state == waiting, asked.from_state != waiting, asked.at < end,
        ~select(later.id).where(later.feedback_id == asked.feedback_id, later.from_state == waiting,
                                later.to_state != waiting, later.at > asked.at, later.at < end).exists())
        .exists())


def _derive(v: dict[str, int]) -> None:
    """The columns that follow from the counted ones."""
    v["received_other"] = v["received"] - v["received_online"]
    v["to_handle"] = v["received"] + v["carried_over"]
    v["answered_on_time"] = v["answered"] - v["answered_early"] - v["answered_late"]
    v["pending_on_time"] = v["pending"] - v["pending_overdue"]
