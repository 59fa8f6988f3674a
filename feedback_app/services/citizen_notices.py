"""What the citizen is told, by mail or, without an e-mail address, by HCTH by phone or by post.

NĐ 20/2008/NĐ-CP Art 7.1 asks of a PAKN a phone number "(hoặc địa chỉ thư tín)", a postal address:
HCTH enters such a PAKN (``office.intake``), and its sender cannot read the mails the others get.
``notify`` writes the mail when there is an address to mail, and otherwise a ``CitizenNotice`` with the
same key, subject and text, which HCTH's list (``/van-phong/thong-bao-nguoi-dan``) shows until an
officer records that it was told by phone or sent by post, on which day. The receipt is owed only
for a PAKN HCTH entered: the portal and the API gave their sender the code at once. A citizen's mail
that failed for good (``outbox``: a wrong address, a mail server down for days) becomes such a notice
too (``mail_failed``), and one not given yet goes when an admin's retry delivers the mail
(``mail_delivered``).

A case is refused for not answering a request for information only once that request reached the
citizen (its mail delivered, or its notice recorded as given) and their working days to answer, from
that day, are over (``info_answer_due``; brief: "ask the citizen for missing information").
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from workflows.clock import CLOCK, local_date
from workflows import lifecycle
from workflows.lifecycle import N_, State

from ..extensions import db
from ..models import PORTAL_CHANNELS, CitizenNotice, Feedback, OutboxMail
from . import outbox
from .calendar import deadlines, worked_day_name

KIND_LABELS = {
    "received": N_("Thông báo tiếp nhận và mã số theo dõi"),
    "request_info": N_("Đề nghị bổ sung thông tin"),
    "refused": N_("Thông báo không tiếp nhận"),
    "transferred": N_("Thông báo chuyển cơ quan có thẩm quyền"),
    "apology": N_("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "answered": N_("Câu trả lời"),
    "progress": N_("Thông báo tiến độ xử lý"),
}
HOW_LABELS = {"phone": N_("Qua điện thoại"), "post": N_("Qua bưu chính")}
ALREADY_GIVEN = N_("Thông báo này đã được ghi nhận trước đó.")


class NoticeError(ValueError):
    """A record HCTH may not make (``message`` is UI text, ``field`` the form's field)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def reachable(case: Feedback) -> bool:
    """The citizen gave a phone number or a postal address to be told on."""
    return bool((case.phone or "").strip() or (case.address or "").strip())


def compose(case: Feedback, key: str, kind: str, subject: str, template: str, *,
            attachment_ref: str | None = None, **context) -> CitizenNotice | None:
    """The notice for a citizen without an e-mail address, not yet stored (None: nobody to tell)."""
    if case.email or not reachable(case):
        return None
    now = CLOCK.now()
    return CitizenNotice(key=key, kind=kind, subject=subject, attachment_ref=attachment_ref,
                         body_text=outbox.render_mail(template, feedback=case, **context),
                         feedback_id=case.id, created_at=now, owed_from=now)


def _stored(key: str) -> CitizenNotice | None:
    return db.session.execute(select(CitizenNotice).where(CitizenNotice.key == key)).scalar()


def keys_taken(keys: Collection[str]) -> set[str]:
    """Which of ``keys`` a stored mail or notice has (``notify``'s ``taken``): two queries for a batch. One
    set for both: a key names one message to the citizen, so a key in either table means it was given
    (``notify`` looking a key up alone checks the table of the way it would tell)."""
    if not keys:
        return set()
    notices = set(db.session.execute(select(CitizenNotice.key).where(CitizenNotice.key.in_(keys))).scalars())
    return outbox.keys_taken(keys) | notices


def notify(case: Feedback, key: str, kind: str, subject: str, template: str, *,
           attachment_ref: str | None = None, now: datetime | None = None, hold_until: datetime | None = None,
           taken: Collection[str] | None = None, **context) -> OutboxMail | CitizenNotice | None:
    """Tell the citizen, in the caller's transaction: the mail (``outbox.enqueue``) or the notice HCTH
    owes, once per ``key``. ``hold_until``: not before then (an automatic apology letter's grace period).
    ``taken``: the keys a mail or a notice has, when the caller looked up a batch's at once
    (``keys_taken``)."""
    now = now or CLOCK.now()
    if case.email:
        mail = outbox.enqueue(key, kind, case.email, subject, template, feedback=case,
                              attachment_ref=attachment_ref, taken=taken, **context)
        if mail is not None:
            mail.created_at, mail.next_attempt_at = now, hold_until or now
        return mail
    notice = compose(case, key, kind, subject, template, attachment_ref=attachment_ref, **context)
    if notice is None or (key in taken if taken is not None else _stored(key) is not None):
        return None
    notice.feedback = case
    notice.created_at, notice.owed_from = now, hold_until or now
    db.session.add(notice)
    return notice


def renew(key: str, fresh: CitizenNotice | None) -> None:
    """After a correction of what was received (``services.corrections``): the notice ``key`` not yet
    given says what ``fresh`` says, or goes (``fresh`` None: the citizen now gets the mail, or gave no
    contact); a notice that was not owed before is owed now (the e-mail address was removed)."""
    stored = _stored(key)
    if stored is not None and stored.given_on is None:
        if fresh is None:
            db.session.delete(stored)
        else:
            stored.subject, stored.body_text = fresh.subject, fresh.body_text
    elif stored is None and fresh is not None:
        db.session.add(fresh)


def rewrite(key: str, template: str, **context) -> None:
    """The text of the notice ``key``, not yet given, as it reads now (an apology letter's reason)."""
    stored = _stored(key)
    if stored is not None and stored.given_on is None:
        stored.body_text = outbox.render_mail(template, feedback=stored.feedback, **context)


def mail_failed(mail: OutboxMail, now: datetime) -> CitizenNotice | None:
    """A citizen's mail that failed for good (``outbox``), owed by phone or by post instead with its
    text, in the caller's transaction: only when the citizen gave a phone number or a postal address,
    and the receipt only for a PAKN HCTH entered (as ``cases.receipt_notice``)."""
    case = mail.feedback
    if case is None or mail.kind not in KIND_LABELS or not reachable(case) or _stored(mail.key) is not None:
        return None
    if mail.kind == "received" and case.channel in PORTAL_CHANNELS:
        return None
    notice = CitizenNotice(key=mail.key, kind=mail.kind, subject=mail.subject, body_text=mail.body_text,
                           attachment_ref=mail.attachment_ref, created_at=now, owed_from=now)
    notice.feedback = case
    db.session.add(notice)
    from .cases import SYSTEM, audit  # cases queues notices through this module
    audit(case, "mail_failed", case.state, case.state, SYSTEM, public=False,
          note=f"{mail.subject}: {mail.recipients} ({(mail.last_error or '')[:300]})")
    return notice


def mail_delivered(mail: OutboxMail) -> None:
    """A mail that had failed and is delivered after all (an admin's retry): its notice, if not
    given yet, is no longer owed (an audit row on the case says so)."""
    stored = _stored(mail.key)
    if stored is not None and stored.given_on is None:
        db.session.delete(stored)
        from .cases import SYSTEM, audit
        case = stored.feedback
        audit(case, "mail_delivered", case.state, case.state, SYSTEM, public=False,
              note=f"{mail.subject}: {mail.recipients}")


def given_for_keys(keys: list[str]) -> dict[str, CitizenNotice]:
    """The notices recorded as given among those with ``keys`` (the mails' keys), by key."""
    if not keys:
        return {}
    rows = db.session.execute(select(CitizenNotice).where(CitizenNotice.key.in_(keys),
                                                          CitizenNotice.given_on.is_not(None))).scalars()
    return {notice.key: notice for notice in rows}


def drop_owed(case: Feedback, kind: str) -> None:
    """Notices of ``kind`` not given yet, superseded (an answer replaced by its revision)."""
    for notice in case.citizen_notices:
        if notice.kind == kind and notice.given_on is None:
            db.session.delete(notice)


# --- the request for information ------------------------------------------------------------

NO_ANSWER = "no_answer_to_info_request"  # lifecycle.REFUSAL_REASONS: "Không bổ sung thông tin trong thời hạn"

def info_reached_on(case: Feedback) -> date | None:
    """The day the latest request for information reached the citizen: its mail delivered, or its
    notice told or posted; None when it has not (yet)."""
    key = case.info_request_key
    if not key:
        return None
    sent_at = db.session.execute(select(OutboxMail.sent_at).where(OutboxMail.key == key,
                                                                  OutboxMail.status == "sent")).scalar()
    if sent_at is not None:
        return local_date(sent_at)
    return db.session.execute(select(CitizenNotice.given_on).where(CitizenNotice.key == key)).scalar()


def info_answer_due(case: Feedback, reached: date | None = None) -> date | None:
    """The citizen's last day to answer the latest request for information: their working days
    (``citizen_info_days``, 5) counted from the day it reached them (``reached``, read when not given),
    never before the date the request named; None when it has not reached them."""
    reached = reached or info_reached_on(case)
    if reached is None:
        return None
    plan = deadlines()
    last = plan.cal.add_working_days(reached, plan.rules.citizen_info_days)
    named = case.due_date if case.due_step == "citizen_info" else None
    return max(last, named) if named else last


def request_reached(key: str, on: date) -> None:
    """The request for information ``key`` reached the citizen on ``on`` (its mail delivered, its notice
    told or posted): the case's due date becomes the citizen's last day counted from then
    (``info_answer_due``), so that the status page, the queues and the overdue list say the date the
    case page and the refusal for no answer go by. Its start stays the request's day: HCTH's clock
    stopped then (``Deadlines.after("provide_info")``). One statement without the case's version, as
    the outbox's worker runs it beside staff who may be editing the case."""
    case = db.session.execute(select(Feedback).where(Feedback.info_request_key == key,
                                                     Feedback.state == State.AWAITING_INFO.value)).scalar()
    if case is None or case.due_step != "citizen_info" or case.due_start is None:
        return
    due = info_answer_due(case, on)
    if due != case.due_date:
        days = deadlines().cal.count_working_days(case.due_start, due)
        # the case may have moved on meanwhile (the citizen answered): the UPDATE checks again what it read
        db.session.execute(update(Feedback).where(Feedback.id == case.id, Feedback.info_request_key == key,
                                                  Feedback.state == State.AWAITING_INFO.value,
                                                  Feedback.due_step == "citizen_info")
                           .values(due_date=due, due_days=days).execution_options(synchronize_session="fetch"))


@dataclass(frozen=True)
class InfoRequest:
    reached_on: date | None   # None: not (yet) delivered or given
    answer_due: date | None


def info_request(case: Feedback) -> InfoRequest | None:
    """Where the request for information of a case waiting for the citizen stands (the case page)."""
    if case.state != State.AWAITING_INFO.value:
        return None
    reached = info_reached_on(case)
    return InfoRequest(reached, info_answer_due(case, reached) if reached else None)


@dataclass(frozen=True)
class DueExplained:
    """How the status page explains the case's due date: the days off it skipped (named in the page's
    language where the holiday library names them), the weekend days worked that it counted (make-up
    days: without them a citizen counting by hand finds a later date) and, when a request for
    information reached the citizen after the day it was made, that day and the working days counted
    from it."""
    days_off: list
    make_up_days: list
    reached_on: date | None = None
    days_from_reached: int | None = None


def due_explained(case: Feedback, language: str) -> DueExplained:
    if not (case.due_start and case.due_date):
        return DueExplained([], [])
    calendar = deadlines().cal
    days_off = calendar.days_off_between(case.due_start, case.due_date)
    make_up = calendar.make_up_days_between(case.due_start, case.due_date)
    if language == "en":  # the library's English names; the admin's own stay as typed
        days_off = [note._replace(name=calendar.holiday_name(note, "en_US")) for note in days_off]
        make_up = [note._replace(name=worked_day_name(calendar, note, language)) for note in make_up]
    info = info_request(case)
    if info and info.reached_on and info.reached_on > case.due_start:
        return DueExplained(days_off, make_up, info.reached_on,
                            calendar.count_working_days(info.reached_on, case.due_date))
    return DueExplained(days_off, make_up)


def no_answer_refusal(case: Feedback) -> str | None:
    """Why ``case`` may not be refused for not answering the request for information today, or None
    (the lifecycle's rule, with the day the request reached the citizen read here)."""
    due = info_answer_due(case) if case.state == State.AWAITING_INFO.value else None
    return lifecycle.no_answer_refusal(case, CLOCK.today(), due)


# --- HCTH's list ------------------------------------------------------------------------------

def owed_query():
    """The notices owed now, oldest first."""
    return (select(CitizenNotice).where(CitizenNotice.given_at.is_(None), CitizenNotice.owed_from <= CLOCK.now())
            .order_by(CitizenNotice.owed_from, CitizenNotice.id))


def given_query():
    """The notices given, the latest record first."""
    return (select(CitizenNotice).where(CitizenNotice.given_at.is_not(None))
            .order_by(CitizenNotice.given_at.desc(), CitizenNotice.id.desc()))


def owed_for(case: Feedback) -> int:
    """The notices the citizen of ``case`` is owed and has not been given (any day)."""
    return sum(1 for notice in case.citizen_notices if notice.given_on is None)


def owed_count() -> int:
    return db.session.execute(select(func.count()).select_from(owed_query().order_by(None).subquery())).scalar_one()


def record_given(notice_id: int, how: str, on: date, actor) -> CitizenNotice:
    """Record that the notice was told by phone or sent by post on ``on``, by ``actor``, with an audit
    row on its case; commits. Refused when given already, when the citizen gave no such contact, or
    for a day in the future or before the notice was owed."""
    from .cases import audit  # cases queues notices through this module
    notice = db.session.get(CitizenNotice, notice_id)
    if notice is None:
        raise NoticeError(N_("Không có thông báo này."))
    if notice.given_on is not None:
        raise NoticeError(ALREADY_GIVEN)
    case = notice.feedback
    if how not in HOW_LABELS:
        raise NoticeError(N_("Vui lòng chọn cách báo cho người gửi."), "how")
    if how == "phone" and not (case.phone or "").strip():
        raise NoticeError(N_("Người gửi không để lại số điện thoại."), "how")
    if how == "post" and not (case.address or "").strip():
        raise NoticeError(N_("Người gửi không để lại địa chỉ thư tín."), "how")
    if on > CLOCK.today():
        raise NoticeError(N_("Ngày báo không được sau hôm nay."), "on")
    if on < local_date(notice.owed_from):
        raise NoticeError(N_("Ngày báo không được trước ngày phát sinh thông báo."), "on")
    # compare-and-set: two officers recording the same notice at once record it once
    taken = db.session.execute(
        update(CitizenNotice).where(CitizenNotice.id == notice.id, CitizenNotice.given_on.is_(None))
        .values(given_how=how, given_on=on, given_at=CLOCK.now(), given_by_id=getattr(actor, "id", None),
                given_by_label=actor.full_name).execution_options(synchronize_session="fetch"))
    if taken.rowcount != 1:
        db.session.rollback()
        raise NoticeError(ALREADY_GIVEN)
    if notice.kind == "request_info":
        request_reached(notice.key, on)
    what = "Đã báo qua điện thoại" if how == "phone" else "Đã gửi qua bưu chính"
    audit(case, "citizen_notice", case.state, case.state, actor, public=False,
          note=f"{what} ngày {on:%d/%m/%Y}: {notice.subject}")
    db.session.commit()
    return notice
