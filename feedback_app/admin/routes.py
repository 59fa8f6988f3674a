"""Administration pages: units and users (create, edit, deactivate)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from ..auth import roles_required
from ..extensions import db
from ..models import Unit, User
from ..services import accounts, staff
from . import bp
from .forms import UnitForm, UserForm


def _field_error(form, exc: accounts.AccountError) -> None:
    db.session.rollback()
    message = gettext(exc.message)
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, message]
    flash(message, "error")


@bp.get("/don-vi")
@roles_required("admin")
def units():
    rows = db.session.execute(select(Unit).order_by(Unit.active.desc(), Unit.code)).scalars().all()
    return render_template("admin/units.html", units=rows)


@bp.route("/don-vi/moi", methods=["GET", "POST"])
@bp.route("/don-vi/<int:unit_id>", methods=["GET", "POST"])
@roles_required("admin")
def unit_form(unit_id: int | None = None):
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            accounts.save_unit(unit, code=form.code.data, name=form.name.data, email=form.email.data,
                               active=form.active.data)
        except accounts.AccountError as exc:
            _field_error(form, exc)
        else:
            flash(gettext("Đã lưu đơn vị."), "success")
            return redirect(url_for("admin.units"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/unit_form.html", form=form, unit=unit), status


@bp.get("/nguoi-dung")
@roles_required("admin")
def users():
    query = select(User).order_by(User.active.desc(), User.role, User.email)
    page = staff.paginate(query, request.args.get("page", 1, type=int))
    return render_template("admin/users.html", page=page)


@bp.route("/nguoi-dung/moi", methods=["GET", "POST"])
@bp.route("/nguoi-dung/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_form(user_id: int | None = None):
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.unit.data = user.unit.code if user.unit else ""
    if form.validate_on_submit():
        try:
            if user is None:
                if not form.password.data:
                    raise accounts.AccountError("Mật khẩu phải có ít nhất 8 ký tự.", "password")
                user, _ = accounts.create_user(form.email.data, form.role.data, full_name=form.full_name.data,
                                               unit_code=form.unit.data or None, password=form.password.data,
                                               title=form.title.data)
                if not form.active.data:
                    accounts.update_user(user, email=user.email, full_name=user.full_name, role=user.role,
                                         unit_code=user.unit.code if user.unit else None, title=user.title,
                                         active=False)
            else:
                accounts.update_user(user, email=form.email.data, full_name=form.full_name.data,
                                     role=form.role.data, unit_code=form.unit.data or None, title=form.title.data,
                                     active=form.active.data, password=form.password.data or None)
        except accounts.AccountError as exc:
            _field_error(form, exc)
        else:
            flash(gettext("Đã lưu người dùng."), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user), status
