"""The units (phòng, đơn vị): their cases, drafting replies, returning, extending."""
from flask import Blueprint

bp = Blueprint("unit", __name__, url_prefix="/don-vi")

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
