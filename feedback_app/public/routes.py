"""The public portal: what citizens see without an account."""
from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Feedback
from . import bp


@bp.get("/")
def index():
    published = db.session.execute(select(func.count()).select_from(Feedback)
                                   .where(Feedback.state == "published")).scalar_one()
    return render_template("public/index.html", published=published)


@bp.get("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
