"""Every API error is JSON: a domain error becomes its HTTP status with the reason and field errors."""
from __future__ import annotations

from flask_babel import gettext

from workflows.lifecycle import N_, LifecycleError

from ..services.cases import StaleCase
from . import bp


def error(status: int, message: str, errors: dict | None = None, **extra):
    body = {"error": message, **extra}
    if errors:
        body["errors"] = errors
    return body, status


def whole_arg(name: str, default: int, lowest: int, highest: int, errors: dict, message: str, *,
              blank: bool = True) -> int:
    """A whole number from ``lowest`` to ``highest`` in the query string (``default`` when absent, or empty
    unless ``blank`` is False); anything else is named in ``errors`` with ``message``, ``default`` returned."""
    from flask import request
    raw = request.args.get(name)
    if raw is None or (raw == "" and blank):
        return default
    if raw.isascii() and raw.isdigit() and lowest <= int(raw) <= highest:
        return int(raw)
    errors[name] = message
    return default


def json_object(required: bool = True):
    """The request's JSON object and None, or None and the error to answer: 415 for a body that is not
    JSON, 400 for JSON that is not an object. Without ``required`` an empty body is ``{}``. The same
    answers on every endpoint of the API that reads a body."""
    from flask import request
    if not required and not request.get_data(cache=True):  # also a chunked body, which has no length
        return {}, None
    if not request.is_json:
        return None, error(415, gettext("Nội dung gửi lên phải là JSON (Content-Type: application/json)."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, error(400, gettext("Nội dung JSON không hợp lệ: cần một đối tượng."))
    return body, None


@bp.app_errorhandler(LifecycleError)
def lifecycle_error(exc: LifecycleError):
    from flask import request
    if not request.path.startswith("/api/"):
        raise exc
    return error(exc.status, gettext(exc.why, **exc.params),
                 {k: gettext(v, **exc.params) for k, v in exc.errors.items()},
                 event=exc.event, state=exc.state)


# StaleCase.message tells a person to reload the page; a client of the API reads the case again instead
STALE = N_("Phản ánh, kiến nghị %(code)s đã được cập nhật kể từ khi được đọc: version đã gửi không còn là version "
           "hiện tại. Hãy đọc lại hồ sơ (GET /api/v1/feedback/%(code)s) rồi gửi lại với version hiện tại của hồ sơ.")


@bp.errorhandler(StaleCase)
def stale_case(exc: StaleCase):
    from flask import request
    return error(409, gettext(STALE, code=(request.view_args or {}).get("code", "")), stale=True)
