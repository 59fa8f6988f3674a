"""The general-affairs office (HCTH) and the leader: intake, classification, review, publication."""
from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/van-phong")

from . import routes, dashboard, letters, intake, corrections, register, notices  # noqa: E402,F401  (routes register themselves on bp)
