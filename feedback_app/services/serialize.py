"""A case as JSON: the public view (never personal data: codes are guessable) and the staff view."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext

from workflows.lifecycle import STATE_LABELS, Role, State

from ..models import Feedback
from .calendar import basis_text
from .letters import held_promise, letters_json


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def staff_may_see(user, case: Feedback) -> bool:
    """A unit sees only the cases forwarded to it (anything else is a 404, not a leak). The admin
    keeps users, units and the calendar and takes no part in the workflow: no case, as on the pages."""
    if user.role == Role.ADMIN.value:
        return False
    return user.role != Role.UNIT.value or (case.unit_id is not None and case.unit_id == user.unit_id)


def public_state(case: Feedback) -> State:
    """The state anyone reads: an answer HCTH returned for revision is still the answer the citizen holds."""
    return State.ANSWERED if case.answer_returned else State(case.state)


def public_case(case: Feedback) -> dict[str, Any]:
    """What anyone may see: state, dates, unit; the question and answer once published, redacted.
    An answer HCTH returned for revision is still the answer the citizen was sent, as on the status
    page: the state is "answered", and the unit's revision date is the department's own."""
    returned = case.answer_returned
    state = public_state(case)
    held = held_promise(case)
    data: dict[str, Any] = {
        "code": case.code,
        "state": state.value,
        "state_label": gettext(STATE_LABELS[state]),
        "received_at": _iso(case.received_at),
        "due_date": None if returned else _iso(held.missed_due_date if held else case.due_date),
        "due_step": None if returned else case.due_step,
        "unit": case.unit.name if case.unit else None,
        "answered_at": _iso(case.answered_at),
        "published_at": _iso(case.published_at),
        "letters": letters_json(case, public=True),  # apology letters, masked (NĐ 61/2018 Art 19.9)
    }
    if case.state == State.PUBLISHED.value:
        data.update(title=case.public_title, question=case.public_question, answer=case.public_answer)
    return data


def staff_case(case: Feedback) -> dict[str, Any]:
    """Everything, for staff."""
    return {
        **public_case(case),
        "due_date": None if case.answer_returned else _iso(case.due_date),  # a held letter's date too
        "version": case.version,
        "submitter": {"name": case.submitter_name, "address": case.address, "phone": case.phone,
                      "email": case.email},
        "title": case.title, "content": case.content, "procedure": case.procedure,
        "channel": case.channel, "consent_publish": case.consent_publish,
        "category": case.category.code if case.category else None,
        "subject": case.subject,  # regulation / behaviour (NĐ 20/2008 Art 9.1b–c)
        "national_code": case.national_code,  # QĐ 31/2021 Art 43
        "unit_code": case.unit.code if case.unit else None,
        # the unit's officer handling it (services.assignment)
        "assignee": officer(case.assignee),
        "due": {"step": case.due_step, "start": _iso(case.due_start), "days": case.due_days,
                "date": _iso(case.due_date), "basis": basis_text(case.due_basis)} if case.due_date else None,
        "extension_count": case.extension_count,
        "letters": letters_json(case, public=False),
        "overdue_since": _iso(case.overdue_since),
        "info_requested": case.info_requested,
        "refusal_reason": case.refusal_reason, "transferred_to": case.transferred_to,
        "reply": case.reply_text,  # the draft, then the approved answer
        # the answer the citizen holds, and when a revision of it (HCTH's return_answer) was approved
        "answer": case.answer_text, "revised_at": _iso(case.revised_at),
        # filed in the records (lifecycle archive; NĐ 20/2008 Art 14.2e): when, under which reference
        "archived_at": _iso(case.archived_at), "archive_ref": case.archive_ref,
        # the citizen's rating of the answer: 3 very satisfied, 2 satisfied, 1 not satisfied
        "rating": {"score": case.rating.score, "comment": case.rating.comment, "at": _iso(case.rating.created_at)}
        if case.rating else None,
        "history": [{"event": t.event, "from": t.from_state, "to": t.to_state, "actor": t.actor_label,
                     "at": _iso(t.at), "note": t.note} for t in case.transitions],
    }


def officer(user) -> dict[str, Any] | None:
    """The unit's officer handling a case (services.assignment), as every staff answer gives it."""
    return {"id": user.id, "name": user.full_name} if user else None
