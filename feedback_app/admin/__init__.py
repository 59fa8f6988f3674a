"""Administration: units, users, the working-day calendar, the mail outbox."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

from . import routes, outbox, calendar  # noqa: E402,F401  (routes register themselves on bp)
