"""The PAKN register (sổ theo dõi tiếp nhận và xử lý PAKN, NĐ 20/2008/NĐ-CP Art 9.1c) for HCTH and the
leader: the cases received in a range of days, filtered by channel and unit, page by page, and the
whole range as XLSX (``?format=xlsx``, as the report page offers its files)."""
from __future__ import annotations

import tempfile

from flask import current_app, render_template, request, send_file
from flask_babel import gettext, lazy_gettext as _l

from workflows.clock import CLOCK
from workflows.lifecycle import N_

from ..auth import roles_required
from ..reports import register_xlsx
from ..reports.exports import XLSX_MIMETYPE
from ..reports.periods import PeriodError, between, parse_period, quarter_of, recent
from ..services import register
from ..views_common import bad_request, beyond_last_page, page_arg, period_name
from . import bp
from .forms import RegisterFilterForm, choices
from .routes import OFFICE

# RegisterError's filter -> the form's field
FIELDS = {"from": "date_from", "to": "date_to", "channel": "channel", "unit": "unit"}
BAD_FORMAT = N_("Định dạng tải về không hợp lệ: sổ tiếp nhận chỉ tải được dạng XLSX.")


def _form() -> RegisterFilterForm:
    form = RegisterFilterForm(formdata=request.args)
    form.period.choices = choices([("", _l("— Tự chọn khoảng ngày —"))]
                                  + [(p.label, period_name(p)) for p in recent(CLOCK.today())])
    form.channel.validate_choice = form.unit.validate_choice = False  # register.check says why, in Vietnamese
    form.unit.choices = choices([("", _l("Tất cả"))] + register.unit_choices())
    return form


def _filters(form: RegisterFilterForm) -> register.Filters | None:
    """The filters the form asks for, or None with the errors on its fields."""
    if not form.validate():
        return None
    start, end = form.date_from.data, form.date_to.data
    if form.period.data:
        try:
            period = parse_period(form.period.data)
        except PeriodError:
            form.period.errors.append(gettext("Kỳ không hợp lệ (ví dụ: 2024, 2024-Q1)."))
            return None
    elif start is None and end is None:
        period = quarter_of(CLOCK.today())  # as the report page opens
    elif start is None or end is None:
        (form.date_from if start is None else form.date_to).errors.append(
            gettext("Vui lòng nhập cả ngày bắt đầu và ngày kết thúc."))
        return None
    elif start > end:
        form.date_to.errors.append(gettext("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."))
        return None
    else:
        period = None  # the two dates: a period of them once they are checked
    try:
        if period is None:
            register.check_days(start, end)
            period = between(start, end)
        filters = register.Filters(period, form.channel.data or None, form.unit.data or None)
        register.check(filters)
    except register.RegisterError as error:
        # a range refused: at the period's field if the range came from there, else at its date
        target = form.period if form.period.data and error.field in ("from", "to") else form[FIELDS[error.field]]
        target.errors.append(gettext(error.message, **error.params))
        return None
    # the form shows the range it gives (a period chosen becomes its two dates)
    for f, day in ((form.date_from, period.start), (form.date_to, period.end)):
        f.data, f.raw_data = day, None
    form.period.data = ""
    return filters


def _download(filters: register.Filters):
    out = tempfile.TemporaryFile()  # written row by row by openpyxl's write-only mode, then sent
    register_xlsx.write(filters, out)
    out.seek(0)
    return send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"so-tiep-nhan-pakn-{filters.period.label.replace('..', '_')}.xlsx")


@bp.get("/so-tiep-nhan")
@roles_required(*OFFICE)
def register_page():
    fmt = request.args.get("format", "").lower()
    if fmt not in ("", "html", "xlsx"):
        return bad_request(BAD_FORMAT)
    form = _form()
    filters = _filters(form)
    if filters is None:  # a field error: said next to its field, the register not read
        return render_template("office/register.html", form=form, filters=None, page=None), 400
    limit = current_app.config["REGISTER_DOWNLOAD_MAX_ROWS"]
    download = fmt == "xlsx"
    if download and register.count(filters) <= limit:
        return _download(filters)
    result = register.page(filters, page_arg())
    if (moved := beyond_last_page(result.pagination)) is not None:
        return moved
    args = {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat()}
    args.update({k: v for k, v in (("channel", filters.channel), ("unit", filters.unit)) if v})
    return render_template("office/register.html", form=form, filters=filters, page=result.pagination,
                           entries=result.entries, args=args, headings=register.HEADINGS, title=register.TITLE,
                           caption=register.range_text(filters), limit=limit,
                           too_large=download), 400 if download else 200
