"""Open data and sync with the national PAKN system (the department's plan, item 23):

- ``GET /api/v1/feedback/{code}/history``: the state history of a case. Anyone may read events and
  dates (NĐ 20/2008 Art 12.2: the sender may ask where the case stands); the actors' names and the
  notes, which may quote personal data, only with a staff token.
- ``GET /api/v1/export?since=ISO``: JSON lines, streamed, of the cases changed since an instant,
  with their state history and published answers; staff token (office or leader) required.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from flask import Response, request, stream_with_context
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from workflows import clock
from workflows.lifecycle import DRAFTING_STATES, Role, State

from ..auth import api_user, unauthorized
from ..extensions import db
from ..models import Feedback, Transition
from ..services import serialize
from ..services.letters import made_public_since, public_transitions
from . import bp
from .errors import error
from ..public.routes import code_rate_limit
from .cases import TOO_MANY_BY_CODE, visible_case
from .openapi import document

# the admin takes no part in the workflow and sees no case (serialize.staff_may_see); the sync with the
# national system runs with a token of an HCTH account
EXPORT_ROLES = (Role.OFFICE.value, Role.LEADER.value)
BATCH = 500


def history(case: Feedback, staff: bool) -> list[dict]:
    """The audit trail; without ``staff`` only public rows, no names or notes, and the states as the public
    view says them: from HCTH's ``return_answer`` to the revised answer's approval the citizen still holds
    an answer (``serialize.public_state``), so those rows read "answered" where the unit's drafting states
    stood."""
    if staff:
        return [{"event": t.event, "from": t.from_state, "to": t.to_state, "at": t.at.isoformat(),
                 "actor": t.actor_label, "note": t.note} for t in case.transitions]
    rows, revising = [], False  # revising: after a return_answer, until the revision is approved
    for t in public_transitions(case):
        source = State.ANSWERED.value if revising and t.from_state in DRAFTING_STATES else t.from_state
        revising = (revising or t.event == "return_answer") and t.to_state in DRAFTING_STATES
        dest = State.ANSWERED.value if revising else t.to_state
        rows.append({"event": t.event, "from": source, "to": dest, "at": t.at.isoformat()})
    return rows


@bp.get("/feedback/<code>/history")
@code_rate_limit
def feedback_history(code: str):
    case, user = visible_case(code)
    staff = user is not None
    return {"code": case.code, "state": case.state if staff else serialize.public_state(case).value,
            "history": history(case, staff=staff)}


def export_line(case: Feedback) -> str:
    data = serialize.public_case(case)
    data["history"] = history(case, staff=False)
    data["updated_at"] = case.updated_at.isoformat()
    return json.dumps(data, ensure_ascii=False) + "\n"


def parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 query parameter; without an offset it is Vietnamese local time. An unescaped
    "+07:00" arrives as " 07:00" in a query string: read it as meant. Raises ValueError (an instant
    beyond year 1 to 9999 in UTC or local time too: ``clock.utc_instant``)."""
    if not text:
        return None
    return clock.parse_instant(re.sub(r" (\d{2}:?\d{2})$", r"+\1", text.strip()).replace("Z", "+00:00"))


class BadInstant(ValueError):
    """The query parameter ``name`` is no instant that ``parse_instant`` reads."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def message(self) -> str:
        return gettext("Tham số %(name)s phải là thời điểm theo ISO 8601, ví dụ 2024-06-01T00:00:00+07:00.",
                       name=self.name)


def instant_arg(name: str) -> datetime | None:
    """The query parameter ``name`` as an instant (``parse_instant``), None when absent or empty;
    ``BadInstant`` naming it when unreadable."""
    try:
        return parse_instant(request.args.get(name))
    except ValueError:
        raise BadInstant(name) from None


@bp.get("/export")
def export_cases():
    user = api_user()
    if user is None:
        return unauthorized()
    if user.role not in EXPORT_ROLES:
        return error(403, gettext("Bạn không có quyền thực hiện thao tác này."))
    try:
        since = instant_arg("since")
        if since is None and "since" in request.args:
            raise BadInstant("since")  # "since=" is a mistake, not a request for everything
    except BadInstant as bad:
        return error(400, bad.message(), {"since": gettext("Thời điểm không hợp lệ.")})

    # a letter that became public meanwhile changed the line (its letters, its history) and no row
    letters_out = made_public_since(since) if since is not None else []

    def lines():
        last_id = 0
        while True:  # keyset batches: memory stays flat however many cases changed
            query = (select(Feedback).where(Feedback.id > last_id).order_by(Feedback.id).limit(BATCH)
                     .options(selectinload(Feedback.transitions), selectinload(Feedback.unit)))
            if since is not None:
                # a public step the sweep adds without changing the case (a progress notice) moves no
                # updated_at, and the line carries the history: found by its audit row (ix_transitions_at)
                query = query.where(or_(Feedback.updated_at >= since,
                                        Feedback.id.in_(select(Transition.feedback_id).where(Transition.at >= since)),
                                        Feedback.id.in_(letters_out)))
            batch = db.session.execute(query).scalars().all()
            if not batch:
                return
            last_id = batch[-1].id
            for case in batch:
                yield export_line(case)
                db.session.expunge(case)  # and its transitions (cascade): the identity map stays small

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson")


_HISTORY = {"type": "array", "items": {"type": "object", "required": ["event", "from", "to", "at"], "properties": {
    "event": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
    "at": {"type": "string", "format": "date-time"},
    "actor": {"type": "string", "description": "staff token only"},
    "note": {"type": "string", "nullable": True, "description": "staff token only"}}}}
_ERRORS = {code: {"description": text, "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}} for code, text in (
    ("400", "bad parameter"), ("401", "no staff token"), ("403", "not office or leader"),
    ("404", "no such case"))}

document(paths={
    "/api/v1/feedback/{code}/history": {"get": {
        "summary": "The state history of a case: events and dates for anyone; actors and notes with a staff token",
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
        "security": [{}, {"bearer": []}],
        "responses": {"200": {"description": "the history", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/CaseHistory"}}}}, "404": _ERRORS["404"], "429": TOO_MANY_BY_CODE,
            "401": {"description": "a bearer token sent that is not valid (without one: the public history)",
                    **{k: v for k, v in _ERRORS["401"].items() if k != "description"}}}}},
    "/api/v1/export": {"get": {
        "summary": "Cases changed since an instant, as JSON lines (one ExportedCase per line), for the national "
                   "PAKN system",
        "parameters": [{"name": "since", "in": "query", "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "ISO 8601; without offset it is Vietnamese local time"}],
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "one JSON object per line", "content": {"application/x-ndjson": {
            "schema": {"$ref": "#/components/schemas/ExportedCase"}}}},
            **{k: _ERRORS[k] for k in ("400", "401", "403")}}}},
}, schemas={
    "CaseHistory": {"type": "object", "required": ["code", "state", "history"], "properties": {
        "code": {"type": "string"}, "state": {"type": "string"}, "history": _HISTORY}},
    "ExportedCase": {"allOf": [{"$ref": "#/components/schemas/PublicCase"}, {"type": "object", "properties": {
        "history": _HISTORY, "updated_at": {"type": "string", "format": "date-time"},
        "title": {"type": "string"}, "question": {"type": "string"}, "answer": {"type": "string"}}}]},
})
