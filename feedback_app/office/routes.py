"""HCTH and the leader: sign-in, the intake queue, the review and publication queues, the search, the case page."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_

from workflows.lifecycle import AT_UNIT_STATES, N_, State

from ..auth import public_page, roles_required
from ..extensions import db, limiter, login_manager
from ..models import Feedback
from ..services import accounts, citizen_notices, staff
from ..services.calendar import load_calendar
from ..views_common import beyond_last_page, home_for, local_path, page_arg
from . import bp
from .case_page import DUPLICATE, download, handle_event, handle_side_action, load_case, render_case
from .forms import ArchiveManyForm, DuplicateForm, LoginForm, PasswordChangeForm
from .search import search_page, search_query

login_manager.login_view = "office.login"
login_manager.login_message = N_("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "error"
login_manager.localize_callback = gettext

OFFICE = ("office", "leader")

# The office's queues: (which cases, title); the intake queue is the default.
QUEUES = {
    "intake": (Feedback.state.in_(staff.INTAKE_STATES), N_("Tiếp nhận, phân loại")),
    "classified": (Feedback.state == State.CLASSIFIED.value, N_("Chờ chuyển đơn vị")),
    "in_progress": (Feedback.state.in_([s.value for s in AT_UNIT_STATES]), N_("Đang xử lý tại đơn vị")),
    "review": (Feedback.state == State.UNDER_REVIEW.value, N_("Chờ lãnh đạo duyệt")),
    "answered": (staff.AWAITING_PUBLICATION, N_("Chờ công khai")),
    # NĐ 20/2008 Art 9.1, 14.2e: a finished case is filed in the records (lifecycle ``archive``)
    "to_archive": (and_(staff.FINISHED, Feedback.archived_at.is_(None)), N_("Chờ lưu trữ")),
    "closed": (staff.FINISHED, N_("Đã kết thúc")),
}
HCTH_ONLY = {"to_archive"}  # the leader reads every other queue, but files nothing


# Wrong passwords from one client address, whatever the e-mail (services.accounts.authenticate locks
# one e-mail from one address); the right one is not counted.
login_rate_limit = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                                 deduct_when=lambda response: response.status_code == 401)


@bp.route("/dang-nhap", methods=["GET", "POST"])
@public_page
@login_rate_limit
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status, refused = 200, None
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            login_user(result.user)
            return redirect(local_path(request.args.get("next")) or home_for(result.user))
        # in the form's error list, focused when the page loads: a screen reader reads it out
        refused, status = gettext(result.error, minutes=result.minutes), 401
    elif request.method == "POST":
        status = 422
    return render_template("office/login.html", form=form, refused=refused), status


@bp.post("/dang-xuat")
@roles_required()
def logout():
    current_user.end_sessions()  # a copy of this session's cookie signs nobody in afterwards
    db.session.commit()
    logout_user()
    flash(gettext("Bạn đã đăng xuất."), "success")
    return redirect(url_for("office.login"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@roles_required()  # every member of staff, the admin too
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda response: g.get("wrong_password", False))  # guessing the current one
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(current_user, form.current_password.data, form.new_password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            g.wrong_password = error.message == accounts.WRONG_PASSWORD
            field = form[error.field] if error.field in form else form.new_password
            field.errors = [*field.errors, gettext(error.message, **error.params)]
        else:
            login_user(current_user._get_current_object())  # this browser stays signed in; the others do not
            flash(gettext("Đã đổi mật khẩu. Các trình duyệt khác đã đăng nhập tài khoản này đều được đăng xuất."),
                  "success")
            return redirect(home_for(current_user))
    status = 422 if request.method == "POST" else 200
    return render_template("office/change_password.html", form=form), status


def _queues() -> dict:
    return {key: queue for key, queue in QUEUES.items() if key not in HCTH_ONLY or current_user.role == "office"}


@bp.get("/")
@roles_required(*OFFICE)
def queue():
    if q := search_query():  # the box Tìm hồ sơ: every case, whatever its queue
        return search_page(q, "office/queue.html", "office.case", title=N_("Tìm hồ sơ"), tab=None, queues=_queues())
    return _queue_page(request.args.get("tab") or ("review" if current_user.role == "leader" else "intake"))


def _queue_page(tab: str, archive_form: ArchiveManyForm | None = None, status: int = 200):
    queues = _queues()
    if tab not in queues:
        tab = "intake"
    which, title = QUEUES[tab]
    if tab == "intake":
        query = staff.intake_query(current_user)
    elif tab == "closed":  # a list that grows for ever: what has just ended comes first, not the oldest
        query = staff.newest_first(staff.case_query(current_user).where(which))
    elif tab == "to_archive":  # finished cases have no due date to sort by: oldest first, read through the
        # index of received_at (sorted by due date, every unfiled case was sorted on each view: 0.8–5 s at 200k)
        query = staff.case_query(current_user).where(which).order_by(Feedback.received_at, Feedback.id)
    else:
        query = staff.by_due_date(staff.case_query(current_user).where(which))
    if tab in ("in_progress", "classified"):  # marked: drafts sent back, cases a unit returned
        query = staff.with_trail(query)
    page = staff.paginate(query, page_arg())
    if (moved := beyond_last_page(page)) is not None:
        return moved
    calendar = load_calendar()
    rows = [(c, staff.working_days_left(c, calendar)) for c in page.items]
    owed = citizen_notices.owed_count() if current_user.role == "office" else 0  # HCTH tells them
    undirected = staff.awaiting_direction() if current_user.role == "leader" else 0  # the leader decides
    if tab == "to_archive":  # HCTH files the ticked cases under one reference
        archive_form = archive_form or ArchiveManyForm()
    return render_template("office/queue.html", tab=tab, title=title, queues=queues, page=page, rows=rows,
                           owed_notices=owed, undirected=undirected, archive_form=archive_form), status


@bp.post("/luu-tru")
@roles_required("office")
def archive_many():
    """The cases ticked on "Chờ lưu trữ" filed under one reference; the list again, saying what was filed.
    Refused (no case ticked, no reference), the list comes back with the boxes and what was typed."""
    form = ArchiveManyForm()
    valid, picked = form.validate_on_submit(), form.picked()
    if not picked:  # none ticked, or a value that is no "code:version" (a tampered form)
        form.case.errors = [gettext("Vui lòng chọn hồ sơ cần lưu trữ.")]
    if not (valid and picked):
        return _queue_page("to_archive", form, 422)
    reference = form.reference.data.strip()
    filed = staff.archive_many(current_user, picked, reference, form.note.data)
    if filed.done:
        flash(gettext("Đã lưu trữ %(n)s hồ sơ vào hồ sơ lưu trữ số %(ref)s: %(codes)s.", n=len(filed.done),
                      ref=reference, codes=", ".join(filed.done)), "success")
    for code, why in filed.refused:
        flash(gettext("Chưa lưu trữ %(code)s: %(why)s", code=code, why=gettext(why)), "error")
    return redirect(url_for("office.queue", tab="to_archive"))


@bp.get("/ho-so/<code>")
@roles_required(*OFFICE)
def case(code: str):
    return render_case(load_case(code), "office")


@bp.post("/ho-so/<code>/su-kien/<event>")
@roles_required(*OFFICE)
def event(code: str, event: str):
    return handle_event(code, event, "office")


@bp.post("/ho-so/<code>/trung-lap")
@roles_required("office")
def duplicate(code: str):
    def action(case):
        form = DuplicateForm()
        if not form.validate():
            raise staff.StaffInputError(N_("Vui lòng nhập mã phản ánh, kiến nghị trước đó."), "duplicate_of")
        staff.mark_duplicate(case, form.duplicate_of.data, current_user, form.version.data)
        flash(gettext("Đã đánh dấu trùng với %(code)s.", code=case.duplicate_of.code), "success")
    return handle_side_action(code, "office", action, event="mark_duplicate",
                              sent=lambda case: (DUPLICATE, DuplicateForm()))


@bp.post("/ho-so/<code>/ban-cong-khai")
@roles_required("office")
def preview(code: str):
    """Keep HCTH's reviewed public copy; refused (blank, too long), the form comes back as typed."""
    return handle_event(code, "publish", "office", only_save_preview=True)


@bp.get("/tep/<int:attachment_id>")
@roles_required("office", "leader", "unit")
def attachment(attachment_id: int):
    return download(attachment_id)
