"""Administration pages: units, users (create, edit, deactivate, staff API tokens) and the fields cases
are classified into."""
from __future__ import annotations

from typing import Callable

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from workflows.lifecycle import N_, ROLE_LABELS

from ..auth import roles_required
from ..extensions import db
from ..models import Category, Unit, User
from ..services import accounts, categories, staff
from ..views_common import beyond_last_page, page_arg
from . import bp
from .forms import CategoryForm, UnitForm, UserForm

SEARCH_CHARS = 100  # what the users list's search box reads of what was typed


def _edit(model, row_id: int | None, form_class, save: Callable, template: str, done: str, saved: str):
    """The create/edit page of one row: parse the form, call one service, redirect or show the errors."""
    # a save reads the row FOR UPDATE (PostgreSQL): two saves at once are served one after the other,
    # and the second compares what its page read with what the first stored
    row = db.session.get(model, row_id, with_for_update=request.method == "POST") if row_id else None
    if row_id and row is None:
        abort(404)
    form = form_class(obj=row) if request.method == "POST" else _as_stored(form_class, row)
    if form.validate_on_submit():
        # the page's form always sends what it read; a script posting the fields alone is not checked
        if row is not None and form.read_as.data and form.read_as.data != form.as_read(row):
            flash(gettext(CHANGED_MEANWHILE), "error")
            return render_template(template, form=_as_stored(form_class, row), row=row, back=list_state()), 409
        try:
            save(row, form)
        except accounts.AccountError as exc:
            db.session.rollback()
            message = gettext(exc.message, **exc.params)
            if exc.field and exc.field in form:  # said once, at its field and in the page's error summary
                form[exc.field].errors = [*form[exc.field].errors, message]
            else:
                flash(message, "error")
        else:
            flash(gettext(saved), "success")
            return redirect(url_for(done, **list_state()))
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, row=row, back=list_state()), status


# What a list passes to the page of one of its rows (a search, a filter, the page number), so that saving or
# cancelling there returns to the list as it was
LIST_STATE = ("q", "role", "page")


def list_state() -> dict[str, str]:
    return {name: value for name in LIST_STATE if (value := request.args.get(name, ""))}


CHANGED_MEANWHILE = N_("Trong lúc bạn sửa, thông tin này đã được lưu thay đổi ở nơi khác (một quản trị viên khác, "
                       "hoặc một thẻ khác của trình duyệt). Trang này hiện thông tin mới nhất; hãy sửa lại nếu "
                       "vẫn cần.")


def _as_stored(form_class, row):
    """The form filled with ``row`` as stored now (a new row: empty), and what it read."""
    form = form_class(obj=row, formdata=None)
    if row is not None:
        if isinstance(row, User):
            form.unit.data = row.unit.code if row.unit else ""
        form.read_as.data = form.as_read(row)
    return form


def _save_unit(unit: Unit | None, form: UnitForm) -> None:
    accounts.save_unit(unit, code=form.code.data, name=form.name.data, email=form.email.data,
                       active=form.active.data, make_office="is_office" in form and form.is_office.data,
                       actor=current_user)


def _save_user(user: User | None, form: UserForm) -> None:
    if user is None:
        if not form.password.data:
            raise accounts.AccountError(N_("Mật khẩu phải có ít nhất 8 ký tự."), "password")
        accounts.create_user(form.email.data, form.role.data, full_name=form.full_name.data,
                             unit_code=form.unit.data or None, password=form.password.data,
                             title=form.title.data, active=form.active.data, actor=current_user)
        return
    released = accounts.update_user(user, email=form.email.data, full_name=form.full_name.data, role=form.role.data,
                                    unit_code=form.unit.data or None, title=form.title.data, active=form.active.data,
                                    password=form.password.data or None, actor=current_user)
    if released:  # services.assignment.release_officer
        flash(gettext("%(n)s phản ánh, kiến nghị người dùng này đang xử lý được trả về danh sách chưa phân công của "
                      "đơn vị.", n=released), "info")


@bp.get("/don-vi")
@roles_required("admin")
def units():
    rows = db.session.execute(select(Unit).order_by(Unit.active.desc(), Unit.code)).scalars().all()
    return render_template("admin/units.html", units=rows)


@bp.route("/don-vi/moi", methods=["GET", "POST"])
@bp.route("/don-vi/<int:unit_id>", methods=["GET", "POST"])
@roles_required("admin")
def unit_form(unit_id: int | None = None):
    return _edit(Unit, unit_id, UnitForm, _save_unit, "admin/unit_form.html", "admin.units", N_("Đã lưu đơn vị."))


def _save_category(category: Category | None, form: CategoryForm) -> None:
    _, changed = categories.save_category(
        category, code=form.code.data, name=form.name.data, classify_target_days=form.classify_target_days.data,
        answer_target_days=form.answer_target_days.data, active=form.active.data, actor=current_user)
    if changed:
        flash(gettext("%(n)s phản ánh, kiến nghị đang xử lý được tính lại hạn nội bộ.", n=changed), "success")


@bp.get("/linh-vuc")
@roles_required("admin")
def categories_list():
    rows = db.session.execute(select(Category).order_by(Category.active.desc(), Category.code)).scalars().all()
    return render_template("admin/categories.html", categories=rows, legal=categories.legal_days())


@bp.route("/linh-vuc/moi", methods=["GET", "POST"])
@bp.route("/linh-vuc/<int:category_id>", methods=["GET", "POST"])
@roles_required("admin")
def category_form(category_id: int | None = None):
    return _edit(Category, category_id, CategoryForm, _save_category, "admin/category_form.html",
                 "admin.categories_list", N_("Đã lưu lĩnh vực."))


@bp.post("/nguoi-dung/<int:user_id>/ma-api")
@roles_required("admin")
def issue_token(user_id: int):
    """A new staff API token, shown on this answer only (only its hash is stored)."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        token = accounts.new_token(user, issued_by=current_user)
    except accounts.AccountError as exc:
        flash(gettext(exc.message, **exc.params), "error")
        return redirect(url_for("admin.user_form", user_id=user.id))
    response = make_response(render_template("admin/token_issued.html", user=user, token=token))
    response.headers["Cache-Control"] = "no-store"  # the token must not stay in a cache
    return response


@bp.post("/nguoi-dung/<int:user_id>/ma-api/<int:token_id>/thu-hoi")
@roles_required("admin")
def revoke_token(user_id: int, token_id: int):
    user = db.session.get(User, user_id) or abort(404)
    try:
        accounts.revoke_token(user, token_id, actor=current_user)
    except accounts.AccountError as exc:
        flash(gettext(exc.message, **exc.params), "error")
    else:
        flash(gettext("Đã thu hồi mã truy cập API."), "success")
    return redirect(url_for("admin.user_form", user_id=user.id))


@bp.get("/nguoi-dung")
@roles_required("admin")
def users():
    """The accounts, found by name or e-mail and by role (a GET form: a search is a link)."""
    words = (request.args.get("q") or "").strip()[:SEARCH_CHARS]
    role = request.args.get("role", "") if request.args.get("role") in ROLE_LABELS else ""
    page = staff.paginate(accounts.users_list(words, role), page_arg())
    if (moved := beyond_last_page(page)) is not None:
        return moved
    filters = {name: value for name, value in (("q", words), ("role", role)) if value}
    return render_template("admin/users.html", page=page, q=words, role=role, filters=filters, roles=ROLE_LABELS,
                           state={**filters, **({"page": page.page} if page.page > 1 else {})})


@bp.route("/nguoi-dung/moi", methods=["GET", "POST"])
@bp.route("/nguoi-dung/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_form(user_id: int | None = None):
    return _edit(User, user_id, UserForm, _save_user, "admin/user_form.html", "admin.users",
                 N_("Đã lưu người dùng."))
