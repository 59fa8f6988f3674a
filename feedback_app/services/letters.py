"""Apology letters (phiếu xin lỗi và hẹn lại ngày trả kết quả, TT 01/2018/TT-VPCP Mẫu 04) under
NĐ 61/2018/NĐ-CP Art 19.9: stored with a sequential number per year, e-mailed to the citizen.

The automatic letter (``services.sweep``) is held for a grace period (``APOLOGY_GRACE_HOURS`` of
office hours, ``grace_end``): its number, new date and the case's new due date are fixed at once, but
its mail leaves only when the grace period is over, so that staff can still write the real reason
(``set_reason``); after it the default reason stands. An answer approved meanwhile withdraws the held
mail (``withdraw_held``)."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from workflows.clock import CLOCK, LOCAL_TZ, local_date
from workflows.deadlines import Due
from workflows.lifecycle import MIN_EXPLANATION_CHARS, N_, UNSAFE_TEXT, has_unsafe_chars, visible

from ..extensions import db
from ..models import ApologyLetter, CitizenNotice, Feedback, OutboxMail
from . import citizen_notices, outbox, publication
from .calendar import load_calendar
from .sequences import next_value

# read after "Lý do:" in the letter, whose sentence before it already says the date is missed
DEFAULT_REASON = ("Nội dung phản ánh, kiến nghị cần thêm thời gian nghiên cứu, phối hợp với các cơ quan, "
                  "đơn vị liên quan.")
MAIL_SUBJECT = "Phiếu xin lỗi và hẹn lại ngày trả kết quả - {code}"


class LetterError(ValueError):
    """A change to a letter that is no longer possible (its mail left, the grace period is over)."""


class ReasonChanged(LetterError):
    """Someone else saved another reason since the page was read: theirs is not overwritten unseen."""

    message = N_("Người khác đã lưu lý do khác cho phiếu %(number)s trong lúc bạn sửa; trang đang hiện lý do đó. "
                 "Lý do bạn đã nhập: «%(typed)s». Sửa lại rồi lưu nếu vẫn cần.")


def new_letter(case: Feedback, *, missed_due_date: date, new_due: Due, reason: str | None, automatic: bool,
               now: datetime, number: int, issued_on: date | None = None) -> ApologyLetter:
    """The letter row, numbered ``number`` of the year of ``issued_on`` (the day it is dated: today unless
    given), without a flush or a mail."""
    issued_on = issued_on or local_date(now)
    letter = ApologyLetter(feedback=case, year=issued_on.year, number=number, step=new_due.step.value,
                           issued_on=issued_on, missed_due_date=missed_due_date, new_due_date=new_due.date,
                           reason=(reason or DEFAULT_REASON).strip(),
                           signer_title=current_app.config["AGENCY_SIGNER_TITLE"], automatic=automatic,
                           created_at=now)
    db.session.add(letter)
    return letter


def mail_key(letter: ApologyLetter) -> str:
    """The key of the letter's mail or notice to the citizen, and its attachment's reference (``outbox``)."""
    return f"letter:{letter.id}"


def queue_letter_mail(letter: ApologyLetter, now: datetime, hold_until: datetime | None = None,
                      taken: Collection[str] | None = None) -> None:
    """The citizen's mail with the PDF attached (rendered when sent), or, without an e-mail, the letter
    HCTH owes them by post (citizen_notices); needs the letter's id. ``taken``: as for ``notify``."""
    case = letter.feedback
    citizen_notices.notify(case, mail_key(letter), "apology", MAIL_SUBJECT.format(code=case.code), "apology",
                           attachment_ref=mail_key(letter), now=now, hold_until=hold_until, taken=taken,
                           letter=letter)


def issue_letter(case: Feedback, *, missed_due_date: date, new_due: Due, reason: str | None,
                 automatic: bool, now: datetime | None = None, hold_until: datetime | None = None) -> ApologyLetter:
    """Create the letter and queue its mail, inside the caller's transaction (no commit).
    ``hold_until`` delays the mail (the grace period of an automatic letter)."""
    now = now or CLOCK.now()
    letter = new_letter(case, missed_due_date=missed_due_date, new_due=new_due, reason=reason, automatic=automatic,
                        now=now, number=next_value(f"letter:{local_date(now).year}"))
    db.session.flush()
    queue_letter_mail(letter, now, hold_until)
    return letter


def grace_ends(letter: ApologyLetter) -> datetime:
    return grace_end(letter.created_at)


def grace_end(made: datetime) -> datetime:
    """When the mail of an automatic letter made at ``made`` leaves: ``APOLOGY_GRACE_HOURS`` of office hours
    after it (``OFFICE_OPENS``–``OFFICE_CLOSES`` on working days), counted from ``made`` while the office is
    open, else from its next opening; what the day's closing leaves over runs on from the next working day's
    opening. The sweep makes letters just after midnight, or late in a day after a stop: counted on the
    clock, the hours would pass before anyone is at work to write the reason (NĐ 61/2018 Art 19.9 wants
    the reason stated)."""
    config = current_app.config
    left = timedelta(hours=float(config.get("APOLOGY_GRACE_HOURS", 0)))
    if not left:
        return made
    opens, closes = time.fromisoformat(config["OFFICE_OPENS"]), time.fromisoformat(config["OFFICE_CLOSES"])
    if closes <= opens:  # no office day to count in: on the clock
        return made + left
    calendar = load_calendar()
    local = made.astimezone(LOCAL_TZ)
    day, at = local.date(), local
    if not calendar.is_working_day(day) or local.time() >= closes:
        day = calendar.add_working_days(day, 1)
        at = datetime.combine(day, opens, LOCAL_TZ)
    elif local.time() < opens:
        at = datetime.combine(day, opens, LOCAL_TZ)
    while left > (open_for := datetime.combine(day, closes, LOCAL_TZ) - at):
        left -= open_for
        day = calendar.add_working_days(day, 1)
        at = datetime.combine(day, opens, LOCAL_TZ)
    return (at + left).astimezone(made.tzinfo) if made.tzinfo else at + left


def withdraw_held(case: Feedback) -> None:
    """The answer goes before an automatic letter's mail has left (its grace period, ``grace_end``): the
    letter stays on record and on the status page, but its mail, or the notice HCTH would owe by post,
    does not follow the answer with a promise of it (called by the lifecycle's approve)."""
    now = CLOCK.now()
    for letter in case.letters:
        key = mail_key(letter)
        db.session.execute(delete(OutboxMail).where(OutboxMail.key == key, OutboxMail.status == "pending",
                                                    OutboxMail.attempts == 0, OutboxMail.next_attempt_at > now)
                           .execution_options(synchronize_session="fetch"))
        notice = db.session.execute(select(CitizenNotice).where(CitizenNotice.key == key)).scalar()
        if notice is not None and notice.given_on is None and notice.owed_from > now:
            db.session.delete(notice)


def _letter_mail(letter: ApologyLetter) -> OutboxMail | None:
    return db.session.execute(select(OutboxMail).where(OutboxMail.key == mail_key(letter))).scalar()


def is_public(letter: ApologyLetter, now: datetime | None = None) -> bool:
    """Whether the letter may be read outside the department (the status page and the sender's copy, the
    API and the masked public copy): a unit's own letter at once; an automatic one once its grace period
    is over, when its mail leaves with the reason staff wrote meanwhile. Before, its reason is the default
    one that may still change, and one numbered letter would be public in two versions."""
    return not letter.automatic or (now or CLOCK.now()) >= grace_ends(letter)


def held_promise(case: Feedback, now: datetime | None = None) -> ApologyLetter | None:
    """The automatic letter whose new date the case is due on but that is not public yet (``is_public``):
    until it is, the public reads the date it missed, overdue, not a promise no letter it can read makes."""
    if not case.due_is_promised:
        return None
    return next((letter for letter in case.letters if letter.new_due_date == case.due_date
                 and not is_public(letter, now)), None)


def public_letters(case: Feedback, now: datetime | None = None) -> list[ApologyLetter]:
    return [letter for letter in case.letters if is_public(letter, now)]


# An automatic letter's grace period counts office hours from the next opening: across Tết and a weekend
# it ends at most this long after the letter was made
LONGEST_GRACE = timedelta(days=14)


def made_public_since(since: datetime, now: datetime | None = None) -> list[int]:
    """The cases whose automatic letter became public (its grace period ended) from ``since`` to now: their
    public view changed though no row of theirs did (``/api/v1/export?since``)."""
    now = now or CLOCK.now()
    recent = db.session.execute(select(ApologyLetter).where(
        ApologyLetter.automatic, ApologyLetter.created_at >= since - LONGEST_GRACE)).scalars()
    return sorted({letter.feedback_id for letter in recent if since <= grace_ends(letter) <= now})


def public_transitions(case: Feedback, now: datetime | None = None) -> list:
    """The audit rows the public reads (``Transition.public``), but the step of an automatic letter not
    public yet (``is_public``): the timeline names the letter from when the letter itself can be read."""
    held = {letter.created_at for letter in case.letters if not is_public(letter, now)}
    return [t for t in case.transitions if t.public and not (t.event == "apology_letter" and t.at in held)]


def public_at(t, case: Feedback) -> datetime:
    """When the public reads that a step happened: an automatic letter's step when its mail left (its grace
    period's end; the letter is dated that day), not the sweep's minute after midnight, a Saturday's maybe."""
    if t.event == "apology_letter":
        for letter in case.letters:
            if letter.automatic and letter.created_at == t.at:
                return grace_ends(letter)
    return t.at


def reason_editable(letter: ApologyLetter, now: datetime | None = None) -> bool:
    """Staff may still write the reason: an automatic letter, in its grace period, mail not yet sent."""
    now = now or CLOCK.now()
    if not letter.automatic or now >= grace_ends(letter):
        return False
    mail = _letter_mail(letter)
    return mail is None or mail.status == "pending"


TOO_LATE = N_("Phiếu đã được gửi hoặc đã hết thời gian bổ sung lý do.")


def set_reason(letter: ApologyLetter, reason: str, actor, shown: str | None = None) -> ApologyLetter:
    """Replace the default reason of an automatic letter during its grace period; commits. ``shown``: the
    reason the page showed; another saved since (a colleague, another tab) raises ``ReasonChanged``, and the
    same text saved again (a resend) changes nothing."""
    from .cases import audit
    reason = (reason or "").strip()
    if has_unsafe_chars(reason):  # the form is read without feedback_app.forms.Form: checked here
        raise LetterError(UNSAFE_TEXT)
    if len(visible(reason)) < MIN_EXPLANATION_CHARS:
        raise LetterError(N_("Vui lòng nêu rõ lý do (ít nhất 10 ký tự)."))
    if len(reason) > 2000:
        raise LetterError(N_("Lý do quá dài (tối đa 2000 ký tự)."))
    if not reason_editable(letter):
        raise LetterError(TOO_LATE)
    if reason == letter.reason:
        return letter  # nothing to change: sent twice, or saved as it was
    # compare-and-set on the text the page showed: two requests that read the same reason at once cannot
    # both replace it
    expected = letter.reason if shown is None else shown.strip()
    changed = db.session.execute(update(ApologyLetter).where(ApologyLetter.id == letter.id,
                                                             ApologyLetter.reason == expected)
                                 .values(reason=reason).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.rollback()
        raise ReasonChanged(reason)
    set_committed_value(letter, "reason", reason)  # the object says what was stored, without a second UPDATE
    mail = _letter_mail(letter)
    if mail is not None:  # the stored mail says what the letter says, unless the outbox took it meanwhile
        rewritten = db.session.execute(update(OutboxMail).where(
            OutboxMail.id == mail.id, OutboxMail.status == "pending", OutboxMail.next_attempt_at == mail.next_attempt_at)
            .values(body_text=outbox.render_mail("apology", feedback=letter.feedback, letter=letter))
            .execution_options(synchronize_session=False))
        if rewritten.rowcount != 1:
            db.session.rollback()
            raise LetterError(TOO_LATE)
    citizen_notices.rewrite(mail_key(letter), "apology", letter=letter)  # and so does a notice owed
    case = letter.feedback
    audit(case, "letter_reason", case.state, case.state, actor, note=f"Lý do phiếu {letter.reference}: {reason}",
          public=False)
    db.session.commit()
    return letter


def find_letter(letter_id: int, code: str | None = None) -> ApologyLetter | None:
    letter = db.session.get(ApologyLetter, letter_id)
    if letter is None or (code is not None and letter.feedback.code != code):
        return None
    return letter


def public_reason(letter: ApologyLetter) -> str:
    """The reason as the public reads it: pakn's masking of the published copy (the citizen's data
    masked, the department's own contact details kept), the same call as ``publication.proposal``."""
    return publication.proposal(letter.feedback, letter.reason)


def pdf_url(letter: ApologyLetter, public: bool = True) -> str:
    """The PDF's path: the masked public copy (by code and id), or the staff's full copy."""
    if not has_request_context():  # a job or a command: build it as the public site would
        with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_BASE_URL")):
            return pdf_url(letter, public)
    if public:
        return url_for("public.letter_pdf", code=letter.feedback.code, letter_id=letter.id)
    return url_for("office.letter_pdf", letter_id=letter.id)


def letters_json(case: Feedback, public: bool = True) -> list[dict]:
    """The case's letters for its JSON: no personal data in the public view (the PDF is the masked copy)."""
    rows = []
    for letter in (public_letters(case) if public else case.letters):
        pdf = pdf_url(letter, public)
        rows.append({"number": letter.reference, "year": letter.year, "date": letter.issued_on.isoformat(),
                     "missed_due_date": letter.missed_due_date.isoformat(),
                     "new_due_date": letter.new_due_date.isoformat(), "automatic": letter.automatic,
                     "reason": public_reason(letter) if public else letter.reason, "pdf_url": pdf})
    return rows
