"""Admin: the department's working-day calendar, the overrides of ``holidays.VN`` it keeps (days off and
make-up working days the government announced later). The same service calls as ``flask calendar
set/remove``, so an open case's due date moves the same way, with its audit row."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from workflows.clock import CLOCK

from ..auth import roles_required
from ..extensions import db
from ..services import calendar
from . import bp
from .forms import CalendarDayForm

NEXT_WORKING_DAYS = 5  # shown under the list: what the calendar gives from today


def _next_working_days(cal, today, n: int = NEXT_WORKING_DAYS) -> list:
    days, day = [], today
    for _ in range(n):
        day = cal.add_working_days(day, 1)
        days.append(day)
    return days


def _years() -> tuple[int, int]:
    """The years the page lists, the only ones the calendar service accepts a change of
    (``calendar._check_changeable``)."""
    year = CLOCK.today().year
    return year, year + 1


def _page(form: CalendarDayForm, status: int = 200, confirm: dict | None = None):
    today, cal = CLOCK.today(), calendar.load_calendar()
    language = get_locale().language
    return render_template("admin/calendar.html", form=form, kinds=calendar.KINDS, confirm=confirm,
                           overrides=calendar.overrides(*_years()),
                           years={year: calendar.year_days(year, language, cal) for year in _years()},
                           next_days=_next_working_days(cal, today)), status


# A change that gives open cases a new due date is shown first with how many, and made once confirmed:
# one click on the page would otherwise move citizens' dates (each case records its old and new date).
def _confirmed() -> bool:
    return request.form.get("confirmed") == "1"


def _confirm(what: str, moving: int, action: str, button: str, **fields) -> dict:
    return {"text": gettext("%(what)s sẽ tính lại hạn xử lý của %(n)s phản ánh, kiến nghị đang xử lý (mỗi hồ sơ "
                            "ghi lại hạn cũ và hạn mới trong lịch sử xử lý).", what=what, n=moving),
            "action": action, "button": button, "fields": fields}


@bp.route("/lich-lam-viec", methods=["GET", "POST"])
@roles_required("admin")
def calendar_days():
    form = CalendarDayForm()
    if not form.validate_on_submit():
        return _page(form, 422 if request.method == "POST" else 200)
    day, kind, name = form.day.data, form.kind.data, form.name.data

    def change(commit: bool) -> int:
        return calendar.set_day(day, kind, name, current_user, replace=False, commit=commit)
    try:
        moving = 0 if _confirmed() else calendar.dry_run(lambda: change(False))
        if moving:
            what = gettext("Thêm ngày %(day)s (%(kind)s: %(name)s)", day=f"{day:%d/%m/%Y}",
                           kind=gettext(calendar.KINDS[kind]), name=" ".join(name.split()))
            return _page(form, confirm=_confirm(what, moving, url_for("admin.calendar_days"),
                                                gettext("Xác nhận thêm ngày"), day=day.isoformat(), kind=kind,
                                                name=name))
        changed = change(True)
    except calendar.CalendarError as exc:
        db.session.rollback()
        form[exc.field or "day"].errors = [gettext(exc.message, **exc.params)]
        return _page(form, 422)
    flash(gettext("Đã thêm ngày %(day)s; %(n)s phản ánh, kiến nghị đang xử lý được tính lại hạn xử lý.",
                  day=f"{form.day.data:%d/%m/%Y}", n=changed), "success")
    return redirect(url_for("admin.calendar_days"))


@bp.post("/lich-lam-viec/<int:override_id>/xoa")
@roles_required("admin")
def calendar_day_remove(override_id: int):
    try:
        if not _confirmed():
            day, moving = calendar.dry_run(lambda: calendar.remove_override(override_id, current_user, commit=False))
            if moving:
                what = gettext("Xóa điều chỉnh ngày %(day)s", day=f"{day:%d/%m/%Y}")
                return _page(CalendarDayForm(formdata=None), confirm=_confirm(
                    what, moving, url_for("admin.calendar_day_remove", override_id=override_id),
                    gettext("Xác nhận xóa")))
        day, changed = calendar.remove_override(override_id, current_user)
    except calendar.CalendarError as exc:
        db.session.rollback()
        flash(gettext(exc.message, **exc.params), "error" if exc.field else "info")  # removed meanwhile: info
        return redirect(url_for("admin.calendar_days"))
    flash(gettext("Đã xóa điều chỉnh ngày %(day)s; %(n)s phản ánh, kiến nghị đang xử lý được tính lại hạn xử lý.",
                  day=f"{day:%d/%m/%Y}", n=changed), "success")
    return redirect(url_for("admin.calendar_days"))
