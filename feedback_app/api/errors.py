"""Every API error is JSON: a domain error becomes its HTTP status with the reason and field errors."""
from __future__ import annotations

from flask_babel import gettext

from workflows.lifecycle import LifecycleError

from ..services.cases import StaleCase
from . import bp


def error(status: int, message: str, errors: dict | None = None, **extra):
    body = {"error": message, **extra}
    if errors:
        body["errors"] = errors
    return body, status


@bp.app_errorhandler(LifecycleError)
def lifecycle_error(exc: LifecycleError):
    from flask import request
    if not request.path.startswith("/api/"):
        raise exc
    return error(exc.status, gettext(exc.why), {k: gettext(v) for k, v in exc.errors.items()},
                 event=exc.event, state=exc.state)


@bp.errorhandler(StaleCase)
def stale_case(exc: StaleCase):
    return error(409, gettext(StaleCase.message), stale=True)
