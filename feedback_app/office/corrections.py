"""Sửa thông tin tiếp nhận: HCTH corrects a typo in what was received (the citizen's fields, and the
time of receipt within its day for a PAKN HCTH entered) on the case page, before classification
(``services.corrections``). Sending the intake form again with changes no longer makes a second
case (``intake._submit_once``): it points here."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ..auth import roles_required
from ..extensions import db
from ..public.routes import submission_from
from ..services import corrections
from ..services.cases import StaleCase
from . import bp
from .case_page import load_case, render_case, stale
from .forms import correction_form

@bp.post("/ho-so/<code>/sua-tiep-nhan")
@roles_required("office")
def correct_intake(code: str):
    case = load_case(code)
    if not corrections.may_correct(case):
        flash(gettext(corrections.NOT_AT_INTAKE), "error")
        return render_case(case, "office", status=409)
    form = correction_form(case, formdata=request.form)
    if not form.validate():  # the page's list of what to correct says it, and takes the focus (case.html)
        return render_case(case, "office", {corrections.FORM: form}, 422)
    try:
        changed = corrections.correct_intake(case, current_user, submission_from(form, case.channel),
                                             form.received_instant(), form.version.data)
    except StaleCase:  # not shown again as sent: its untouched fields would undo the other correction
        return stale(case, "office", "correct_intake")
    except corrections.CorrectionRefused as exc:
        db.session.rollback()
        flash(gettext(exc.message), "error")
        if exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, gettext(exc.message)]
        return render_case(case, "office", {corrections.FORM: form}, exc.status)
    if changed:
        flash(gettext("Đã sửa thông tin tiếp nhận."), "success")
    else:
        flash(gettext("Không có thông tin nào thay đổi."), "info")
    return redirect(url_for("office.case", code=code), code=303)
