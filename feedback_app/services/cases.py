"""Cases: receive a submission, and fire lifecycle events with their effects.

The order is always: fire the event (the machine sets the state) → apply its effects and the new
due date → write the audit row → queue mails in the outbox → commit. A stale version (someone else
changed the case meanwhile) rolls everything back and raises ``StaleCase``.
"""
from __future__ import annotations

import hashlib
import json
import re

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Mapping

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from workflows import lifecycle
from workflows.clock import CLOCK, LOCAL_TZ, end_of_local_day, local_date
from workflows.deadlines import CaseClock, DeadlineError, Promise
from workflows.lifecycle import InvalidEventArguments, N_, Role, State

from ..extensions import db
from ..models import CHANNEL_LABELS, PORTAL_CHANNELS, Category, Feedback, OutboxMail, Transition, Unit, staffed
from . import citizen_notices, outbox
from .calendar import deadlines, load_calendar, rules, target_date
from .files import mailable, reply_files
from .letters import withdraw_held
from .rows import insert_family
from .sequences import draw
from .unit_notices import notify_unit
from .webhooks import queue_delivery, webhooks_enabled


@dataclass(frozen=True)
class PublicActor:
    """Someone acting without an account: the citizen on the portal, or a scheduled job."""

    role: str
    full_name: str
    id: None = None
    unit_id: None = None


# stored as the audit row's actor_label, in Vietnamese; pages show it in their language (views_common.actor_label)
CITIZEN = PublicActor(Role.CITIZEN.value, N_("Người gửi"))
SYSTEM = PublicActor(Role.SYSTEM.value, N_("Hệ thống"))


class StaleCase(Exception):
    """The case changed since it was read (another user, another tab, or the same form sent before):
    the user must reload. Not "someone else": ``repeated`` tells a form sent twice."""

    message = N_("Phản ánh, kiến nghị đã được cập nhật kể từ khi trang được mở. Vui lòng tải lại trang và thử lại.")
    # the same form sent again (a double click, a reload, the back button, a second tab) after its first
    # sending was recorded: what stands is the first sending, whatever the second one chose
    repeated_message = N_("Thao tác này đã được ghi nhận (%(action)s, lúc %(at)s) theo lần gửi trước; biểu mẫu vừa "
                          "gửi không được thực hiện, kể cả phần khác với lần trước. Vui lòng xem lại hồ sơ.")
    done_message = N_("Thao tác này đã được ghi nhận; biểu mẫu gửi lại không thay đổi gì thêm.")


def repeated(case: Feedback, actor, event: str) -> Transition | None:
    """The audit row of ``event`` by ``actor`` when it is the case's latest: the request met a newer
    version because it had already been recorded, not because another change came between."""
    last = db.session.execute(select(Transition).where(Transition.feedback_id == case.id)
                              .order_by(Transition.id.desc()).limit(1)).scalar_one_or_none()
    if last is not None and last.event == event and last.actor_id is not None and last.actor_id == actor.id:
        return last
    return None


@dataclass(frozen=True)
class Submission:
    """What a citizen sends (NĐ 20/2008 Art 7.1: name, address, phone or e-mail, clear content)."""

    full_name: str
    address: str
    title: str
    content: str
    phone: str | None = None
    email: str | None = None
    procedure: str | None = None
    consent_publish: bool = False
    channel: str = "web"
    language: str = "vi"
    key: str | None = None  # the API's Idempotency-Key or the portal form's key: one case per key (submit_once)
    national_code: str | None = None  # its code on the national system, when HCTH enters it from there

    def as_stored(self) -> dict[str, Any]:
        """The citizen's fields as the case stores them."""
        return {"submitter_name": self.full_name.strip(), "address": self.address.strip(),
                "phone": (self.phone or "").strip() or None, "email": (self.email or "").strip().lower() or None,
                "title": self.title.strip(), "content": self.content.strip(),
                "procedure": (self.procedure or "").strip() or None, "consent_publish": self.consent_publish,
                "channel": self.channel, "national_code": self.national_code}

    def digest(self) -> str:
        """SHA-256 of the fields as first stored (``Feedback.submission_digest``): a submission sent again
        with its key is the same one even after HCTH corrected the case (services.corrections)."""
        stored = json.dumps(self.as_stored(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(stored.encode("utf-8")).hexdigest()


def new_code(day: date) -> str:
    """The national system's tracking code, ``PAKN.YYYYMMDD.NNNN`` (brief: Decisions for pakn)."""
    return f"PAKN.{day:%Y%m%d}.{draw(f'code:{day:%Y%m%d}'):04d}"


RECEIPT_SUBJECT = "Đã tiếp nhận phản ánh, kiến nghị {code}"


def receipt_mail(case: Feedback, key: str | None = None):
    """The receipt mail (code, time of receipt, due date; nothing the sender typed: templates/mail/received.txt),
    not yet stored; None without an e-mail."""
    if not case.email:
        return None
    return outbox.compose(key or f"received:{case.code}", "received", case.email,
                          RECEIPT_SUBJECT.format(code=case.code), "received", feedback=case)


def receipt_notice(case: Feedback, key: str | None = None):
    """The receipt HCTH owes by phone or post to the sender of a PAKN it entered who gave no e-mail
    (citizen_notices), not yet stored; None otherwise: the portal and the API showed their sender the code."""
    if case.channel in PORTAL_CHANNELS:
        return None
    return citizen_notices.compose(case, key or f"received:{case.code}", "received",
                                   RECEIPT_SUBJECT.format(code=case.code), "received")


def _transition(event: str, source: str, dest: str, actor, note: str | None, public: bool) -> Transition:
    return Transition(event=event, from_state=source, to_state=dest, actor_id=getattr(actor, "id", None),
                      actor_label=actor.full_name, at=CLOCK.now(), note=note, public=public)


def audit(case: Feedback, event: str, source: str, dest: str, actor, note: str | None = None,
          public: bool = True) -> Transition:
    row = _transition(event, source, dest, actor, note, public)
    row.feedback = case
    db.session.add(row)
    if dest in (State.REFUSED.value, State.TRANSFERRED.value) and source != dest:
        case.closed_at = row.at  # reports: when the case left without an answer
    queue_delivery(case, row)  # issue 6: every state change is offered to the webhook
    return row


def receive(submission: Submission, *, commit: bool = True, received_at: datetime | None = None,
            actor=CITIZEN) -> Feedback:
    """Register a new case (NĐ 20/2008 Art 9.1: receive, enter in the register) and start its clock.

    Every submission comes through here, so it is kept short: everything, the code and the receipt
    mail included, is computed first, then the three rows are written directly
    (``rows.insert_family``: one statement on PostgreSQL, three INSERTs on SQLite), because on SQLite
    the whole file is locked against every other submission from the first write to the commit. The
    code's number comes from a block reserved beforehand (``sequences.draw``).

    ``commit``: commit before returning; False when the caller writes more in the same transaction
    (attachments). Committing, without a webhook, lets ``insert_family`` commit the three rows itself
    (``alone``): on PostgreSQL in their one statement, on SQLite right after their INSERTs.

    ``received_at`` and ``actor``: a PAKN that came on paper, by phone or e-mail, entered by HCTH
    (QĐ 31/2021/QĐ-TTg Art 43.2b; NĐ 20/2008 Art 6–7): received when it actually arrived, so the
    code's day and the due date count from that day (Art 9.1d), and the audit row names the officer
    who entered it (at the time of entry). Such a case reads the calendar as stored: the sweep's
    check after a calendar change (``recheck_after_change``) looks only at cases received since the
    change, which a back-dated one may not be."""
    now = CLOCK.now()
    received = received_at or now
    day = local_date(received)  # the day of receipt: the code's day, and the due date counts from it
    # the portal and the API are the only cached readers (see load_calendar)
    plan = deadlines(load_calendar(cached=received_at is None))
    case = Feedback(**submission.as_stored(), language=submission.language, received_at=received)
    if submission.key:
        case.submission_key, case.submission_digest = submission.key, submission.digest()
    lifecycle.receive(case)
    case.due = plan.on_receipt(day)
    case.target_date = case.due_date  # no category yet: the target is the legal date
    case.code = new_code(day)
    note = f"Kênh: {CHANNEL_LABELS.get(case.channel, case.channel)}"  # audit notes are Vietnamese text
    if received_at is not None:
        note += f"; nhận lúc {received_at.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
    row = _transition("receive", State.RECEIVED.value, State.RECEIVED.value, actor, note, True)
    mail = receipt_mail(case) or receipt_notice(case)  # a new code: no earlier mail can have this key
    # when these three rows are all there is to write (we commit, no webhook), insert_family commits
    # them: on PostgreSQL in their one statement, on SQLite right after them (the file is locked from
    # the first write to the commit)
    alone = commit and not webhooks_enabled()
    insert_family(case, [row] if mail is None else [row, mail], link="feedback_id", alone=alone)
    if not alone:
        queue_delivery(case, row)
        if commit:
            db.session.commit()
    return case


# --- event effects ----------------------------------------------------------------------------
# Each effect gets the case (already in its new state), the resolved arguments and the actor,
# and returns the note for the audit row.

Effect = Callable[[Feedback, Mapping[str, Any], Any], str | None]


def _request_info(case, args, actor):
    case.info_requested = args["missing"]
    send_info_request(case)
    return f"Cần bổ sung: {args['missing']}"


def send_info_request(case: Feedback) -> None:
    """The request for information (``case.info_requested``) to the citizen: its mail, or the notice HCTH
    owes by phone or post, under a key of its own. The key names what carries this request: refusing for
    "no answer" waits until it reached the citizen (citizen_notices.info_answer_due)."""
    case.info_request_key = f"request_info:{case.code}:{case.version}"
    citizen_notices.notify(case, case.info_request_key, "request_info",
                           f"Đề nghị bổ sung thông tin cho {case.code}", "request_info",
                           days=rules().numbers()["citizen_info_days"])


def _provide_info(case, args, actor):
    # answered: a notice of the request that HCTH has not yet given by phone or post is owed no more
    citizen_notices.drop_owed(case, "request_info")
    return _the_note(case, args, actor)


DIRECTION = "Chỉ đạo: "  # the audit note of ``direct``, before the leader's words (``directions``)


def _direct(case, args, actor):
    case.directed_at = CLOCK.now()
    return DIRECTION + args["instruction"]


def directions(case: Feedback) -> list[tuple[datetime, str]]:
    """The leader's directions on ``case`` (``direct``), oldest first: when, and the words."""
    return [(t.at, t.note.removeprefix(DIRECTION)) for t in case.transitions if t.event == "direct" and t.note]


def _the_note(case, args, actor):
    return args.get("note") or None


def _the_reason(case, args, actor):
    return args["reason"]


def _classify(case, args, actor):
    case.category = args["category"]
    case.subject = args.get("subject") or lifecycle.DEFAULT_SUBJECT
    about = "; về hành vi hành chính" if case.subject == "behaviour" else ""
    return f"Phân loại: {args['category'].name}{about}" + (f". {args['note']}" if args.get("note") else "")


def _refuse(case, args, actor):
    reason = lifecycle.REFUSAL_REASONS[args["reason"]]
    case.refusal_reason, case.refusal_note = reason.code, args.get("note") or None
    citizen_notices.notify(case, f"refused:{case.code}", "refused",
                           f"Thông báo không tiếp nhận phản ánh, kiến nghị {case.code}", "refused", reason=reason)
    return f"{reason.label} ({reason.basis})" + (f". {args['note']}" if args.get("note") else "")


def _transfer_out(case, args, actor):
    case.transferred_to = args["agency"]
    citizen_notices.notify(case, f"transferred:{case.code}", "transferred",
                           f"Phản ánh, kiến nghị {case.code} đã được chuyển cơ quan có thẩm quyền", "transferred")
    return f"Chuyển đến: {args['agency']}" + (f". {args['note']}" if args.get("note") else "")


def _forward(case, args, actor):
    case.unit = args["unit"]
    return f"Chuyển đến: {args['unit'].name}" + (f". {args['note']}" if args.get("note") else "")


def _return_to_office(case, args, actor):
    case.unit = case.assignee = None  # the unit that gets it next picks its own officer (services.assignment)
    return _the_reason(case, args, actor)


def _submit_draft(case, args, actor):
    case.reply_text = args["reply"]
    return None


def _request_changes(case, args, actor):
    return args["note"]


def first_answer_due_date(case: Feedback) -> date | None:
    """The answer's due date before an apology letter moved it. A letter is written because that date
    was, or was about to be, missed (NĐ 61/2018 Art 19.9; brief, "apology letter"), so an answer sent
    by the letter's new date is still late: the reports (Biểu 06 TT 01/2020) and the on-time rate
    (TT 01/2018, indicator 8) judge it against the first date."""
    letter = case.answer_letter
    return letter.missed_due_date if letter else case.due_date


def _approve(case, args, actor):
    now = CLOCK.now()
    previous = case.answer_sent_at  # the answer the citizen already holds, if HCTH returned one
    case.answer_text = case.reply_text  # what the citizen is sent now, and what the status page shows
    if previous is None:
        due = first_answer_due_date(case)
        case.answered_at = now
        case.answered_due_date = due  # reports tell early from on time from late (Biểu 06 TT 01/2020)
        case.answered_on_time = due is None or now < end_of_local_day(due)
    else:
        # A revised answer (return_answer, QĐ 31/2021/QĐ-TTg Art 46): the citizen had an approved answer
        # at answered_at, and the reports count that one (Biểu 06 counts the answer sent), so the
        # first answer's timestamps stay as they are; only the revision's own approval is kept.
        case.revised_at = now
    for attachment in case.attachments:  # the draft's files go out with this answer (files.reply_files)
        if attachment.kind == "reply" and attachment.sent_at is None:
            attachment.sent_at = now
    files = mailable(reply_files(case))
    # the answer's files go with its mail unless together they are too big for a mailbox; the mail
    # then names them and the status page offers them (public.reply_file). Without an e-mail, HCTH
    # encloses them with the answer it posts (citizen_notices).
    mailed = bool(case.email) and bool(files) and \
        sum(a.size for a in files) <= current_app.config["MAIL_MAX_ATTACHMENT_BYTES"]
    if previous is None:
        key, subject = f"answered:{case.code}", f"Trả lời phản ánh, kiến nghị {case.code}"
    else:
        # a mail of its own (its own outbox key, one per revision) that says what it replaces; an
        # answer mail the outbox never delivered (the mail server down meanwhile) goes no more: HCTH
        # judged that answer unsuitable, and it would follow or overtake the one that replaces it.
        # Nor does an answer HCTH has not yet told or posted to a citizen without an e-mail.
        # one statement, whatever its lease: a worker claiming the mail meanwhile is no change to the case
        db.session.execute(delete(OutboxMail).where(
            OutboxMail.feedback_id == case.id, OutboxMail.kind == "answered", OutboxMail.status != "sent")
            .execution_options(synchronize_session=False))
        citizen_notices.drop_owed(case, "answered")
        revision = sum(1 for t in case.transitions if t.event == "return_answer")
        key = f"answered:{case.code}:revised:{revision}"
        subject = (f"Phản ánh, kiến nghị {case.code}: câu trả lời đã được hoàn thiện, "
                   f"thay thế câu trả lời gửi ngày {local_date(previous):%d/%m/%Y}")
    citizen_notices.notify(case, key, "answered", subject, "answered",
                           attachment_ref=f"replies:{case.id}" if mailed or (files and not case.email) else None,
                           files=files, mailed=mailed, replaces=local_date(previous) if previous else None)
    withdraw_held(case)  # a letter still held would promise the answer the citizen is sent now
    return None


def _return_answer(case, args, actor):
    """QĐ 31/2021/QĐ-TTg Art 46: HCTH returns the answer to the unit that wrote it (``unit_id`` stays)
    before publication. The public answer HCTH reviewed was the old answer's, so it goes; the reviewed
    title and question stay, and the proposal for the answer is made again from the revised reply
    (services.publication.preview). The answer the citizen holds (``answer_text``) and every timestamp
    the reports read stay as they are; the reason, in the audit row, is what the unit reads."""
    case.public_answer = None
    from .assignment import release_if_gone  # services.assignment reads this module
    release_if_gone(case)
    return args["reason"]


def _publish(case, args, actor):
    from .publication import publish_texts  # the public copy HCTH reviewed (redacted)
    publish_texts(case)
    case.published_at = CLOCK.now()
    return None


def _extend(case, args, actor):
    from .letters import issue_letter
    letter = issue_letter(case, missed_due_date=case.due_date, new_due=args["_new_due"], reason=args["reason"],
                          automatic=False)
    case.extension_count += 1
    return f"Phiếu xin lỗi số {letter.reference}; hẹn lại ngày {letter.new_due_date:%d/%m/%Y}: {args['reason']}"


def _archive(case, args, actor):
    """Filed in the department's records (NĐ 20/2008 Art 9.1, 14.2e) under the file's reference; the
    trail's note is the reference (and the officer's note), no words of the system's that an English
    page would show in Vietnamese."""
    case.archived_at, case.archive_ref = CLOCK.now(), args["reference"]
    return "; ".join(filter(None, (args["reference"], args.get("note"))))


EFFECTS: dict[str, Effect] = {
    "request_info": _request_info, "provide_info": _provide_info, "classify": _classify, "refuse": _refuse,
    "transfer_out": _transfer_out, "forward": _forward, "return_to_office": _return_to_office,
    "collect_basis": _the_reason, "resume_handling": _the_note,
    "submit_draft": _submit_draft, "request_changes": _request_changes, "approve": _approve,
    "publish": _publish, "return_answer": _return_answer, "extend": _extend, "archive": _archive, "direct": _direct,
}
assert set(EFFECTS) == set(lifecycle.EVENTS), "every lifecycle event needs its effect"
# the lifecycle (pure Python) states the lengths of the short texts; they are what their columns hold
assert {(e, n): m for e, spec in lifecycle.EVENTS.items() for n, m in spec.max_chars.items()} == {
    ("transfer_out", "agency"): Feedback.transferred_to.type.length,
    ("archive", "reference"): Feedback.archive_ref.type.length}, "EventSpec.max_chars and the columns differ"


UNSTAFFED = N_("Đơn vị này chưa có người dùng nào đang hoạt động: không ai nhận được hồ sơ. Hãy đề nghị quản trị "
                "tạo tài khoản cho đơn vị, hoặc chọn đơn vị khác.")


CATEGORY_RETIRED = N_("Lĩnh vực này đã ngừng sử dụng: hãy chọn lĩnh vực khác.")


def _resolve(event: str, args: Mapping[str, Any], state: str) -> dict[str, Any]:
    """Turn codes into rows (422 when unknown) and strip text."""
    resolved = {k: (v.strip() if isinstance(v, str) else v) for k, v in (args or {}).items()}
    if lifecycle.unsafe_arguments(event, resolved):
        return resolved  # looked up nothing: no database can compare such a text; the lifecycle refuses it
    if event == "classify" and resolved.get("category"):
        category = db.session.execute(select(Category).where(Category.code == resolved["category"])).scalar()
        if category is None:
            raise InvalidEventArguments(event, state, N_("Không có lĩnh vực phân loại này."),
                                        {"category": N_("Không có lĩnh vực phân loại này.")})
        if not category.active:
            raise InvalidEventArguments(event, state, CATEGORY_RETIRED, {"category": CATEGORY_RETIRED})
        resolved["category"] = category
    if event == "forward" and resolved.get("unit"):  # codes are stored in capitals (accounts.save_unit)
        unit = db.session.execute(select(Unit).where(Unit.code == str(resolved["unit"]).upper(), Unit.active)).scalar()
        if unit is None or unit.is_office:
            raise InvalidEventArguments(event, state, N_("Không có đơn vị xử lý này."),
                                        {"unit": N_("Không có đơn vị xử lý này.")})
        if not db.session.execute(select(staffed(unit.id))).scalar():
            raise InvalidEventArguments(event, state, UNSTAFFED, {"unit": UNSTAFFED})
        resolved["unit"] = unit
    if event == "extend" and resolved.get("new_date"):
        try:
            value = resolved["new_date"]
            if not isinstance(value, date) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise ValueError(value)  # YYYY-MM-DD as documented, not the other forms fromisoformat reads
            resolved["new_date"] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise InvalidEventArguments(event, state, N_("Ngày không hợp lệ."),
                                        {"new_date": N_("Ngày không hợp lệ (YYYY-MM-DD).")}) from None
    return resolved


def _facts(case: Feedback, event: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """What the lifecycle's guards read beyond the case (lifecycle.Context): when the citizen's time to
    answer a request for information ends, for a refusal for not answering it; the notices HCTH still
    owes the citizen, before the case is filed."""
    if event == "refuse" and args.get("reason") == citizen_notices.NO_ANSWER:
        return {"info_answer_due": citizen_notices.info_answer_due(case)}
    if event == "archive":
        return _standing_facts(case)
    if event == "extend":
        return _extension_facts(case)
    return {}


def _standing_facts(case: Feedback) -> dict[str, Any]:
    """What the guards read that no argument changes: the notices HCTH still owes the citizen, the last day
    a letter may give a new date."""
    return {"notices_owed": citizen_notices.owed_for(case), **_extension_facts(case)}


def _extension_facts(case: Feedback) -> dict[str, Any]:
    """The last day an apology letter may give a new date: the working day before the due date (NĐ 61/2018
    Art 19.9, at least 1 working day before it)."""
    if case.due_date is None:
        return {}
    return {"last_day_to_extend": load_calendar().add_working_days(case.due_date, -1)}


def allowed_events(case: Feedback, actor) -> list[str]:
    """The events ``actor`` may fire on ``case`` today (``lifecycle.allowed_events``) with the facts its
    guards read, so that a page or the API never offers an action ``apply_event`` would refuse (a case
    filed while the citizen is still owed a notice)."""
    return lifecycle.allowed_events(case, actor, CLOCK.today(), _standing_facts(case))


def answer_limit(case: Feedback) -> tuple[date, int]:
    """The latest date the citizen's answer is due (the whole case's limit: ``case_total_days`` working
    days from receipt plus those spent waiting for the citizen; brief: 5 + 15) and that number of days."""
    plan = deadlines()
    return plan.case_limit(clock_of(case)), plan.rules.case_total_days


def clock_of(case: Feedback) -> CaseClock:
    promise = None
    if case.extension_count:  # the letters are read only for a case that has one
        letter = case.answer_letter
        promise = Promise(letter.missed_due_date, letter.new_due_date) if letter else None
    return CaseClock(received_on=local_date(case.received_at), due=case.due, paused_days=case.paused_days,
                     consent_publish=case.consent_publish, promise=promise)


def apply_event(case: Feedback, event: str, actor, args: Mapping[str, Any] | None = None,
                expected_version: int | None = None) -> Transition:
    """Fire ``event`` on ``case`` as ``actor`` and commit, or raise a ``LifecycleError`` / ``StaleCase``."""
    if expected_version is not None and int(expected_version) != case.version:
        raise StaleCase()
    today = CLOCK.today()
    resolved = _resolve(event, args or {}, case.state)
    facts = _facts(case, event, resolved)
    lifecycle.check(case, event, actor, resolved, today, facts=facts)
    plan = deadlines()
    before = clock_of(case)
    try:
        change = plan.after(event, before, today, new_date=resolved.get("new_date"))
    except DeadlineError as exc:  # its text names the rules' counts (``Rules.numbers``)
        raise InvalidEventArguments(event, case.state, str(exc), {"new_date": str(exc)},
                                    params=plan.rules.numbers()) from None
    if event == "extend":
        resolved["_new_due"] = change.due
    try:
        move = lifecycle.fire(case, event, actor, resolved, today, facts=facts)
        # an effect's query may autoflush the new state: a stale version can surface there too
        note = EFFECTS[event](case, resolved, actor)
        if change.due is None or change.due.date != case.due_date:
            case.overdue_since = None  # a new due date has not been missed yet
        case.due, case.paused_days = change.due, change.paused_days
        case.target_date = target_date(case, plan)
        row = audit(case, move.event, move.source, move.dest, actor, note=note, public=lifecycle.EVENTS[event].public)
        notify_unit(case, event, resolved, actor)  # after the due date moved: the mail names the new one
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # another request changed the case first (the version moved, or its mail/letter exists)
        db.session.rollback()
        raise StaleCase() from None
    current_app.logger.info("case %s: %s %s -> %s by %s", case.code, event, move.source, move.dest,
                            actor.full_name)
    return row


TRACKING_CODE = re.compile(r"PAKN\.\d{8}\.\d{4,}", re.IGNORECASE)
# A code read out or copied with other separators, or none: "PAKN-20240304-0001", "PAKN 20240304 0001".
_TYPED_CODE = re.compile(r"PAKN[.\-‐‑–—_,/:]*(\d{8})[.\-‐‑–—_,/:]*(\d{4,})")  # dashes as word processors set them


def normalise_code(code: str | None) -> str:
    """A tracking code as typed or pasted ("pakn.20240304.0001", "PAKN. 20240304 .0001 ",
    "PAKN-20240304-0001") as it is stored: capitals, no spaces, its two dots."""
    compact = "".join((code or "").split()).upper()
    typed = _TYPED_CODE.fullmatch(compact)
    return f"PAKN.{typed[1]}.{typed[2]}" if typed else compact


def transfer_of(case: Feedback) -> Transition | None:
    """The audit row of the transfer that sent ``case`` to the competent agency (its date is the
    transfer letter's), None unless the case was transferred."""
    if case.state != State.TRANSFERRED.value:
        return None
    return db.session.scalars(select(Transition).where(
        Transition.feedback_id == case.id, Transition.event == "transfer_out")
        .order_by(Transition.at.desc(), Transition.id.desc()).limit(1)).first()


def find(code: str | None) -> Feedback | None:
    """The case of a tracking code, however typed (``normalise_code``)."""
    return db.session.execute(select(Feedback).where(Feedback.code == normalise_code(code))).scalar_one_or_none()
