"""Administration: units, users, the working-day calendar, the mail outbox, the administration's trail."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

from . import routes, outbox, calendar, log  # noqa: E402,F401  (routes register themselves on bp)
