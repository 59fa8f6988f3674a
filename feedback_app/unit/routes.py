"""A unit's workspace: its cases by due date (overdue first), its search, the case page, the reply draft."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext
from flask_login import current_user

from workflows.lifecycle import N_

from ..auth import roles_required
from ..office.case_page import ASSIGN, handle_event, handle_side_action, load_case, render_case, sent_draft
from ..office.search import search_page, search_query
from ..office.forms import AssignForm
from ..services import assignment, staff
from ..services.calendar import load_calendar
from ..views_common import beyond_last_page, page_arg
from . import bp


@bp.get("/")
@roles_required("unit")
def workspace():
    if q := search_query():  # the box Tìm hồ sơ: the unit's own cases, open or closed
        return search_page(q, "unit/workspace.html", "unit.case")
    handled_by = request.args.get("cua") if request.args.get("cua") in staff.HANDLED_BY else None
    page = staff.paginate(staff.unit_query(current_user, handled_by), page_arg())
    if (moved := beyond_last_page(page)) is not None:
        return moved
    calendar = load_calendar()
    rows = [(c, staff.working_days_left(c, calendar)) for c in page.items]
    return render_template("unit/workspace.html", page=page, rows=rows, handled_by=handled_by,
                           handled_by_labels=staff.HANDLED_BY)


@bp.get("/ho-so/<code>")
@roles_required("unit")
def case(code: str):
    return render_case(load_case(code), "unit")


@bp.post("/ho-so/<code>/su-kien/<event>")
@roles_required("unit")
def event(code: str, event: str):
    return handle_event(code, event, "unit")


@bp.post("/ho-so/<code>/du-thao")
@roles_required("unit")
def draft(code: str):
    """Keep the draft reply and its attachments without sending it for review."""
    reply = request.form.get("submit_draft-reply", "")
    files = [f for f in request.files.getlist("submit_draft-attachments") if f.filename]

    def action(case):
        staff.save_draft(case, current_user, reply, files, request.form.get("submit_draft-version", type=int))
        flash(gettext("Đã lưu dự thảo."), "success")
    return handle_side_action(code, "unit", action, done=lambda case: staff.draft_holds(case, reply, files),
                              sent=sent_draft)


@bp.post("/ho-so/<code>/du-thao/tep/<int:attachment_id>/xoa")
@roles_required("unit")
def remove_draft_file(code: str, attachment_id: int):
    def action(case):
        name = staff.remove_draft_file(case, current_user, attachment_id, request.form.get("version", type=int))
        flash(gettext("Đã xóa tệp %(name)s khỏi dự thảo.", name=name), "success")
    return handle_side_action(code, "unit", action,
                              done=lambda case: all(a.id != attachment_id for a in case.attachments))


@bp.post("/ho-so/<code>/phan-cong")
@roles_required("unit")
def assign(code: str):
    """The officer of the unit who handles the case (services.assignment), or nobody."""
    form = AssignForm()

    def action(case):
        if not form.validate():  # only the hidden version can be wrong: the service checks the choice
            raise staff.StaffInputError(N_("Thiếu phiên bản của hồ sơ; vui lòng tải lại trang."), "assignee")
        officer = assignment.assign(case, current_user, form.chosen(), form.version.data)
        flash(gettext("Đã phân công %(name)s xử lý.", name=officer.full_name) if officer
              else gettext("Đã bỏ phân công: phản ánh, kiến nghị chờ đơn vị phân công người xử lý."), "success")
    return handle_side_action(code, "unit", action, done=lambda case: case.assignee_id == form.chosen(),
                              sent=lambda case: (ASSIGN, AssignForm.of(case, assignment.colleagues(case))))
