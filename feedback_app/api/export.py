"""Open data and sync with the national PAKN system (the department's plan, item 23):

- ``GET /api/v1/feedback/{code}/history``: the state history of a case. Anyone may read events and
  dates (NĐ 20/2008 Art 12.2: the sender may ask where the case stands); the actors' names and the
  notes, which may quote personal data, only with a staff token.
- ``GET /api/v1/export?since=ISO``: JSON lines, streamed, of the cases changed since an instant,
  with their state history and published answers; staff token (office or leader) required. Taken in
  parts (``after``, ``limit``): gunicorn ends a request after 60 s (deploy/gunicorn.conf.py), and an
  export of 200,000 cases cut there after 93,500 lines still looked whole to the client.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from flask import Response, request, stream_with_context, url_for
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from workflows import clock
from workflows.lifecycle import DRAFTING_STATES, Role, State

from ..auth import api_user, unauthorized
from ..extensions import db
from ..models import Feedback, Transition
from ..services import serialize
from ..services.letters import made_public_since, public_at, public_transitions
from . import bp
from .errors import error, whole_arg
from ..public.routes import code_rate_limit
from .cases import TOO_MANY_BY_CODE, visible_case
from .openapi import document

# the admin takes no part in the workflow and sees no case (serialize.staff_may_see); the sync with the
# national system runs with a token of an HCTH account
EXPORT_ROLES = (Role.OFFICE.value, Role.LEADER.value)
BATCH = 500
# The cases of one part, in order of id. A part must end well within gunicorn's 60 s: 20,000 lines are
# about 13 s at 200,000 cases on SQLite (~1,500 lines a second), 50,000 about half the timeout.
PART = 20_000
MAX_PART = 50_000


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
        rows.append({"event": t.event, "from": source, "to": dest, "at": public_at(t, case).isoformat()})
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


def changed_since(query, since: datetime | None, letters_out: list[int]):
    """``query`` narrowed to the cases whose line changed since ``since`` (all of them without it)."""
    if since is None:
        return query
    # a public step the sweep adds without changing the case (a progress notice) moves no updated_at,
    # and the line carries the history: found by its audit row (ix_transitions_at); a letter that became
    # public meanwhile changed the line (its letters, its history) and no row
    return query.where(or_(Feedback.updated_at >= since,
                           Feedback.id.in_(select(Transition.feedback_id).where(Transition.at >= since)),
                           Feedback.id.in_(letters_out)))


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
    errors = {}
    after = whole_arg("after", 0, 0, 2**63 - 1, errors,  # "after=" is a mistake, as "since=" is
                      gettext("Phải là mã số (id) của một hồ sơ: số nguyên từ 0 trở lên."), blank=False)
    limit = whole_arg("limit", PART, 1, MAX_PART, errors, gettext("Từ 1 đến %(max)d.", max=MAX_PART), blank=False)
    if errors:
        return error(400, gettext("Tham số không hợp lệ."), errors)

    letters_out = made_public_since(since) if since is not None else []
    # the ids of the part first (the key alone, cheap), so that the headers can say, before the body,
    # how many lines come and where the next part starts: a body cut short (a timeout, a dropped
    # connection) then shows by its count, and the client asks for the same part again
    ids = db.session.execute(changed_since(select(Feedback.id).where(Feedback.id > after), since, letters_out)
                             .order_by(Feedback.id).limit(limit + 1)).scalars().all()
    more = len(ids) > limit
    ids = ids[:limit]
    headers = {"X-Export-Count": str(len(ids)), "X-Export-More": "true" if more else "false"}
    if more:
        args = {k: v for k, v in (("since", request.args.get("since")), ("limit", request.args.get("limit"))) if v}
        headers["X-Next-After"] = str(ids[-1])
        headers["Link"] = f'<{url_for("api.export_cases", **args, after=ids[-1])}>; rel="next"'

    def lines():
        for start in range(0, len(ids), BATCH):  # batches: memory stays flat however large the part
            batch = db.session.execute(
                select(Feedback).where(Feedback.id.in_(ids[start:start + BATCH])).order_by(Feedback.id)
                .options(selectinload(Feedback.transitions), selectinload(Feedback.unit))).scalars().all()
            for case in batch:
                yield export_line(case)
                db.session.expunge(case)  # and its transitions (cascade): the identity map stays small

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson", headers=headers)


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
        "description": "Taken in parts, in order of the cases' ids: each part holds at most `limit` cases, "
                       "and its headers, sent before the body, say how many lines it has (`X-Export-Count`) and "
                       "whether another part follows (`X-Export-More`); if so, `Link: <…>; rel=\"next\"` is "
                       "that part's URL (the same `since` and `limit`, `after` the header `X-Next-After`). "
                       "Follow the links until `X-Export-More: false`. A part whose body has fewer lines than "
                       "`X-Export-Count` was cut short (a timeout, a dropped connection): ask for it again. "
                       "For the next sync, take as `since` the instant the first part was asked for.",
        "parameters": [{"name": "since", "in": "query", "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "ISO 8601; without offset it is Vietnamese local time"},
                       {"name": "after", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 0, "default": 0},
                        "description": "the cases after this id: the previous part's `X-Next-After`"},
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PART, "default": PART},
                        "description": "the most cases in this part (each part ends well within the "
                                       "server's 60 s timeout)"}],
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "one JSON object per line", "headers": {
            "X-Export-Count": {"description": "the number of lines in this part",
                               "schema": {"type": "integer"}},
            "X-Export-More": {"description": "`true` when another part follows, `false` on the last part",
                              "schema": {"type": "string", "enum": ["true", "false"]}},
            "X-Next-After": {"description": "only when another part follows: its `after`",
                             "schema": {"type": "integer"}},
            "Link": {"description": "only when another part follows: `<URL>; rel=\"next\"` (RFC 8288)",
                     "schema": {"type": "string"}}},
            "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ExportedCase"}}}},
            "400": {**_ERRORS["400"], "description": "`since`, `after` or `limit` not valid"},
            **{k: _ERRORS[k] for k in ("401", "403")}}}},
}, schemas={
    "CaseHistory": {"type": "object", "required": ["code", "state", "history"], "properties": {
        "code": {"type": "string"}, "state": {"type": "string"}, "history": _HISTORY}},
    "ExportedCase": {"allOf": [{"$ref": "#/components/schemas/PublicCase"}, {"type": "object", "properties": {
        "history": _HISTORY, "updated_at": {"type": "string", "format": "date-time"},
        "title": {"type": "string"}, "question": {"type": "string"}, "answer": {"type": "string"}}}]},
})
