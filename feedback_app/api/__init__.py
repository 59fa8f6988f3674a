"""The JSON API, ``/api/v1``: public submission and lookup, the staff API (bearer token), export.

Each module adds its routes to ``bp`` and its part of the OpenAPI document to ``openapi.PATHS``.
"""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are trusted here: the staff API authenticates by bearer token

from . import errors, openapi, cases, public, staff  # noqa: E402,F401  (modules register themselves on bp)
from . import export  # noqa: E402,F401  (history and bulk export)
