"""HCTH enters a PAKN that did not come through the portal or the API: a letter by post, an e-mail, a
phone call on the published number, a visit, or one handed over by the national PAKN system.

QĐ 31/2021/QĐ-TTg Art 43.2b: PAKN received on paper, by phone, fax or e-mail are entered in the
system too; NĐ 20/2008/NĐ-CP Art 6–7: the officer transcribes what was said or written faithfully.
The case is checked with the portal's rules (Art 7.1) and received through the portal's own path
(``services.submissions.submit_once`` → ``cases.receive``), dated when it actually arrived (Art 9.1d:
the 5 working days count from that day), with the officer as the actor of its audit row.

A typo is corrected on the case's page ("Sửa thông tin tiếp nhận", ``office.corrections``), never by
sending the form again with changes: that would make a second case, which stays in the register and
the reports, and mail the citizen a second receipt. The form's key makes one case; the same key with
different content (the time included) is refused, naming the case it made.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from workflows.clock import local_date

from ..auth import roles_required
from ..models import Feedback
from ..public.routes import attached_files, submission_from
from ..reports.periods import Period
from ..services import held_uploads, submissions
from ..services.reports import closed_reports_including
from ..views_common import local_d
from . import bp
from .forms import IntakeForm


@bp.route("/tiep-nhan-moi", methods=["GET", "POST"])
@roles_required("office")
def intake_new():
    form = IntakeForm()
    if not form.is_submitted():
        form.submission_key.data = submissions.new_submission_key()
    valid = form.validate_on_submit()
    if form.is_submitted() and (files := attached_files(form, valid)) is not None and valid:
        case = _submit_once(form, files)
        if isinstance(case, _Made):
            return render_template("office/intake_new.html", form=form, made=case.case), 422
        held_uploads.release(form.held_token.data)
        flash(gettext("Đã nhập phản ánh, kiến nghị, mã số %(code)s; hạn phân loại, chuyển xử lý: %(due)s.",
                      code=case.code, due=local_d(case.due_date)), "success")
        for closed in closed_reports_including(local_date(case.received_at)):
            # the clerk cannot run the command: the message says who can (the admin, on the server)
            flash(gettext("Kỳ báo cáo %(period)s đã chốt số liệu: báo cáo đã chốt không tính phản ánh, kiến nghị "
                          "này (nhận ngày %(day)s). Muốn tính lại, đề nghị quản trị hệ thống mở lại kỳ (lệnh "
                          "flask report reopen --period %(label)s) rồi chốt lại.",
                          period=Period(closed.period_start, closed.period_end, closed.label).title(gettext),
                          day=local_d(case.received_at), label=closed.label), "warning")
        return redirect(url_for("office.case", code=case.code), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("office/intake_new.html", form=form), status


@dataclass(frozen=True)
class _Made:
    """This form's key already made ``case``, with other content: the officer corrects it there."""

    case: Feedback


def _submit_once(form: IntakeForm, files: list[submissions.CheckedFile]) -> Feedback | _Made:
    """The case this form makes; sent twice (a double click, a reload) it makes one. Sent again with
    changes (back, corrected, sent), it makes none: ``_Made`` names the case the first sending made,
    to be corrected on its page, so the register never holds the same PAKN twice."""
    received_at = form.received_instant()
    key = submissions.form_key(form.submission_key.data)
    # The citizen wrote or spoke in Vietnamese (Art 7.1), whatever language the officer's pages are in:
    # the receipt mail and later mails go in Vietnamese.
    submission = replace(submission_from(form, form.channel.data), language="vi", key=key,
                         national_code=form.national_code.data or None)
    receipt = {"received_at": received_at, "actor": current_user._get_current_object()}
    try:
        case, made = submissions.submit_once(submission, files, **receipt)
    except submissions.KeyReused:  # back, changed, sent again: the case the key made, to correct
        return _Made(submissions.made_with_key(key))
    if not made and case.received_at != received_at:  # the same fields, another time: a change too
        return _Made(case)
    return case


