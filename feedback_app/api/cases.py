"""``GET /api/v1/feedback/{code}``: the public view of a case, or the full case for a staff token."""
from __future__ import annotations

from flask import abort

from workflows.clock import CLOCK
from workflows.lifecycle import allowed_events

from ..auth import api_user
from ..services import cases, serialize
from . import bp
from .openapi import document


def visible_case(code: str):
    """The case and the API user (None: the public), or 404 when there is no such case or a unit
    token asks for another unit's case (a 404, not a 403: codes are guessable)."""
    case = cases.find(code)
    user = api_user()
    if case is None or (user is not None and not serialize.staff_may_see(user, case)):
        abort(404)
    return case, user


@bp.get("/feedback/<code>")
def get_feedback(code: str):
    case, user = visible_case(code)
    if user is None:
        return serialize.public_case(case)
    return {**serialize.staff_case(case), "allowed_events": allowed_events(case, user, CLOCK.today())}


document(paths={"/api/v1/feedback/{code}": {"get": {
    "summary": "A case: the public view, or with a staff token the full case and the events this user may fire",
    "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
    "security": [{}, {"bearer": []}],
    "responses": {"200": {"description": "the case", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/PublicCase"}}}},
        "404": {"description": "no such case", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Error"}}}}}}}},
    schemas={"PublicCase": {"type": "object", "required": ["code", "state"], "additionalProperties": True,
                            "properties": {"code": {"type": "string"}, "state": {"type": "string"},
                                           "state_label": {"type": "string"},
                                           "received_at": {"type": "string", "format": "date-time"},
                                           "due_date": {"type": "string", "format": "date", "nullable": True},
                                           "unit": {"type": "string", "nullable": True}}}})
