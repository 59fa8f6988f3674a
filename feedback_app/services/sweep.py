"""The deadline sweep: one pass over what is due as of an instant.

What it does (each stored once, so that a second sweep, or two in parallel, does nothing more):

* **overdue**: a case whose current step's due date ended (end of the local day) is marked overdue:
  ``overdue_since`` = the missed date, a ``DeadlineNotice(kind="overdue")`` and an audit row (event
  ``overdue``, from = to = the state: a fact, not a state change, so it does not go through the machine);
* **apology letter**: when the *answer* date is missed for the first time, the automatic letter
  (NĐ 61/2018/NĐ-CP Art 19.9; department's plan item 21) promises a new date
  (``Rules.apology_new_date_days`` working days after the missed one) and moves the case's due date;
  its mail waits ``APOLOGY_GRACE_HOURS`` so that staff can still write the reason;
* **a case still at HCTH past the whole case's limit** (20 working days from receipt, plus the days
  spent waiting for the citizen): the same automatic letter, its new date the classify step's due date
  (``_late_at_office_pass``); a case forwarded after that limit is due on the limit, already late;
* **escalation**: the new date can be set only once (Art 19.9): a second miss sets no date but
  escalates the case to the leader (mail, ``escalated_at``), who decides;
* **reminders**: ``Rules.reminder_days_before`` working days before the step's internal target
  (``Feedback.target_date``, per category), one mail to whoever holds the step;
* **progress notices**: while a case is still open after its answer's first due date, the citizen
  gets a mail every ``Rules.progress_notice_days`` working days after that date (QĐ 574/QĐ-TTg,
  QĐ 852/QĐ-BNV), one per notice day (``DeadlineNotice(kind="progress")``); after a downtime only the
  latest missed one. A citizen without e-mail is owed it by phone or post (``citizen_notices``), the
  latest only: a newer notice replaces one HCTH has not given yet;
* **a returned answer** (``Step.REVISE``: HCTH returned the answer before publication, QĐ 31/2021/QĐ-TTg
  Art 46) gets what the department's other internal steps get, the reminder and the overdue mark (the
  digest and the overdue list show it to the leader), but never an apology letter nor a progress
  notice: the citizen already has an answer, and NĐ 61/2018 Art 19.9's letter is for a result not
  returned in time; its overdue mark is not shown to the citizen either, whose deadline was met or
  missed by the answer already sent;
* **digest**: once a local day (from ``DIGEST_HOUR``) the leader gets the list of overdue cases.

Only due rows are read, through ``ix_feedback_due`` (due_date, state) and ``ix_feedback_target``
(target_date, state), so the cost grows with what is due, not with what is stored. On PostgreSQL the
rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``: two schedulers split the work instead of
doing it twice; the unique constraints (letters per missed date, notices, outbox keys) are the last
line of defence on every database. The sweep is stateless: one missed while the process was down is
caught up by the next, which sees every date that passed meanwhile.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from flask import current_app
from sqlalchemy import case as sql_case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from workflows.clock import CLOCK, LOCAL_TZ, end_of_local_day, local_date
from workflows.deadlines import INTERNAL_STEPS, STEP_LABELS, Promise, Step
from workflows.lifecycle import AT_UNIT_STATES, OPEN_STATES, Role, State

from ..extensions import db
from ..models import ApologyLetter, DeadlineNotice, Feedback, Unit, User
from ..planner import sorted_without_index
from . import citizen_notices, outbox
from .calendar import basis_text, deadlines, recheck_after_change
from .cases import SYSTEM, clock_of
from .cases import audit as _audit
from .letters import grace_end, mail_key, new_letter, queue_letter_mail
from .sequences import next_values

# The department's own deadlines (the citizen's, while awaiting info, is not the department's delay).
SWEPT_STATES = (State.RECEIVED.value, State.CLASSIFIED.value, State.FORWARDED.value, State.COLLECTING.value,
                State.UNDER_REVIEW.value, State.ANSWERED.value)
BATCH = 500
# The steps due on an apology letter's promised date once there is one (the answer, and the classify
# step of a case returned to HCTH after the letter): missing it is the second miss of NĐ 61/2018 Art 19.9.
PROMISED_STEPS = (Step.ANSWER.value, Step.CLASSIFY.value)


@dataclass
class SweepResult:
    now: datetime
    overdue: int = 0
    letters: int = 0
    escalations: int = 0
    reminders: int = 0
    progress: int = 0
    digests: int = 0
    due_dates_moved: int = 0  # received with the calendar of before a change (calendar.recheck_after_change)
    skipped: int = 0          # claimed by someone else meanwhile (a parallel sweep, a staff change)
    find_seconds: float = 0.0   # the queries that find what is due (through the indexes)
    claim_seconds: float = 0.0  # loading and locking each batch of it by primary key
    seconds: float = 0.0
    letter_ids: list[int] = field(default_factory=list)

    def merge(self, other: "SweepResult") -> None:
        for name in ("overdue", "letters", "escalations", "reminders", "progress", "digests", "skipped",
                     "claim_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.letter_ids += other.letter_ids

    def summary(self) -> str:
        return (f"overdue {self.overdue}, letters {self.letters}, escalations {self.escalations}, "
                f"reminders {self.reminders}, progress notices {self.progress}, digests {self.digests}, due dates moved {self.due_dates_moved}, "
                f"skipped {self.skipped} "
                f"({self.seconds:.2f} s, of which finding {self.find_seconds:.2f} s, "
                f"claiming {self.claim_seconds:.2f} s)")


def audit(case: Feedback, event: str, source: str, dest: str, actor, *, at: datetime, note: str,
          public: bool = True):
    """An audit row stamped with the sweep's instant (which may be given, e.g. ``--now``)."""
    row = _audit(case, event, source, dest, actor, note=note, public=public)
    row.at = at
    return row


def _on_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


class _Recipients:
    """Who gets the mails, read once per sweep."""

    def __init__(self) -> None:
        users = db.session.execute(select(User.email, User.role, User.unit_id).where(User.active)).all()
        units = db.session.execute(select(Unit.id, Unit.email, Unit.is_office, Unit.name)).all()
        office_units = {u.id for u in units if u.is_office}
        self.names = {u.id: u.name for u in units}
        self.office_name = next((u.name for u in units if u.is_office), "Phòng Hành chính - Tổng hợp")
        self.leaders = sorted({u.email for u in users if u.role == Role.LEADER.value})
        self.office = sorted({u.email for u in users if u.role == Role.OFFICE.value}
                             | {u.email for u in units if u.is_office and u.email})
        self.unit: dict[int, list[str]] = {}
        for u in units:
            if u.id not in office_units:
                self.unit[u.id] = sorted({x.email for x in users if x.unit_id == u.id and x.role == Role.UNIT.value}
                                         | ({u.email} if u.email else set()))

    def for_step(self, case: Feedback) -> list[str]:
        if case.due_step in (Step.ANSWER.value, Step.REVISE.value):  # the unit drafts, the leader approves
            if case.state == State.UNDER_REVIEW.value:
                return self.leaders
            return self.unit.get(case.unit_id, []) or self.office
        return self.office

    def addressed(self, case: Feedback) -> str:
        """Whom ``for_step``'s mail greets: the unit, the leader or HCTH by name, as the other mails do."""
        if case.due_step in (Step.ANSWER.value, Step.REVISE.value):
            if case.state == State.UNDER_REVIEW.value:
                return "Lãnh đạo Sở"
            if self.unit.get(case.unit_id):
                return self.names[case.unit_id]
        return self.office_name


def _begin_batch() -> None:
    """SQLite: open the batch's transaction explicitly, taking the write lock at once. Without it
    pysqlite starts no transaction before the first savepoint, so every case's savepoint would be a
    transaction of its own (one disk sync per case), and a second sweep could read the same rows."""
    if db.engine.dialect.name != "sqlite":
        return
    dbapi = db.session.connection().connection.dbapi_connection
    if not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def _claim(query, result: SweepResult):
    started = time.perf_counter()
    _begin_batch()
    if _on_postgres():
        query = query.with_for_update(skip_locked=True, of=Feedback)
    rows = db.session.execute(query).scalars().all()
    result.claim_seconds += time.perf_counter() - started
    return rows


def _in_savepoint(result: SweepResult, work) -> bool:
    """Run ``work`` in a savepoint: a unique violation (someone else did it) undoes only this case."""
    try:
        with db.session.begin_nested():
            work()
        return True
    except (IntegrityError, StaleDataError):
        result.skipped += 1
        return False


def sweep(now: datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """One sweep as of ``now`` (default: the clock). Commits per batch."""
    now = now or CLOCK.now()
    result = SweepResult(now=now)
    started = time.perf_counter()
    result.due_dates_moved = recheck_after_change(now, SYSTEM)  # before anything is judged on a due date
    plan = deadlines()
    today = local_date(now)
    recipients = _Recipients()
    _overdue_pass(now, today, plan, recipients, result, batch)
    _late_at_office_pass(now, today, plan, recipients, result, batch)
    _reminder_pass(now, today, plan, recipients, result, batch)
    _progress_pass(now, today, plan, result, batch)
    _digest(now, today, plan, recipients, result)
    db.session.commit()  # release the last (possibly empty) batch's locks
    result.seconds = time.perf_counter() - started
    current_app.logger.info("deadline sweep as of %s: %s", now.isoformat(), result.summary())
    return result


# --- overdue, letters, escalation ------------------------------------------------------------

def _due_batches(where: list, order: list, batch: int, result: SweepResult):
    """What is due, found once through the index (ids only), then claimed batch by batch with the
    same conditions checked again, so that a row another sweep handled meanwhile drops out."""
    started = time.perf_counter()
    ids = db.session.execute(select(Feedback.id).where(*where).order_by(*order)).scalars().all()
    result.find_seconds += time.perf_counter() - started
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        cases = _claim(select(Feedback).where(Feedback.id.in_(chunk), *where).order_by(*order), result)
        if cases:
            yield cases


def _overdue_pass(now, today, plan, recipients, result, batch) -> None:
    hold = grace_end(now)  # office hours to write the reason (letters.grace_end)
    where = [Feedback.due_date < today, Feedback.state.in_(SWEPT_STATES),
             or_(Feedback.overdue_since.is_(None), Feedback.overdue_since != Feedback.due_date)]
    for cases in _due_batches(where, [Feedback.due_date, Feedback.id], batch, result):
        _whole_batch_else_each(cases, where, result, lambda some: _overdue_batch(some, now, hold, plan, recipients))
        _after_committed_batch()


def _whole_batch_else_each(cases: list[Feedback], where: list, result: SweepResult,
                           work: Callable[[list[Feedback]], SweepResult]) -> None:
    """``work`` on a claimed batch at once, committed; if someone else produced part of it meanwhile (a
    unique constraint or a case's version says so), undone, and done case by case, each claimed again
    (``where`` checked again): what the other produced is skipped, nothing is done twice."""
    ids = [case.id for case in cases]
    try:
        done = work(cases)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        done = SweepResult(now=result.now)
        for case_id in ids:
            one = _claim(select(Feedback).where(Feedback.id == case_id, *where), result)
            try:
                part = work(one) if one else None
                db.session.commit()
            except (IntegrityError, StaleDataError):
                db.session.rollback()
                part = None
            if part is None:
                result.skipped += 1
            else:
                done.merge(part)
    result.merge(done)


# A test hook, off unless the environment sets it: after this many committed overdue batches the
# sweep says so on stderr and waits, so that tests/test_faults.py can SIGKILL it at a known point
# and show that the next sweep finishes the work without doing any of it twice.
PAUSE_AFTER_BATCHES_ENV = "PAKN_TEST_SWEEP_PAUSE_AFTER_BATCHES"
_committed_batches = 0


def _after_committed_batch() -> None:
    global _committed_batches
    pause_after = int(os.environ.get(PAUSE_AFTER_BATCHES_ENV) or 0)
    if not pause_after:
        return
    _committed_batches += 1
    if _committed_batches == pause_after:
        sys.stderr.write(f"pakn sweep paused after {pause_after} committed batches\n")
        sys.stderr.flush()
        time.sleep(600)  # the test kills the process long before


def _overdue_batch(cases: list[Feedback], now, hold, plan, recipients) -> SweepResult:
    """Mark a batch overdue and produce its letters and escalations in bulk: one counter update
    for the letter numbers, one flush for every row, then the letters' mails (they need the ids)."""
    done = SweepResult(now=now)
    issued = local_date(hold)  # the working day the letters go out, not the Saturday the sweep found them
    wanted = [c for c in cases if c.due_step == Step.ANSWER.value and c.extension_count == 0]
    with db.session.no_autoflush:
        numbers = iter(next_values(f"letter:{issued.year}", len(wanted)))
        letters = []
        for case in cases:
            missed, step, state = case.due_date, case.due_step, case.state
            db.session.add(DeadlineNotice(feedback_id=case.id, step=step, kind="overdue", due_date=missed,
                                          created_at=now))
            case.overdue_since = missed
            # the citizen reads the dates of their own case: not the revision of a returned answer (the
            # department's own date), nor the publication of one they already hold on time, which their
            # timeline would read as their answer late ("Quá thời hạn xử lý" after "Duyệt và gửi trả lời")
            audit(case, "overdue", state, state, SYSTEM, at=now, public=step not in INTERNAL_STEPS,
                  note=f"Quá hạn {STEP_LABELS[Step(step)].lower()}: hạn {missed:%d/%m/%Y} "
                       f"({basis_text(case.due_basis)})")
            done.overdue += 1
            # only the answer step has letters and promises: a returned answer's REVISE step has neither
            if step == Step.ANSWER.value and case.extension_count == 0:
                letters.append(_automatic_letter(case, missed, now, plan, next(numbers), issued))
            elif case.extension_count and step in PROMISED_STEPS:
                # the promised date passed, at the unit or back at HCTH (where the classify step is
                # due on it, workflows.deadlines.Deadlines._back_at_office): no second date
                _escalate(case, missed, now, recipients, done)
        db.session.flush()
        _send_letters(letters, now, hold, recipients)
        done.letter_ids += [letter.id for letter in letters]
    db.session.flush()
    done.letters = len(letters)
    return done


def _send_letters(letters: list[ApologyLetter], now, hold, recipients) -> None:
    """The mails (or notices) of a batch's new letters, held until ``hold``, and the mail asking staff for
    each one's reason. Their keys are looked up once for the batch, not once each (bench/sweep.py at
    100,000 cases on PostgreSQL: 17,579 queries for 10,000 letters), and the rows of one kind are
    written in a run, which the flush INSERTs in one statement per run instead of one per row."""
    taken = citizen_notices.keys_taken([key for letter in letters for key in (mail_key(letter), _reason_key(letter))])
    for letter in letters:
        queue_letter_mail(letter, now, hold, taken)
    for letter in letters:
        _ask_for_the_reason(letter, hold, recipients, taken)


def _reason_key(letter: ApologyLetter) -> str:
    return f"letter_reason:{letter.id}"


def _ask_for_the_reason(letter: ApologyLetter, hold, recipients, taken: Collection[str]) -> None:
    """Tell whoever holds the case that its automatic letter carries the default reason and leaves at
    ``hold``: until then they may write the real one on the case page (letters.set_reason). The mail never
    expires (``outbox.expires_at``): it also tells the holder that the case went overdue and what the letter
    promised, whenever it arrives."""
    case = letter.feedback
    sends_at = f"{hold.astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y}"
    outbox.enqueue(_reason_key(letter), "letter_reason", recipients.for_step(case),
                   f"Phiếu xin lỗi tự động {letter.reference} cho {case.code}: ghi lý do trước {sends_at}",
                   "letter_reason", feedback=case, taken=taken, letter=letter, sends_at=sends_at,
                   link=_case_link(case), addressed=recipients.addressed(case))


def _case_link(case) -> str:
    """The case's page for whoever holds it: the unit's while the unit handles it, else the office's
    (HCTH's, and the leader's)."""
    return outbox.link("unit.case" if State(case.state) in AT_UNIT_STATES else "office.case", code=case.code)


def _automatic_letter(case, missed, now, plan, number: int, issued: date, *,
                      at_office: bool = False) -> ApologyLetter:
    """NĐ 61/2018 Art 19.9: apologise and promise a new date (the department's default: +5 working days).
    The letter is the answer's (``Step.ANSWER``): the citizen waits for the answer, wherever the case is.
    It is dated ``issued``, the day its mail goes (the grace period's end, a working day: a letter signed
    for the department is not dated on a Saturday). ``at_office``: the case is still at HCTH, whose
    classify step is then due on the promised date, as for a case a unit returned after its letter
    (``Deadlines._back_at_office``)."""
    today = local_date(now)
    new_due = plan.automatic_promise(missed, today)
    letter = new_letter(case, missed_due_date=missed, new_due=new_due, reason=None, automatic=True, now=now,
                        number=number, issued_on=issued)
    if at_office:
        new_due = plan.promised(Step.CLASSIFY, Promise(missed, new_due.date), today)
    case.due = new_due
    case.target_date = new_due.date  # the promise to the citizen is the target now
    case.extension_count += 1
    audit(case, "apology_letter", case.state, case.state, SYSTEM, at=now,
          note=f"Phiếu xin lỗi tự động số {letter.reference}; hẹn lại ngày {new_due.date:%d/%m/%Y} "
               f"(NĐ 61/2018/NĐ-CP, Điều 19.9)")
    return letter


# --- the whole case's limit passed while HCTH holds it -----------------------------------------

AT_OFFICE = (State.RECEIVED.value, State.CLASSIFIED.value)


def _late_at_office_pass(now, today, plan, recipients, result, batch) -> None:
    """A case HCTH still holds (never forwarded, or returned by a unit) when the whole case's limit of
    20 working days from receipt passes: its classify step was marked overdue long ago, and the citizen
    is owed the apology letter as if the unit had missed the answer (NĐ 61/2018 Art 19.9; brief,
    "apology letter"; QĐ 574/QĐ-TTg, TT 02/2017: 20 days for the whole case). Read through
    ``ix_feedback_state_received``: only cases received more than ``case_total_days`` calendar days ago
    can be past a limit that many working days away; the exact limit (with the days spent waiting for
    the citizen) is then computed per case."""
    hold = grace_end(now)  # office hours to write the reason (letters.grace_end)
    cutoff = datetime.combine(today - timedelta(days=plan.rules.case_total_days), dt_time(0), LOCAL_TZ)
    where = [Feedback.state.in_(AT_OFFICE), Feedback.received_at < cutoff, Feedback.extension_count == 0]
    # not in order of ix_feedback_received_at: SQLite walked it over nearly every case to skip a sort of
    # the few at HCTH (2.8 s at a million cases, bench/sweep.py, against the target of 2 s for every find)
    for cases in _due_batches(where, [sorted_without_index(Feedback.received_at), Feedback.id], batch, result):
        late = [(case, missed) for case in cases
                if (missed := plan.late_at_office(clock_of(case), today)) is not None]
        if not late:
            db.session.commit()
            continue
        try:
            issued = local_date(hold)  # as in _overdue_batch
            numbers = iter(next_values(f"letter:{issued.year}", len(late)))
            letters = [_automatic_letter(case, missed, now, plan, next(numbers), issued, at_office=True)
                       for case, missed in late]
            db.session.flush()
            _send_letters(letters, now, hold, recipients)
            db.session.commit()
        except (IntegrityError, StaleDataError):
            # a staff change or another sweep got there first (the version, the unique letter): the
            # next sweep sees the case as it is now
            db.session.rollback()
            result.skipped += len(late)
            continue
        result.letters += len(letters)
        result.letter_ids += [letter.id for letter in letters]


def _escalate(case, missed, now, recipients, result: SweepResult) -> None:
    """The date was moved once already (Art 19.9 allows no second date): the leader decides."""
    db.session.add(DeadlineNotice(feedback_id=case.id, step=case.due_step, kind="escalation", due_date=missed,
                                  created_at=now))
    case.escalated_at = now
    audit(case, "escalated", case.state, case.state, SYSTEM, at=now, public=False,
          note=f"Quá hạn đã hẹn lại ({missed:%d/%m/%Y}); không được hẹn lại lần hai (NĐ 61/2018/NĐ-CP, "
               f"Điều 19.9): chuyển lãnh đạo quyết định")
    outbox.enqueue(f"escalation:{case.code}:{missed.isoformat()}", "escalation", recipients.leaders,
                   f"Phản ánh, kiến nghị {case.code} quá hạn đã hẹn lại - cần lãnh đạo quyết định",
                   "escalation", feedback=case, missed=missed, link=outbox.link("office.case", code=case.code))
    result.escalations += 1


# --- reminders -------------------------------------------------------------------------------

# The reminder of a step, stored once per holder: a draft the unit sends for approval after its own
# reminder went is reminded to the leader too (``recipients.for_step``), who holds the step now.
REVIEW_REMINDER = "review_reminder"


def _reminder_kind(state):
    return REVIEW_REMINDER if state == State.UNDER_REVIEW.value else "reminder"


def _reminder_pass(now, today, plan, recipients, result, batch) -> None:
    horizon = plan.cal.add_working_days(today, plan.rules.reminder_days_before)
    kind = sql_case((Feedback.state == State.UNDER_REVIEW.value, REVIEW_REMINDER), else_="reminder")
    sent = exists().where(DeadlineNotice.feedback_id == Feedback.id, DeadlineNotice.kind == kind,
                          DeadlineNotice.step == Feedback.due_step, DeadlineNotice.due_date == Feedback.target_date)
    where = [Feedback.target_date >= today, Feedback.target_date <= horizon, Feedback.state.in_(SWEPT_STATES), ~sent]
    for cases in _due_batches(where, [Feedback.target_date, Feedback.id], batch, result):
        _whole_batch_else_each(cases, where, result, lambda some: _remind_batch(some, now, today, plan, recipients))


def _remind_batch(cases: list[Feedback], now, today, plan, recipients) -> SweepResult:
    """The reminders of a claimed batch whose reminder day has come (checked per case, counting back from
    its target, as the query's horizon counts forward from today), their mails' keys looked up at once
    and the rows written by one flush (as ``_send_letters``)."""
    done = SweepResult(now=now)
    due = [case for case in cases if plan.reminder_day(case.target_date) <= today]
    taken = outbox.keys_taken([_reminder_key(case) for case in due])
    with db.session.no_autoflush:
        for case in due:
            _remind(case, now, recipients, taken)
            done.reminders += 1
    db.session.flush()
    return done


# What the holder of each step must do by the target date, by (step, state): the reminder's subject
# names it, its text says who does it and the ways out, since "sắp đến hạn" alone says neither.
_HCTH, _UNIT, _LEADER = "Phòng Hành chính - Tổng hợp", "Đơn vị xử lý", "Lãnh đạo Sở"
REMINDER_TASKS: dict[tuple[Step, State], tuple[str, str]] = {
    (Step.CLASSIFY, State.RECEIVED): ("phân loại, chuyển xử lý", f"{_HCTH} cần phân loại và chuyển đơn vị xử lý "
                                      "(hoặc từ chối thụ lý, chuyển cơ quan có thẩm quyền, đề nghị người gửi bổ sung "
                                      "thông tin)"),
    (Step.CLASSIFY, State.CLASSIFIED): ("chuyển đơn vị xử lý", f"{_HCTH} cần chuyển phản ánh, kiến nghị đã phân loại "
                                        "cho đơn vị xử lý (hoặc chuyển cơ quan có thẩm quyền)"),
    (Step.ANSWER, State.FORWARDED): ("trình dự thảo trả lời", f"{_UNIT} cần soạn dự thảo trả lời và trình {_LEADER} "
                                     "duyệt, để câu trả lời được gửi người dân"),
    (Step.ANSWER, State.UNDER_REVIEW): ("duyệt câu trả lời", f"{_LEADER} cần duyệt dự thảo trả lời để gửi người dân "
                                        "(hoặc yêu cầu đơn vị chỉnh sửa)"),
    (Step.PUBLISH, State.ANSWERED): ("công khai kết quả", f"{_HCTH} cần rà soát bản đã che thông tin cá nhân và công "
                                     "khai câu trả lời (hoặc trả lại đơn vị nếu câu trả lời chưa phù hợp để công khai)"),
    (Step.REVISE, State.FORWARDED): ("hoàn thiện câu trả lời", f"{_UNIT} cần hoàn thiện câu trả lời {_HCTH} đã trả lại "
                                     f"và trình {_LEADER} duyệt lại"),
    (Step.REVISE, State.UNDER_REVIEW): ("duyệt câu trả lời đã hoàn thiện", f"{_LEADER} cần duyệt câu trả lời đơn vị "
                                        "đã hoàn thiện (hoặc yêu cầu đơn vị chỉnh sửa)"),
}
# Collecting more basis (NĐ 20/2008 Art 14.2b) is the unit's answer step still: the same action, its own words.
REMINDER_TASKS[Step.ANSWER, State.COLLECTING] = (
    REMINDER_TASKS[Step.ANSWER, State.FORWARDED][0],
    f"{_UNIT} đang thu thập thêm cơ sở (NĐ 20/2008/NĐ-CP, Điều 14.2b): cần hoàn tất, tiếp tục xử lý và trình "
    f"{_LEADER} dự thảo trả lời, để câu trả lời được gửi người dân")


def _reminder_key(case: Feedback) -> str:
    key = f"reminder:{case.code}:{case.due_step}:{case.target_date.isoformat()}"
    if _reminder_kind(case.state) == REVIEW_REMINDER:  # the leader's, after the unit's of the same step and date
        key += ":review"
    return key


def _remind(case: Feedback, now, recipients, taken: Collection[str]) -> None:
    db.session.add(DeadlineNotice(feedback_id=case.id, step=case.due_step, kind=_reminder_kind(case.state),
                                  due_date=case.target_date, created_at=now))
    to = recipients.for_step(case)
    step = Step(case.due_step)
    action, task = REMINDER_TASKS.get((step, State(case.state)), (STEP_LABELS[step].lower(), None))
    outbox.enqueue(_reminder_key(case), "reminder", to,
                   f"Nhắc hạn {action}: {case.code} - hạn {case.target_date:%d/%m/%Y}", "reminder", feedback=case,
                   taken=taken, step=step.value, step_label=STEP_LABELS[step], task=task,
                   at_unit=State(case.state) in AT_UNIT_STATES,  # the unit may still issue its own letter
                   link=_case_link(case), addressed=recipients.addressed(case),
                   # after the legal date, the overdue mark and the letter say it (a field's own target is earlier)
                   expires_at=end_of_local_day(case.due_date or case.target_date))


# --- progress notices to the citizen ----------------------------------------------------------

# Open, not yet answered: a case back at HCTH after a return counts too; an answer HCTH returned to the
# unit before publication does not (``answered_at`` is set: the citizen has an answer, _progress_pass).
PROGRESS_STATES = tuple(state.value for state in OPEN_STATES)


def progress_notice_day(first_due: date, today: date, plan) -> date | None:
    """The latest day on or before ``today`` a progress notice was due: ``progress_notice_days``,
    2×, 3× … working days after the answer's first due date (QĐ 574/QĐ-TTg, QĐ 852/QĐ-BNV (S));
    None before the first, or when the setting is 0 (no notices)."""
    interval = plan.rules.progress_notice_days
    if interval <= 0:
        return None
    notices = plan.cal.count_working_days(first_due, today) // interval
    return plan.cal.add_working_days(first_due, notices * interval) if notices > 0 else None


def _progress_pass(now, today, plan, result, batch) -> None:
    """A case overdue on its answer has an answer letter (the overdue pass wrote the automatic one, or
    the unit its own), whose missed date is the answer's first due date (cases.first_answer_due_date):
    only those cases are read, and only when that date lies at least the interval behind (in calendar
    days: a bound the working-day check below then makes exact). Each notice is keyed by the day it
    was due, so a second sweep, a parallel one or one catching up after a downtime (which sends only
    the latest notice missed, not a burst) writes it once."""
    interval = plan.rules.progress_notice_days
    if interval <= 0:
        return
    # driven by the letters (IN: read once, then the cases by primary key), not by the open cases
    overdue = select(ApologyLetter.feedback_id).where(ApologyLetter.step == Step.ANSWER.value,
                                                      ApologyLetter.missed_due_date <= today - timedelta(days=interval))
    where = [Feedback.id.in_(overdue), Feedback.state.in_(PROGRESS_STATES), Feedback.answered_at.is_(None)]
    for cases in _due_batches(where, [Feedback.id], batch, result):
        # the first due dates of the batch, and when their letters went out, in one query (not each
        # case's letters one by one)
        letters = db.session.execute(
            select(ApologyLetter.feedback_id, func.min(ApologyLetter.missed_due_date), func.min(ApologyLetter.issued_on))
            .where(ApologyLetter.step == Step.ANSWER.value,
                   ApologyLetter.feedback_id.in_([case.id for case in cases]))
            .group_by(ApologyLetter.feedback_id)).all()
        first_due = {case_id: missed for case_id, missed, _ in letters}
        # A notice day on or before the letter's issue is news the letter itself gave: a letter written
        # late (a sweep catching up, a case HCTH kept past its limit) is not followed the same day by a
        # notice that repeats it, and cannot be overtaken by one while its mail waits for its reason.
        days = {case_id: day for case_id, missed, issued in letters
                if (day := progress_notice_day(missed, today, plan)) is not None and day > issued}
        days.update({case.id: None for case in cases if case.id not in days})
        sent = {(row.feedback_id, row.due_date) for row in db.session.execute(
            select(DeadlineNotice.feedback_id, DeadlineNotice.due_date).where(
                DeadlineNotice.feedback_id.in_(list(days)), DeadlineNotice.kind == "progress",
                DeadlineNotice.step == Step.ANSWER.value))}
        # by mail, or by HCTH by phone or post (citizen_notices); nobody to tell: nothing owed
        wanted = [case for case in cases if days[case.id] is not None and (case.id, days[case.id]) not in sent
                  and (case.email or citizen_notices.reachable(case))]
        if wanted:  # the letters the notices name (Feedback.answer_letter): one query, not one per case
            db.session.execute(select(Feedback).where(Feedback.id.in_([case.id for case in wanted]))
                               .options(selectinload(Feedback.letters))).all()
        for case in wanted:
            day = days[case.id]
            _in_savepoint(result, lambda case=case, day=day: _notify_progress(case, day, first_due[case.id], now,
                                                                              today, plan, result))
        db.session.commit()


def _notify_progress(case: Feedback, day: date, first_due: date, now, today, plan, result: SweepResult) -> None:
    db.session.add(DeadlineNotice(feedback_id=case.id, step=Step.ANSWER.value, kind="progress", due_date=day,
                                  created_at=now))
    letter = case.answer_letter
    if not case.email:  # an earlier notice not given yet: this one says it anew
        citizen_notices.drop_owed(case, "progress")
    citizen_notices.notify(case, f"progress:{case.code}:{day.isoformat()}", "progress",
                           f"Thông báo tiến độ xử lý phản ánh, kiến nghị {case.code}", "progress", now=now,
                           first_due=first_due, letter=letter, today=today, interval=plan.rules.progress_notice_days)
    promised = f"; ngày hẹn trả kết quả {letter.new_due_date:%d/%m/%Y}" if letter else ""
    audit(case, "progress_notice", case.state, case.state, SYSTEM, at=now,
          note=f"Thông báo tiến độ gửi người gửi: hạn trả lời {first_due:%d/%m/%Y} đã qua{promised} "
               f"(QĐ 574/QĐ-TTg: {plan.rules.progress_notice_days} ngày làm việc một lần)")
    db.session.flush()
    result.progress += 1


# --- the leader's daily digest ---------------------------------------------------------------

DIGEST_LIST_LIMIT = 200


def overdue_on(today: date):
    """The cases past a due date the department owes, as of ``today``: the overdue list, the digest and
    the staff API's ``overdue`` (not a citizen late with the information HCTH asked for)."""
    return Feedback.due_date.is_not(None) & (Feedback.due_date < today) & Feedback.state.in_(SWEPT_STATES)


def is_overdue(case: Feedback, today: date) -> bool:
    """``overdue_on`` for one case in hand."""
    return case.due_date is not None and case.due_date < today and case.state in SWEPT_STATES


def overdue_query(today: date):
    """Open cases whose current due date has passed (the dashboard and the digest), through the
    due index. A case with an apology letter is late by law but not past its promised date."""
    return select(Feedback).where(overdue_on(today)).order_by(Feedback.due_date, Feedback.id)


def _digest(now, today, plan, recipients, result: SweepResult) -> None:
    # the leader reads it at work: on working days (Monday's lists what went overdue over the weekend)
    if (now.astimezone(LOCAL_TZ).hour < int(current_app.config.get("DIGEST_HOUR", 7)) or not recipients.leaders
            or not plan.cal.is_working_day(today)):
        return
    key = f"digest:{today.isoformat()}"
    if outbox.exists(key):
        return
    started = time.perf_counter()
    late = overdue_query(today)
    total = db.session.execute(select(func.count()).select_from(late.subquery())).scalar_one()
    cases = db.session.execute(late.limit(DIGEST_LIST_LIMIT)).scalars().all()
    result.find_seconds += time.perf_counter() - started
    if not total:
        return

    from .accounts import office_name  # which imports the lists that import this module's overdue rule

    def work():
        outbox.enqueue(key, "digest", recipients.leaders,
                       f"Tổng hợp phản ánh, kiến nghị quá hạn ngày {today:%d/%m/%Y}: {total}", "digest",
                       cases=cases, total=total, today=today, office_name=office_name(),
                       expires_at=end_of_local_day(today))  # the next day's digest says it again
        db.session.flush()
        result.digests += 1
    _in_savepoint(result, work)
    db.session.commit()
