"""The staff API (``Authorization: Bearer <token>``): fire lifecycle events, list cases, units and
categories. Answers: 200 with the new state; 401 without a token; 403 when the role may not; 404 for
an unknown case or event (or another unit's case); 409 when the state does not allow the event or
the version is stale; 422 for bad arguments (see ``errors.py``)."""
from __future__ import annotations

from flask import abort, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflows.clock import CLOCK
from workflows.lifecycle import EVENTS, REFUSAL_REASONS, STATE_LABELS, SUBJECTS, Role, State

from ..auth import api_user, token_required
from ..extensions import db
from ..models import Category, Feedback, Unit, staffed
from ..services import accounts, assignment, cases, serialize, staff, sweep
from ..views_common import MAX_PAGE
from . import bp
from .errors import error, json_object, whole_arg
from .openapi import document


def _visible(user, code: str):
    """The case ``user`` may see, or 404 (another unit's case is not found: codes are guessable)."""
    case = cases.find(code)
    if case is None or not serialize.staff_may_see(user, case):
        abort(404)
    return case


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _case_state(case) -> dict:
    return {"code": case.code, "state": case.state, "state_label": gettext(STATE_LABELS[State(case.state)]),
            # ``unit`` is the code here, as the list has always said it; ``unit_code`` is the name every
            # answer of the staff API gives the code (the case's own answer has ``unit`` the name)
            "version": case.version, "unit": case.unit.code if case.unit else None,
            "unit_code": case.unit.code if case.unit else None,
            "due_date": case.due_date.isoformat() if case.due_date else None, "due_step": case.due_step,
            "overdue": sweep.is_overdue(case, CLOCK.today())}


@bp.post("/feedback/<code>/events/<event>")
@token_required()
def fire_event(code: str, event: str):
    user = api_user()
    case = _visible(user, code)
    body, refused = json_object(required=False)
    if refused:
        return refused
    args = dict(body.get("args") if isinstance(body.get("args"), dict) else body)
    version = args.pop("version", body.get("version"))
    if version is not None and not _integer(version):
        return error(422, gettext("Phiên bản (version) phải là số nguyên."), {"version": gettext("Phải là số nguyên.")})
    bad = {k: gettext("Phải là chuỗi.") for k, v in args.items() if v is not None and not isinstance(v, str)}
    spec = EVENTS.get(event)  # an unknown event: 404 from the lifecycle, below
    # a misspelt optional argument ("notes" for "note") is refused, not dropped unseen (additionalProperties)
    bad |= {k: gettext("Sự kiện này không có tham số này.") for k in args if spec is not None and k not in spec.arguments}
    if bad:
        return error(422, gettext("Tham số không hợp lệ."), bad)
    try:
        row = staff.act(case, event, user, args, expected_version=version)
    except staff.StaffInputError as exc:  # a draft with a lost file: what the case page says
        db.session.rollback()
        message = gettext(exc.message, **exc.params)
        return error(422, message, {exc.field: message} if exc.field else None)
    return {**_case_state(case), "event": event, "from": row.from_state, "note": row.note,
            "allowed_events": cases.allowed_events(case, user)}


@bp.get("/units")
@token_required()
def list_units():
    # forward_target: what ``forward`` takes, as HCTH's form offers it: a unit with an active user to answer
    rows = db.session.execute(select(Unit, staffed(Unit.id)).where(Unit.active).order_by(Unit.code)).all()
    return {"items": [{"code": u.code, "name": u.name, "email": u.email, "is_office": u.is_office,
                       "forward_target": not u.is_office and bool(has_staff)} for u, has_staff in rows]}


@bp.get("/categories")
@token_required()
def list_categories():
    rows = db.session.execute(select(Category).order_by(Category.code)).scalars()
    # every field, for the codes of the cases already classified; classify takes the active ones
    return {"items": [{"code": c.code, "name": c.name, "active": c.active} for c in rows]}


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError(value)


@bp.get("/feedback")
@token_required()
def list_feedback():
    """Cases this token's user may see; a unit token sees only its unit's cases."""
    user = api_user()
    errors = {}
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in State}:
        errors["state"] = gettext("Không có trạng thái này.")
    unit = None
    if request.args.get("unit"):
        unit = accounts.find_unit(request.args["unit"])
        if unit is None:
            errors["unit"] = gettext("Không có đơn vị này.")
    try:
        overdue = _flag(request.args.get("overdue"))
    except ValueError:
        errors["overdue"] = gettext("Chỉ nhận true hoặc false.")
        overdue = None
    page = whole_arg("page", 1, 1, MAX_PAGE, errors, gettext("Phải là số nguyên dương, tối đa %(max)d.", max=MAX_PAGE))
    per_page = whole_arg("per_page", 20, 1, 100, errors, gettext("Từ 1 đến 100."))
    # the unit's officer (services.assignment): "none" for the cases no one was assigned, or a user's id
    assignee = request.args.get("assignee") or None
    if assignee is not None and assignee != "none" and not (assignee.isascii() and assignee.isdecimal()
                                                           and int(assignee) <= assignment.LARGEST_ID):
        errors["assignee"] = gettext("Chỉ nhận none hoặc mã số người dùng.")
    if errors:
        return error(422, gettext("Tham số không hợp lệ."), errors)
    query = staff.case_query(user, states=[state] if state else None, unit=unit, overdue=overdue)
    if assignee is not None:
        query = query.where(Feedback.assignee_id.is_(None) if assignee == "none"
                            else Feedback.assignee_id == int(assignee))
    query = staff.by_due_date(query).options(joinedload(Feedback.assignee))
    result = staff.paginate(query, page, per_page)
    return {"items": [{**_case_state(c), "title": c.title, "received_at": c.received_at.isoformat(),
                       "assignee": serialize.officer(c.assignee)} for c in result.items],
            "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages}


@bp.put("/feedback/<code>/assignee")
@token_required()
def put_assignee(code: str):
    """The unit's officer handling the case (services.assignment), as the case page's form sets it:
    ``{"assignee_id": <a user of the unit> or null, "version": …}``."""
    user = api_user()
    case = _visible(user, code)
    if user.role != Role.UNIT.value:
        return error(403, gettext("Bạn không có quyền thực hiện thao tác này."))
    body, refused = json_object()
    if refused:
        return refused
    # the officer named, or null: a key missing or misspelt must not clear the assignment
    unknown = {k: gettext("Tham số không hợp lệ.") for k in body if k not in ("assignee_id", "version")}
    if unknown or "assignee_id" not in body:
        return error(422, gettext("Tham số không hợp lệ."),
                     unknown or {"assignee_id": gettext("Thiếu thông tin bắt buộc.")})
    chosen, version = body["assignee_id"], body.get("version")
    for name, value in (("assignee_id", chosen), ("version", version)):
        if value is not None and not _integer(value):
            return error(422, gettext("Tham số không hợp lệ."), {name: gettext("Phải là số nguyên.")})
    try:
        officer = assignment.assign(case, user, chosen, version)
    except staff.StaffInputError as exc:
        db.session.rollback()
        status = 409 if exc.message == assignment.NOT_AT_UNIT else 422
        return error(status, gettext(exc.message), {"assignee_id": gettext(exc.message)})
    return {**_case_state(case), "assignee": serialize.officer(officer)}


_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_STR = {"type": "string"}
_EVENT_BODY = {"type": "object", "additionalProperties": False, "properties": {
    "version": {"type": "integer", "description": "the case's version when it was read; a stale one gives 409"},
    **{name: ({"type": "string", "format": "date"} if name == "new_date" else _STR)
       for spec in EVENTS.values() for name in spec.arguments}}}
_ASSIGNEE = {"type": "object", "nullable": True, "properties": {"id": {"type": "integer"}, "name": _STR},
             "description": "the unit's officer handling the case (services.assignment)"}
_CASE_STATE = {"type": "object", "required": ["code", "state", "version"], "properties": {
    "code": _STR, "state": _STR, "state_label": _STR, "version": {"type": "integer"},
    "unit": {"type": "string", "nullable": True, "description": "the unit's code (deprecated: read unit_code)"},
    "unit_code": {"type": "string", "nullable": True, "description": "the unit's code, as in every staff answer"},
    "due_date": {"type": "string", "format": "date", "nullable": True},
    "due_step": {"type": "string", "nullable": True}, "overdue": {"type": "boolean"}}}

document(paths={
    "/api/v1/feedback/{code}/events/{event}": {"post": {
        "summary": "Fire a lifecycle event on a case (staff)",
        "description": "Arguments per event: " + "; ".join(
            f"`{name}` {{{', '.join(spec.arguments)}}}" for name, spec in EVENTS.items())
            + ". An argument the event does not take is refused (422). `refuse`'s `reason` is one of the legal "
              "grounds (NĐ 20/2008 Art 1, 7.1, 9.1d): " + ", ".join(f"`{code}`" for code in REFUSAL_REASONS)
            + "; `classify`'s `subject` one of " + ", ".join(f"`{code}`" for code in SUBJECTS) + ".",
        "security": [{"bearer": []}],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": _STR},
                       {"name": "event", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": list(EVENTS)}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/EventArguments"}}}},
        "responses": {
            "200": {"description": "the event fired; the case's new state", "content": {"application/json": {
                "schema": {"allOf": [{"$ref": "#/components/schemas/CaseState"}, {"type": "object", "properties": {
                    "event": _STR, "from": _STR, "note": {"type": "string", "nullable": True},
                    "allowed_events": {"type": "array", "items": _STR}}}]}}}},
            "400": {"description": "the body is JSON but not an object", **_ERR},
            "401": {"description": "no token, or one not valid", **_ERR},
            "403": {"description": "this role may not fire this event", **_ERR},
            "404": {"description": "no such case or event (or another unit's case)", **_ERR},
            "409": {"description": "the state does not allow it, or the version is stale", **_ERR},
            "415": {"description": "a body that is not JSON", **_ERR},
            "422": {"description": "bad or missing arguments", **_ERR}}}},
    "/api/v1/feedback/{code}/assignee": {"put": {
        "summary": "Assign the unit's officer who handles a case, or nobody (a unit's token)",
        "security": [{"bearer": []}],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": _STR}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["assignee_id"], "properties": {
                "assignee_id": {"type": "integer", "nullable": True,
                                "description": "an active user of the unit holding the case; null: nobody"},
                "version": {"type": "integer", "description": "the case's version when it was read"}}}}}},
        "responses": {
            "200": {"description": "the case and its officer", "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/CaseState"}, {"type": "object", "properties": {
                    "assignee": _ASSIGNEE}}]}}}},
            "400": {"description": "the body is JSON but not an object", **_ERR},
            "401": {"description": "no token, or one not valid", **_ERR},
            "403": {"description": "not a unit's token", **_ERR},
            "404": {"description": "no such case, another unit's case, or one the unit sent back to HCTH", **_ERR},
            "409": {"description": "the case is answered or closed, or the version is stale", **_ERR},
            "415": {"description": "a body that is not JSON", **_ERR},
            "422": {"description": "assignee_id missing, an unknown key, not an integer, or not an active user "
                           "of the unit", **_ERR}}}},
    "/api/v1/feedback": {"get": {
        "summary": "List the cases this token may see (a unit token: its unit only), overdue first",
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "state", "in": "query", "schema": {"type": "string", "enum": [s.value for s in State]}},
            {"name": "unit", "in": "query", "schema": _STR,
             "description": "a unit code, see /api/v1/units; the office's (HCTH) also lists the cases no unit "
                            "holds (never forwarded, or returned), as the register counts them"},
            {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
            {"name": "assignee", "in": "query", "schema": _STR,
             "description": "the unit's officer handling the case: a user's id, or `none` for the unassigned"},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                                       "default": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                           "default": 20}}],
        "responses": {"200": {"description": "one page of cases", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "items": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/CaseState"}, {
                    "type": "object", "properties": {"title": _STR, "received_at": _STR, "assignee": _ASSIGNEE}}]}},
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "pages": {"type": "integer"}}}}}},
            "401": {"description": "no or unknown token", **_ERR}, "422": {"description": "bad filter", **_ERR}}}},
    "/api/v1/units": {"get": {
        "summary": "The units: the codes `forward` takes (forward_target)", "security": [{"bearer": []}],
        "responses": {"200": {"description": "the active units", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "code": _STR, "name": _STR, "email": {"type": "string", "nullable": True},
                "is_office": {"type": "boolean"}, "forward_target": {"type": "boolean"}}}}}}}}},
            "401": {"description": "no or unknown token", **_ERR}}}},
    "/api/v1/categories": {"get": {
        "summary": "The categories: the codes `classify` takes (those `active`)", "security": [{"bearer": []}],
        "responses": {"200": {"description": "the categories, those no longer used too (`active` false: the "
                                             "cases classified in them keep them; classify refuses them)",
                              "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "code": _STR, "name": _STR, "active": {"type": "boolean"}}}}}}}}},
            "401": {"description": "no or unknown token", **_ERR}}}},
}, schemas={"EventArguments": _EVENT_BODY, "CaseState": _CASE_STATE})
