"""HCTH's list of what citizens without an e-mail address, or whose mail failed, are owed
(services.citizen_notices): the receipt with the tracking code, a request for information, a refusal,
a transfer, an apology letter, the answer, a progress notice; each with the text the mail would carry,
printable, the citizen's phone and postal address, and the form that records that it was told by
phone or sent by post."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from workflows.clock import CLOCK

from ..auth import roles_required
from ..extensions import db
from ..letters import vn_date
from ..models import CitizenNotice
from ..services import citizen_notices, staff
from ..services.files import reply_files
from ..views_common import beyond_last_page, local_path, page_arg
from . import bp
from .forms import notice_given_form

TABS = {"owed": citizen_notices.owed_query, "given": citizen_notices.given_query}


@bp.get("/thong-bao-nguoi-dan")
@roles_required("office")
def citizen_notices_page():
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "owed"
    query = TABS[tab]().options(selectinload(CitizenNotice.feedback))
    page = staff.paginate(query, page_arg())
    if (moved := beyond_last_page(page)) is not None:
        return moved
    forms = {n.id: notice_given_form(n) for n in page.items if n.given_at is None}
    return render_template("office/citizen_notices.html", tab=tab, page=page, forms=forms,
                           kinds=citizen_notices.KIND_LABELS, ways=citizen_notices.HOW_LABELS)


def _notice(notice_id: int) -> CitizenNotice:
    notice = db.session.get(CitizenNotice, notice_id)
    if notice is None:
        abort(404)
    return notice


def _render_notice(notice: CitizenNotice, form=None, status: int = 200):
    """The notice's page; what to enclose with a letter (an apology letter's PDF, the answer's files)."""
    kind, _, ident = (notice.attachment_ref or "").partition(":")
    if form is None and notice.given_at is None:
        form = notice_given_form(notice)
    return render_template("office/citizen_notice.html", notice=notice, kinds=citizen_notices.KIND_LABELS,
                           ways=citizen_notices.HOW_LABELS, letter_id=int(ident) if kind == "letter" else None,
                           files=reply_files(notice.feedback) if kind == "replies" else [], form=form,
                           # the letter's "<place>, ngày … tháng … năm …" line, dated the day it is printed
                           dated=f"{current_app.config['AGENCY_PLACE']}, {vn_date(CLOCK.today())}"), status


@bp.get("/thong-bao-nguoi-dan/<int:notice_id>")
@roles_required("office")
def citizen_notice(notice_id: int):
    """One notice, to print (a letter to post) or read out, with what to enclose."""
    return _render_notice(_notice(notice_id))


@bp.post("/thong-bao-nguoi-dan/<int:notice_id>/da-bao")
@roles_required("office")
def record_citizen_notice(notice_id: int):
    notice = _notice(notice_id)
    form = notice_given_form(notice, formdata=request.form)
    if not form.validate():
        flash(gettext("Vui lòng kiểm tra lại các trường được đánh dấu."), "error")
        return _render_notice(notice, form, 422)
    try:
        citizen_notices.record_given(notice.id, form.how.data, form.on.data, current_user)
    except citizen_notices.NoticeError as exc:
        db.session.rollback()
        flash(gettext(exc.message), "error")
        if exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, gettext(exc.message)]
        return _render_notice(_notice(notice_id), form, 409 if exc.field is None else 422)
    what = gettext(citizen_notices.KIND_LABELS.get(notice.kind, notice.kind))
    flash(gettext("Đã ghi nhận: %(what)s, %(code)s.", what=what, code=notice.feedback.code), "success")
    return redirect(local_path(request.form.get("next")) or url_for("office.citizen_notices_page"), code=303)
