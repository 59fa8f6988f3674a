from flask import Blueprint

bp = Blueprint("public", __name__)

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
from . import letters  # noqa: E402,F401  (the public copy of apology letters)
from . import results  # noqa: E402,F401  (the closed periods' results and satisfaction)
