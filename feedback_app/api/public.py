"""``POST /api/v1/feedback``: the public submission as JSON, through the same form and services as the
portal page (NĐ 20/2008/NĐ-CP Art 7.1 and 7.4 as amended by NĐ 92/2017)."""
from __future__ import annotations

from dataclasses import replace

from flask import request
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from ..public.forms import SubmissionFields
from ..public.routes import submission_from, submit_rate_limit
from ..services import submissions
from . import bp
from .errors import error, json_object
from .openapi import document

FIELDS = ("full_name", "address", "phone", "email", "title", "content", "procedure", "consent_publish")
IDEMPOTENCY_KEY = submissions.IDEMPOTENCY_KEY


@bp.post("/feedback")
@submit_rate_limit
def post_feedback():
    body, refused = json_object()
    if refused:
        return refused
    wrong = {name: gettext("Giá trị phải là chuỗi ký tự.") for name in FIELDS
             if name != "consent_publish" and body.get(name) is not None and not isinstance(body[name], str)}
    # a key the form does not have ("consent" for "consent_publish", "attachments") is refused, not dropped
    # unseen: the sender would believe it was taken (``additionalProperties: false`` in the document)
    wrong |= {name: gettext("Không có trường này; các trường là: %(fields)s.", fields=", ".join(FIELDS))
              for name in body if name not in FIELDS}
    if body.get("consent_publish") is not None and not isinstance(body["consent_publish"], bool):
        wrong["consent_publish"] = gettext("Giá trị phải là true hoặc false.")
    if wrong:
        return error(422, gettext("Dữ liệu chưa hợp lệ."), wrong)
    data = MultiDict({k: body[k] for k in FIELDS if k != "consent_publish" and body.get(k) is not None})
    if body.get("consent_publish"):
        data["consent_publish"] = "y"
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and not submissions.SUBMISSION_KEY.fullmatch(key):
        return error(400, gettext("Idempotency-Key phải gồm từ 1 đến 100 ký tự ASCII nhìn thấy được "
                                  "(từ ! đến ~, không có dấu cách)."))
    form = SubmissionFields(formdata=data, meta={"csrf": False})
    if not form.validate():
        return error(422, gettext("Dữ liệu chưa hợp lệ."), form.field_errors())
    try:
        case, made = submissions.submit_once(replace(submission_from(form, "api"), key=key))
    except submissions.KeyReused:
        return error(422, gettext("Idempotency-Key này đã được dùng cho một phản ánh, kiến nghị khác."))
    receipt = {"code": case.code, "state": case.state, "received_at": case.received_at.isoformat(),
               "due_date": case.due_date.isoformat() if case.due_date else None}
    # a retry gets the receipt of the case its key made, with 200 instead of 201 (as in the IETF draft
    # "The Idempotency-Key HTTP Header Field"); the state and due date are the case's as they are now
    return (receipt, 201) if made else (receipt, 200, {"Idempotent-Replayed": "true"})


_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
document(paths={"/api/v1/feedback": {"post": {
    "summary": "Send feedback (phản ánh, kiến nghị) as a citizen; no account needed",
    "description": "The content rules of Decree 20/2008/NĐ-CP Art 7: Vietnamese, clear content, name, address, "
                   "a phone number and/or an e-mail address. Rate-limited per IP (SUBMIT_RATE_LIMIT).",
    "security": [{}],
    "parameters": [{
        "name": IDEMPOTENCY_KEY, "in": "header", "required": False,
        "description": "Optional, chosen by the client (e.g. a UUID): sending the same submission again with "
                       "the same key, after a timeout or a 503, answers with the case the key made (200) "
                       "instead of making a second one",
        "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"}}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/NewFeedback"}}}},
    "responses": {
        "201": {"description": "received", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/FeedbackReceipt"}}}},
        "200": {"description": "received before with this Idempotency-Key: the receipt of that case "
                               "(header `Idempotent-Replayed: true`)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackReceipt"}}}},
        "400": {"description": "the body is not a JSON object, or the Idempotency-Key is not 1 to 100 visible "
                               "ASCII characters (`!` to `~`)", "content": _JSON_ERROR},
        "415": {"description": "the body is not JSON", "content": _JSON_ERROR},
        "422": {"description": "invalid fields or keys that are no field (`errors` maps each to its message), "
                               "or an Idempotency-Key used before for a different submission",
                "content": _JSON_ERROR},
        "429": {"description": "too many submissions from this address", "content": _JSON_ERROR}}}}},
    schemas={
        "NewFeedback": {"type": "object", "required": ["full_name", "address", "title", "content"],
                        "additionalProperties": False,
                        "description": "`phone` or `email` is required (at least one); any other key is "
                                       "refused (422)",
                        "properties": {
                            "full_name": {"type": "string", "maxLength": 200},
                            "address": {"type": "string", "maxLength": 300},
                            "phone": {"type": "string", "example": "0905123456"},
                            "email": {"type": "string", "format": "email"},
                            "title": {"type": "string", "maxLength": 300},
                            "content": {"type": "string", "minLength": 20, "maxLength": 10000},
                            "procedure": {"type": "string", "maxLength": 500},
                            "consent_publish": {"type": "boolean", "default": False}}},
        "FeedbackReceipt": {"type": "object", "required": ["code", "state", "received_at", "due_date"],
                            "properties": {
                                "code": {"type": "string", "example": "PAKN.20240304.0001"},
                                "state": {"type": "string", "example": "received"},
                                "received_at": {"type": "string", "format": "date-time"},
                                "due_date": {"type": "string", "format": "date", "nullable": True,
                                             "description": "the due date of the case's current step: for a new "
                                                            "case, the date by which the office must classify it; "
                                                            "a replay (200) gives the case as it is now, null once "
                                                            "no step is due (refused, answered, waiting for the "
                                                            "sender)"}}}})
