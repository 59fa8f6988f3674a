"""Which deadline applies to a case in each state, and how an event moves it.

Every number is a default from ../shared/domain-brief.md ("Decisions for pakn") and can be
overridden in configuration (``PAKN_DEADLINES``). A due date is a local calendar date; a step is
late only after the end of that day (Asia/Ho_Chi_Minh).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Mapping

from workflows.calendar import WorkingCalendar
from workflows.lifecycle import N_, State


class Step(StrEnum):
    CLASSIFY = "classify"          # HCTH receives, classifies and forwards (or refuses, transfers)
    CITIZEN_INFO = "citizen_info"  # the citizen completes the case; the office's clock is stopped
    ANSWER = "answer"              # the unit drafts, the leader approves, the reply is sent
    PUBLISH = "publish"            # HCTH publishes the answer
    # HCTH returned the answer before publication (QĐ 31/2021/QĐ-TTg Art 46): the unit revises it. A step
    # of its own, not ANSWER: the citizen already holds an answer sent in time or not, so this date is
    # the department's internal one, and no apology letter or progress notice follows from it.
    REVISE = "revise_answer"


# The steps HCTH owes, whatever unit the case was at: classification and forwarding (NĐ 20/2008 Art 9.1d)
# and publication of the answer (Art 19); the unit in charge owes the others.
OFFICE_STEPS = frozenset({Step.CLASSIFY.value, Step.PUBLISH.value})
# The steps after the citizen holds an answer: their dates are the department's own, so the citizen's
# timeline shows neither their overdue mark nor their move by a change of the calendar (it would read as
# their answer late or its date changed).
INTERNAL_STEPS = frozenset({Step.REVISE.value, Step.PUBLISH.value})


@dataclass(frozen=True)
class Rules:
    # NĐ 20/2008/NĐ-CP Art 9.1d: classify/forward within 05 working days of receipt (C).
    classify_days: int = 5
    # National index (U): the citizen has 5 working days to complete a case; the clock stops meanwhile.
    citizen_info_days: int = 5
    # National index (U): 15 working days for the unit from forwarding ...
    answer_days: int = 15
    # ... and QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP (S): the whole case within 20 working days of receipt.
    case_total_days: int = 20
    # TT 02/2017/TT-VPCP (S): publish within 02 working days of the answer.
    publish_days: int = 2
    # QĐ 574 / QĐ 852/QĐ-BNV (S): a progress notice every 07 working days after the answer's due date.
    progress_notice_days: int = 7
    # Department's choice under NĐ 61/2018 Art 19.9 (which asks only for a new date): +5 working days.
    apology_new_date_days: int = 5
    # Department's choice: a unit's own new date is at most 10 working days after the due date.
    extension_max_days: int = 10
    # Reminder this many working days before a due date (department's choice).
    reminder_days_before: int = 2
    # Department's choice (the law is silent): a unit revises an answer HCTH returned before publication
    # (QĐ 31/2021/QĐ-TTg Art 46) within 5 working days of the return.
    revise_answer_days: int = 5

    @classmethod
    def from_mapping(cls, values: Mapping[str, int] | None) -> "Rules":
        known = {f.name for f in fields(cls)}
        unknown = set(values or {}) - known
        if unknown:
            raise ValueError(f"unknown deadline settings: {', '.join(sorted(unknown))}")
        rules = cls(**{k: int(v) for k, v in (values or {}).items()})
        if any(getattr(rules, f.name) < 0 for f in fields(cls)):
            raise ValueError("deadline settings must not be negative")
        return rules

    def numbers(self, padded: bool = True) -> dict[str, str]:
        """Each setting as the legal texts write a count of days, in two digits ("05", "15") as Vietnamese
        documents do (``padded``): the values of the ``%(classify_days)s``… in ``BASIS`` and the other
        texts that name the rules."""
        return {f.name: f"{getattr(self, f.name):02d}" if padded else str(getattr(self, f.name)) for f in fields(self)}


# How each step's due date was counted, stored with it (``Feedback.due_basis``) as the msgid; shown through
# ``basis_text``, which puts in the department's own counts (``Rules.numbers``: PAKN_DEADLINES), so that
# a page never says "05 ngày" beside a date counted with 3. Each names the source of its rule as the
# brief rates it: the 15 days from forwarding are the national index's, the 20 in all QĐ 574's and TT 02's.
BASIS: dict[Step, str] = {
    Step.CLASSIFY: N_("NĐ 20/2008/NĐ-CP, Điều 9.1d: phân loại, chuyển xử lý trong %(classify_days)s ngày làm việc "
                      "kể từ ngày tiếp nhận"),
    Step.CITIZEN_INFO: N_("Bộ chỉ số quốc gia về PAKN: người gửi bổ sung thông tin trong %(citizen_info_days)s ngày "
                          "làm việc; thời hạn xử lý tạm dừng trong thời gian chờ"),
    Step.ANSWER: N_("Bộ chỉ số quốc gia về PAKN: đơn vị xử lý trong %(answer_days)s ngày làm việc kể từ khi được "
                    "chuyển; QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ không quá %(case_total_days)s ngày làm việc "
                    "kể từ ngày tiếp nhận"),
    Step.PUBLISH: N_("TT 02/2017/TT-VPCP: công khai kết quả trong %(publish_days)s ngày làm việc sau khi trả lời"),
    Step.REVISE: N_("QĐ 31/2021/QĐ-TTg, Điều 46: câu trả lời chưa phù hợp được trả lại đơn vị trước khi công khai; "
                    "thời hạn hoàn thiện %(revise_answer_days)s ngày làm việc kể từ ngày trả lại do Sở quy định "
                    "(văn bản không quy định)"),
}
# Classification resumed once the citizen supplied what HCTH asked for: the days left of the count, after
# the wait (``Deadlines.after("provide_info")``; the national index stops the clock meanwhile).
RESUMED_BASIS = N_("NĐ 20/2008/NĐ-CP, Điều 9.1d: phân loại, chuyển xử lý trong %(classify_days)s ngày làm việc kể "
                   "từ ngày tiếp nhận, không tính thời gian chờ người gửi bổ sung thông tin (Bộ chỉ số quốc gia về "
                   "PAKN); hạn tính tiếp số ngày còn lại từ ngày nhận được thông tin bổ sung")
# The whole case's bound, when a step's own count would end after it or it has passed already.
CASE_LIMIT_BASIS = N_("QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: toàn bộ việc xử lý, trả lời không quá %(case_total_days)s "
                      "ngày làm việc kể từ ngày tiếp nhận")
# A case a unit returned to HCTH (``_back_at_office``): routed again within the classify days counted from
# the return, a choice of the department's (NĐ 20/2008 Art 9.1d counts 05 days from receipt, once), within
# the case's limit of 20 working days from receipt (QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP; CASE_LIMIT_BASIS).
RETURN_BASIS = N_("NĐ 20/2008/NĐ-CP, Điều 9.1d: đơn vị trả lại Văn phòng; phân loại, chuyển xử lý lại trong "
                  "%(classify_days)s ngày làm việc kể từ ngày trả lại (Sở quy định); QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP: "
                  "toàn bộ không quá %(case_total_days)s ngày làm việc kể từ ngày tiếp nhận")
EXTENSION_BASIS = N_("NĐ 61/2018/NĐ-CP, Điều 19.9: phiếu xin lỗi và hẹn lại ngày trả kết quả "
                     "(chỉ được hẹn lại một lần)")

STEP_LABELS: dict[Step, str] = {
    Step.CLASSIFY: N_("Phân loại, chuyển xử lý"),
    Step.CITIZEN_INFO: N_("Chờ người gửi bổ sung"),
    Step.ANSWER: N_("Xử lý, trả lời"),
    Step.PUBLISH: N_("Công khai kết quả"),
    Step.REVISE: N_("Hoàn thiện câu trả lời"),
}


class DeadlineError(ValueError):
    """A date a person chose that the rules do not allow (e.g. an extension too far away)."""


@dataclass(frozen=True)
class Due:
    """The current step's due date and how it was computed: ``days`` working days after ``start``."""

    step: Step
    start: date
    days: int
    date: date
    basis: str

    @classmethod
    def counted(cls, step: Step, start: date, days: int, cal: WorkingCalendar, basis: str | None = None) -> "Due":
        return cls(step, start, days, cal.add_working_days(start, days), basis or BASIS[step])

    @classmethod
    def until(cls, step: Step, start: date, end: date, cal: WorkingCalendar, basis: str | None = None) -> "Due":
        end = max(end, start)
        return cls(step, start, cal.count_working_days(start, end), end, basis or BASIS[step])

    def recomputed(self, cal: WorkingCalendar) -> "Due":
        """The same rule on a changed calendar (an admin added a day off or a make-up day). A date an
        apology letter promised stays: the citizen has it in writing and it can be set only once
        (NĐ 61/2018 Art 19.9); only the count of working days up to it follows the new calendar."""
        if self.basis == EXTENSION_BASIS:
            return replace(self, days=cal.count_working_days(self.start, self.date))
        return replace(self, date=cal.add_working_days(self.start, self.days))


@dataclass(frozen=True)
class Promise:
    """The one new date an apology letter gave the citizen (NĐ 61/2018 Art 19.9), for the due date
    ``missed`` that was, or was about to be, missed."""

    missed: date
    new_date: date


@dataclass(frozen=True)
class CaseClock:
    """The facts of a case the deadline rules read."""

    received_on: date
    due: Due | None
    paused_days: int          # working days spent waiting for the citizen so far
    consent_publish: bool
    promise: Promise | None = None  # the apology letter's new date, once a letter gave one


@dataclass(frozen=True)
class ClockChange:
    due: Due | None
    paused_days: int


# The lifecycle's moves that leave a case at the same step with the same due date (``Deadlines.after``'s
# last line): an overdue mark stays in force across them (reports.queries: overdue at a period's end).
SAME_STEP_MOVES = frozenset({"classify", "submit_draft", "request_changes", "collect_basis", "resume_handling"})


class Deadlines:
    def __init__(self, calendar: WorkingCalendar, rules: Rules | None = None):
        self.cal = calendar
        self.rules = rules or Rules()

    def on_receipt(self, received_on: date) -> Due:
        return Due.counted(Step.CLASSIFY, received_on, self.rules.classify_days, self.cal)

    def case_limit(self, clock: CaseClock) -> date:
        """The whole case's limit: 20 working days from receipt, plus the days spent waiting."""
        return self.cal.add_working_days(clock.received_on, self.rules.case_total_days + clock.paused_days)

    def after(self, event: str, clock: CaseClock, today: date, new_date: date | None = None) -> ClockChange:
        """The due date once ``event`` has fired on a case whose clock was ``clock``."""
        r, cal, due = self.rules, self.cal, clock.due
        paused = clock.paused_days
        if event == "request_info":
            # The office's clock stops; the citizen gets their own limit. Remember what was left.
            return ClockChange(Due.counted(Step.CITIZEN_INFO, today, r.citizen_info_days, cal), paused)
        if event == "provide_info":
            waited = cal.count_working_days(due.start, today) if due else 0
            if clock.promise is not None:
                # an apology letter gave the date before HCTH asked the citizen: it stays the bound (set
                # once, NĐ 61/2018 Art 19.9), as when a unit returns the case (``_back_at_office``)
                return ClockChange(self.promised(Step.CLASSIFY, clock.promise, today), paused + max(waited, 0))
            resumed = self._remaining_before_pause(clock, today)
            return ClockChange(Due.counted(Step.CLASSIFY, today, resumed, cal, RESUMED_BASIS), paused + max(waited, 0))
        if event == "forward":
            if clock.promise is not None:
                # Forwarded again after an apology letter: the answer is due on the date the letter
                # promised, neither earlier (the 15/20-day count would pull it before the promise the
                # citizen holds) nor later (the date can be set only once, NĐ 61/2018 Art 19.9).
                return ClockChange(self.promised(Step.ANSWER, clock.promise, today), paused)
            return ClockChange(self._within_case_limit(Step.ANSWER, today, r.answer_days, clock), paused)
        if event == "return_to_office":
            return ClockChange(self._back_at_office(clock, today), paused)
        if event == "return_answer":
            # QĐ 31/2021/QĐ-TTg Art 46 returns the answer; how long the unit has is the department's
            # choice, counted from the return, whatever the answer's own dates were
            return ClockChange(Due.counted(Step.REVISE, today, r.revise_answer_days, cal), paused)
        if event == "approve":
            # the first answer or a revised one: publication is due counting from this approval
            publish = Due.counted(Step.PUBLISH, today, r.publish_days, cal) if clock.consent_publish else None
            return ClockChange(publish, paused)
        if event == "extend":
            return ClockChange(self.extended(due, new_date), paused)
        if event in ("refuse", "transfer_out", "publish"):
            return ClockChange(None, paused)
        return ClockChange(due, paused)  # SAME_STEP_MOVES, and the internal events: same step, same date

    def _back_at_office(self, clock: CaseClock, today: date) -> Due:
        """The classify step of a case a unit returned to HCTH.

        The 05 days of NĐ 20/2008 Art 9.1d count from receipt and were used once; a return is not a
        new receipt, so the case does not get a fresh allowance that outlives its own limits. HCTH
        gets its usual ``classify_days`` to route it again, but never past:

        * the date an apology letter promised, once there is one: that date is the case's bound now
          (whoever holds it) and the classify step is due on it, so that missing it while the case
          is back at HCTH escalates to the leader as a second miss does at the unit (Art 19.9: no
          second date); a category's shorter target (``target``) still reminds HCTH before it;
        * otherwise the whole case's limit, 20 working days from receipt plus the days spent waiting
          for the citizen (QĐ 574/QĐ-TTg, TT 02/2017; brief, "Decisions for pakn").
        """
        if clock.promise is not None:
            return self.promised(Step.CLASSIFY, clock.promise, today)
        return self._within_case_limit(Step.CLASSIFY, today, self.rules.classify_days, clock, RETURN_BASIS)

    def _within_case_limit(self, step: Step, today: date, days: int, clock: CaseClock,
                           basis: str | None = None) -> Due:
        """``days`` working days from ``today``, but never past the whole case's limit. A limit already
        passed stays the due date, in the past: the case is late from the start of the step (the sweep
        marks it and writes the apology letter), and an answer sent today is not "on time"."""
        limit = self.case_limit(clock)
        if limit < today:
            return Due.counted(step, clock.received_on, self.rules.case_total_days + clock.paused_days, self.cal,
                               CASE_LIMIT_BASIS)
        return Due.until(step, today, min(self.cal.add_working_days(today, days), limit), self.cal, basis)

    def late_at_office(self, clock: CaseClock, today: date) -> date | None:
        """The whole case's limit, if it passed while the case is still at HCTH (received or
        classified, not yet forwarded) and no apology letter has given a new date: the citizen is owed
        the letter then (NĐ 61/2018 Art 19.9; brief, "apology letter"), whoever holds the case."""
        if clock.promise is not None:
            return None
        limit = self.case_limit(clock)
        return limit if limit < today else None

    def automatic_promise(self, missed: date, today: date) -> Due:
        """The automatic letter's new date: ``apology_new_date_days`` after the missed date; counted from
        ``today`` if that lies behind already (the sweep catching up after a downtime, or a case HCTH
        kept long past its limit): the promise must still lie ahead."""
        new_due = Due.counted(Step.ANSWER, missed, self.rules.apology_new_date_days, self.cal, EXTENSION_BASIS)
        if new_due.date <= today:
            new_due = Due.counted(Step.ANSWER, today, self.rules.apology_new_date_days, self.cal, EXTENSION_BASIS)
        return new_due

    def promised(self, step: Step, promise: Promise, today: date) -> Due:
        """``step`` due on the promised date, counted from ``today`` (from the promise itself if it
        has passed: the date stays, still missed, and is not missed a second time)."""
        start = min(today, promise.new_date)
        return Due(step, start, self.cal.count_working_days(start, promise.new_date), promise.new_date,
                   EXTENSION_BASIS)

    def _remaining_before_pause(self, clock: CaseClock, today: date) -> int:
        # The classification clock stopped at the request; it had (limit - request day) days left.
        if clock.due is None:
            return self.rules.classify_days
        limit = self.cal.add_working_days(clock.received_on, self.rules.classify_days + clock.paused_days)
        return max(self.cal.count_working_days(clock.due.start, limit), 0)

    def extended(self, due: Due | None, new_date: date | None = None) -> Due:
        """The one new date of an apology letter (NĐ 61/2018 Art 19.9): by default
        ``apology_new_date_days`` after the missed date; a unit may choose up to ``extension_max_days``."""
        if due is None:
            raise DeadlineError(N_("Phản ánh, kiến nghị không có hạn xử lý để gia hạn."))
        if new_date is None:
            return Due.counted(Step.ANSWER, due.date, self.rules.apology_new_date_days, self.cal, EXTENSION_BASIS)
        latest = self.cal.add_working_days(due.date, self.rules.extension_max_days)
        if new_date <= due.date or new_date > latest:
            raise DeadlineError(N_("Ngày hẹn mới phải sau hạn hiện tại và không quá %(extension_max_days)s ngày làm "
                                   "việc sau hạn đó."))
        if not self.cal.is_working_day(new_date):
            raise DeadlineError(N_("Ngày hẹn mới phải là ngày làm việc."))
        return Due.until(Step.ANSWER, due.date, new_date, self.cal, EXTENSION_BASIS)

    def reminder_day(self, due_date: date) -> date:
        return self.cal.add_working_days(due_date, -self.rules.reminder_days_before)

    def target(self, due: Due | None, target_days: int | None = None) -> date | None:
        """The internal target of a step: ``target_days`` working days after its start (a
        category's own, shorter promise), never later than the legal due date."""
        if due is None:
            return None
        if target_days is None or target_days < 0:
            return due.date
        return min(due.date, self.cal.add_working_days(due.start, target_days))


__all__ = ["Step", "Rules", "Due", "Deadlines", "CaseClock", "Promise", "ClockChange", "DeadlineError",
           "BASIS", "CASE_LIMIT_BASIS", "RESUMED_BASIS", "EXTENSION_BASIS", "STEP_LABELS", "State"]
