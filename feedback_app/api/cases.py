"""``GET /api/v1/feedback/{code}``: the public view of a case, or the full case for a staff token."""
from __future__ import annotations

from flask import abort

from workflows.lifecycle import Role

from ..auth import api_user, bearer_sent, unauthorized
from ..services import cases, serialize
from ..public.routes import code_rate_limit
from . import bp
from .openapi import document


TOO_MANY_BY_CODE = {"description": "too many requests by code from this address without a workflow staff token "
                                   "(CODE_RATE_LIMIT)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def visible_case(code: str):
    """The case and the API user (None: the public), or 404 when there is no such case or a unit
    token asks for another unit's case (a 404, not a 403: codes are guessable). An admin token sees
    what anyone sees: the admin takes no part in the workflow (serialize.staff_may_see)."""
    case = cases.find(code)
    user = api_user()
    if user is None and bearer_sent():
        abort(unauthorized())  # a token sent but no good: said so, not answered as the public
    if user is not None and user.role == Role.ADMIN.value:
        user = None
    if case is None or (user is not None and not serialize.staff_may_see(user, case)):
        abort(404)
    return case, user


@bp.get("/feedback/<code>")
@code_rate_limit
def get_feedback(code: str):
    case, user = visible_case(code)
    if user is None:
        return serialize.public_case(case)
    return {**serialize.staff_case(case), "allowed_events": cases.allowed_events(case, user)}


document(paths={"/api/v1/feedback/{code}": {"get": {
    "summary": "A case: the public view, or with a staff token the full case and the events this user may fire",
    "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
    "security": [{}, {"bearer": []}],
    "responses": {"200": {"description": "the case", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/PublicCase"}}}},
        "401": {"description": "a bearer token sent that is not valid (without one: the public view)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "404": {"description": "no such case", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Error"}}}},
        "429": TOO_MANY_BY_CODE}}}},
    schemas={"PublicCase": {"type": "object", "required": ["code", "state"], "additionalProperties": True,
                            "properties": {"code": {"type": "string"}, "state": {"type": "string"},
                                           "state_label": {"type": "string"},
                                           "received_at": {"type": "string", "format": "date-time"},
                                           "due_date": {"type": "string", "format": "date", "nullable": True},
                                           "unit": {"type": "string", "nullable": True},
                                           # staff tokens only (serialize.staff_case), among their fields
                                           "unit_code": {"type": "string", "nullable": True},
                                           "assignee": {"type": "object", "nullable": True, "properties": {
                                               "id": {"type": "integer"}, "name": {"type": "string"}}}}}})
