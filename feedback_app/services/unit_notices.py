"""Mail to the unit that must act next on a case: HCTH forwarded it (``forward``), the leader or HCTH
sent its draft back with changes to make (``request_changes``), or HCTH returned its answer before
publication (``return_answer``, QĐ 31/2021/QĐ-TTg Art 46). Each active user of the unit, and the
unit's own mailbox, gets one mail through the outbox, written in the event's transaction; it names
the case, what to do, by which date (the step's due date, already moved by the event) and links to
the case page on the unit's workspace."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select

from workflows.deadlines import STEP_LABELS, Step
from workflows.lifecycle import Role, State

from ..extensions import db
from ..models import Feedback, OutboxMail, Unit, User
from . import outbox


@dataclass(frozen=True)
class UnitNotice:
    template: str  # templates/mail/<template>.txt, also the outbox kind
    subject: str   # formatted with code, due (dd/mm/yyyy) and who asked


NOTICES: dict[str, UnitNotice] = {
    "forward": UnitNotice("unit_forward", "Phản ánh, kiến nghị {code} được chuyển đến đơn vị xử lý (hạn {due})"),
    "request_changes": UnitNotice("unit_request_changes",
                                  "{asked_by} yêu cầu chỉnh sửa dự thảo trả lời {code} (hạn {due})"),
    "return_answer": UnitNotice("unit_return_answer",
                                "Văn phòng trả lại câu trả lời {code} để hoàn thiện trước khi công khai (hạn {due})"),
    # the leader's direction on an escalated case, to the unit holding it (at HCTH: its queue and the
    # overdue list show it)
    "direct": UnitNotice("unit_direct", "Lãnh đạo Sở chỉ đạo xử lý phản ánh, kiến nghị quá hạn {code}"),
}


# a unit returned the case as not its own: to HCTH, who routes it again (its queue marks it too)
HANDED_BACK = UnitNotice("office_return_to_office", "{unit} trả lại phản ánh, kiến nghị {code} cho Văn phòng (hạn {due})")

# a unit's user made a colleague the case's handler (services.assignment): to that officer alone
ASSIGNED = UnitNotice("unit_assign", "Ông/Bà được phân công xử lý phản ánh, kiến nghị {code} (hạn {due})")

UNIT_STATES = (State.FORWARDED.value, State.COLLECTING.value)  # the unit holds the case


def asked_by(actor) -> str:
    """Who sent the draft back: the leader approves answers, HCTH may ask for changes too."""
    return "Lãnh đạo Sở" if getattr(actor, "role", None) == Role.LEADER.value else "Phòng Hành chính - Tổng hợp"


def unit_addresses(unit: Unit) -> list[str]:
    """The unit's active users, then its own mailbox (as the sweep's reminders, ``sweep._Recipients``)."""
    users = db.session.execute(select(User.email).where(User.unit_id == unit.id, User.role == Role.UNIT.value,
                                                        User.active).order_by(User.email)).scalars().all()
    return [*users, *([unit.email] if unit.email else [])]


def notify_unit(case: Feedback, event: str, args: Mapping[str, Any], actor) -> list[OutboxMail]:
    """Queue the mails ``event`` owes the unit now holding ``case`` (none for another event). Call it
    after the event's audit row is added: the row's count keys the mails, one set per firing."""
    if event == "return_to_office":
        from .accounts import office_addresses
        unit = actor.unit.name if getattr(actor, "unit", None) else "Đơn vị"
        return _queue(case, event, HANDED_BACK, office_addresses(), actor, note=args.get("reason") or "",
                      unit=unit, link=outbox.link("office.case", code=case.code))
    notice = NOTICES.get(event)
    if notice is None or case.unit is None or (event == "direct" and case.state not in UNIT_STATES):
        return []
    return _queue(case, event, notice, unit_addresses(case.unit), actor,
                  note=args.get("note") or args.get("reason") or args.get("instruction") or "")


def notify_assignee(case: Feedback, officer: User, actor) -> list[OutboxMail]:
    """Queue the mail telling ``officer`` that a colleague made them the case's handler
    (services.assignment). After the ``assign`` audit row, as ``notify_unit``."""
    return _queue(case, "assign", ASSIGNED, [officer.email], actor, officer=officer)


def _queue(case: Feedback, event: str, notice: UnitNotice, addresses: list[str], actor, **extra) -> list[OutboxMail]:
    firing = sum(1 for t in case.transitions if t.event == event)
    who = asked_by(actor)
    subject = notice.subject.format(code=case.code, asked_by=who, unit=extra.get("unit", ""),
                                    due=f"{case.due_date:%d/%m/%Y}" if case.due_date else "—")
    return outbox.enqueue_each(f"{notice.template}:{case.code}:{firing}", notice.template,
                               addresses, subject, notice.template, feedback=case, asked_by=who, actor=actor,
                               # the Vietnamese label, whatever language the staff member who acted reads
                               step_label=STEP_LABELS[Step(case.due_step)] if case.due_step else "",
                               **{"link": outbox.link("unit.case", code=case.code), **extra})
