"""A unit's workspace: its cases by due date (overdue first), its search, the case page, the reply draft."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext
from flask_login import current_user

from ..auth import roles_required
from ..office.case_page import handle_event, handle_side_action, load_case, render_case, sent_draft
from ..office.search import search_page, search_query
from ..services import staff
from ..services.calendar import load_calendar
from ..views_common import beyond_last_page, page_arg
from . import bp


@bp.get("/")
@roles_required("unit")
def workspace():
    if q := search_query():  # the box Tìm hồ sơ: the unit's own cases, open or closed
        return search_page(q, "unit/workspace.html", "unit.case")
    page = staff.paginate(staff.unit_query(current_user), page_arg())
    if (moved := beyond_last_page(page)) is not None:
        return moved
    calendar = load_calendar()
    rows = [(c, staff.working_days_left(c, calendar)) for c in page.items]
    return render_template("unit/workspace.html", page=page, rows=rows)


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
    return handle_side_action(code, "unit", action, done=lambda case: not files and staff.draft_is(case, reply),
                              sent=sent_draft)


@bp.post("/ho-so/<code>/du-thao/tep/<int:attachment_id>/xoa")
@roles_required("unit")
def remove_draft_file(code: str, attachment_id: int):
    def action(case):
        name = staff.remove_draft_file(case, current_user, attachment_id, request.form.get("version", type=int))
        flash(gettext("Đã xóa tệp %(name)s khỏi dự thảo.", name=name), "success")
    return handle_side_action(code, "unit", action,
                              done=lambda case: all(a.id != attachment_id for a in case.attachments))
