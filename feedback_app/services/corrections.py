"""HCTH corrects what was received: a typo in the citizen's name, address, phone, e-mail, the title,
the content or the procedure, and, for a PAKN HCTH entered itself (QĐ 31/2021/QĐ-TTg Art 43.2b), the
time it arrived on the same day. Only before classification (``staff.INTAKE_STATES``): once the case
is classified, forwarded or refused, what was decided rests on what was received.

NĐ 20/2008/NĐ-CP Art 6–7: what the citizen wrote or said is transcribed faithfully, so a wrong
transcription is corrected rather than entered again as a second case (which would stay in the
register and the reports, and mail the citizen a second receipt). The state never changes here (the
lifecycle is its only writer); one audit row records who corrected which fields.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from workflows.clock import CLOCK, LOCAL_TZ, local_date
from workflows.lifecycle import N_, State

from ..extensions import db
from ..models import PORTAL_CHANNELS, CitizenNotice, Feedback, OutboxMail
from . import citizen_notices
from .cases import Submission, audit, receipt_mail, receipt_notice, send_info_request
from .staff import INTAKE_STATES, StaffInputError, _check_version, _commit

# The citizen's fields a correction may change (Feedback's columns), in the order of the form.
CORRECTABLE = ("submitter_name", "address", "phone", "email", "title", "content", "procedure")
# Personal data (Feedback.personal_data): the audit note names the field, never its values.
PERSONAL = {"submitter_name": "họ và tên", "address": "địa chỉ", "phone": "số điện thoại", "email": "thư điện tử"}
OTHER = {"title": "tiêu đề", "content": "nội dung", "procedure": "thủ tục, quy định liên quan",
         "received_at": "thời điểm nhận"}
FORM = "correct_intake"  # the case page's key of the correction form
NOTE_VALUE_MAX = 200  # an old or new value longer than this is shortened in the note


class CorrectionRefused(StaffInputError):
    """The case can no longer be corrected (``status`` 409), or the correction is not allowed (422)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message, field)
        self.status = status


NOT_AT_INTAKE = N_("Chỉ sửa được thông tin tiếp nhận khi phản ánh, kiến nghị chưa được phân loại "
                   "(đang ở trạng thái mới tiếp nhận hoặc chờ bổ sung thông tin).")
OTHER_DAY = N_("Thời điểm nhận chỉ sửa được trong cùng ngày đã nhập, vì mã số mang ngày nhận. Nếu nhập sai "
               "ngày, hãy nhập lại phản ánh, kiến nghị với ngày đúng; bản nhập sai có thể được từ chối "
               "hoặc đánh dấu trùng với bản mới.")
PORTAL_TIME = N_("Thời điểm nhận của phản ánh, kiến nghị gửi qua cổng hoặc API là thời điểm hệ thống nhận, "
                 "không sửa được.")


def may_correct(case: Feedback) -> bool:
    return case.state in INTAKE_STATES


def may_correct_time(case: Feedback) -> bool:
    return case.channel not in PORTAL_CHANNELS


def _short(value) -> str:
    if isinstance(value, datetime):
        return f"{value.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= NOTE_VALUE_MAX else text[:NOTE_VALUE_MAX - 1] + "…"


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def _note(changes: dict[str, tuple]) -> str:
    """Which fields changed: old → new for the case's own fields, only the names of personal ones."""
    parts = [f"{OTHER[name]}: {_short(old)} → {_short(new)}" for name, (old, new) in changes.items() if name in OTHER]
    personal = [PERSONAL[name] for name in changes if name in PERSONAL]
    if personal:
        parts.insert(0, "sửa " + ", ".join(personal))
    return "; ".join(parts)


# What the receipt mail says or where it goes (it names neither the sender nor the title:
# templates/mail/received.txt says why).
RECEIPT_FIELDS = {"email", "received_at"}
# ... and whether it is owed by phone or post instead (services.citizen_notices)
NOTICE_FIELDS = RECEIPT_FIELDS | {"phone", "address"}


def _renew_receipt(case: Feedback, new_address: bool) -> None:
    """The receipt mail after a correction. Not delivered yet: rewritten (or dropped, the e-mail
    removed), so that it never goes to a mistyped address or with a mistyped time. Delivered already
    and the address was the typo: a new receipt to the corrected one (the code reaches the citizen)."""
    key = f"received:{case.code}"
    stored = db.session.execute(select(OutboxMail).where(OutboxMail.key == key)).scalar()
    if stored is not None and stored.status != "sent":
        fresh = receipt_mail(case, key)
        if fresh is None:
            db.session.delete(stored)
            return
        stored.recipients, stored.subject, stored.body_text = fresh.recipients, fresh.subject, fresh.body_text
        stored.status, stored.attempts, stored.last_error, stored.next_attempt_at = "pending", 0, None, CLOCK.now()
    elif new_address:
        fresh = receipt_mail(case, key if stored is None else f"{key}:v{case.version + 1}")
        if fresh is not None:
            fresh.feedback = case
            db.session.add(fresh)


def _renew_info_request(case: Feedback) -> None:
    """The request for information of a case waiting for the citizen, after a correction of the e-mail
    address: the request goes to the corrected one (or is owed by phone or post, the address removed)
    and the citizen's time, and a refusal for no answer, count from the day it reaches them
    (citizen_notices.info_reached_on). One not yet sent is withdrawn, never to reach the mistyped
    address; a request HCTH already told by phone or post stays as it is."""
    key = case.info_request_key
    if case.state != State.AWAITING_INFO.value or key is None:
        return
    notice = db.session.execute(select(CitizenNotice).where(CitizenNotice.key == key)).scalar()
    if notice is not None and notice.given_on is not None:
        return
    if notice is not None:
        db.session.delete(notice)
    # a worker sending it at this moment finds its row gone and goes on (outbox.deliver_due): that copy
    # reached the mistyped address, the new request follows it
    db.session.execute(delete(OutboxMail).where(OutboxMail.key == key, OutboxMail.status != "sent")
                       .execution_options(synchronize_session="fetch"))
    send_info_request(case)


def correct_intake(case: Feedback, actor, submission: Submission, received_at: datetime | None,
                   expected_version: int | None) -> list[str]:
    """Correct what was received with what the officer typed (``submission``: the citizen's fields,
    normalised as at receipt; ``received_at``: the time of receipt, None for unchanged); returns the
    names of the fields that changed (none: nothing is written). The tracking code
    (``PAKN.YYYYMMDD.NNNN``) carries the day of receipt and the due date counts from it (NĐ 20/2008
    Art 9.1d), so the time may move only within its local day: the code and the due date stay true."""
    if not may_correct(case):
        raise CorrectionRefused(NOT_AT_INTAKE, status=409)
    _check_version(case, expected_version)
    stored = submission.as_stored()
    changes = {name: (getattr(case, name), stored[name]) for name in CORRECTABLE if getattr(case, name) != stored[name]}
    when = received_at
    if when is not None and _minute(when) != _minute(case.received_at):  # the form shows the minute
        if not may_correct_time(case):
            raise CorrectionRefused(PORTAL_TIME, "received_at")
        if local_date(when) != local_date(case.received_at):
            raise CorrectionRefused(OTHER_DAY, "received_at")
        changes["received_at"] = (case.received_at, when)
    if not changes:
        return []
    for name, (_old, value) in changes.items():
        setattr(case, name, value)
    if changes.keys() & RECEIPT_FIELDS:
        _renew_receipt(case, "email" in changes)
    if changes.keys() & NOTICE_FIELDS:
        # the receipt HCTH owes by phone or post and has not given: rewritten, dropped (an e-mail was
        # added: the mail carries it), or owed now (the e-mail was removed, a phone or address added)
        citizen_notices.renew(f"received:{case.code}", receipt_notice(case))
    if "email" in changes:
        _renew_info_request(case)
    audit(case, "correct_intake", case.state, case.state, actor, note=_note(changes), public=False)
    _commit()
    return list(changes)
