"""The leader's and HCTH's dashboard, and the report page (period picker, printable table, downloads,
closing a period once its report is sent)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ..auth import roles_required
from ..reports import exports
from ..reports.overview import dashboard as dashboard_data, grouped_columns, horizontal_bars
from ..reports.periods import PeriodError, RangeError, parse_period, quarter_of
from ..services.reports import AlreadyClosed, PeriodNotBegun, PeriodNotOver, close_report, report_of, snapshot_of
from ..views_common import bad_request, beyond_last_page, local_d, local_dt, page_arg, state_label
from workflows.clock import CLOCK
from workflows.lifecycle import N_
from . import bp
from .forms import CloseReportForm

REPORT_ROLES = ("leader", "office", "admin")
# HCTH compiles and sends the report (plan, chapter III.3), the leader signs it: either may close it.
CLOSE_ROLES = ("leader", "office")
BAD_PERIOD = N_("Kỳ báo cáo không hợp lệ. Nhập 2024-Q2 (quý), 2024-H1 (6 tháng), 2024 (năm) hoặc 2024-01-01..2024-03-31.")
# ?format= of the report: the page itself, or a download
FORMATS = ("html", "xlsx", "csv", "pdf")
BAD_FORMAT = N_("Định dạng tải về không hợp lệ: báo cáo chỉ tải được dạng XLSX, CSV hoặc PDF.")


def _page() -> int:
    return page_arg()


@bp.get("/tong-quan")
@roles_required(*REPORT_ROLES)
def dashboard():
    data = dashboard_data(page=_page())
    overdue = SimpleNamespace(items=data["overdue"], page=data["page"],
                              pages=-(-data["overdue_total"] // data["per_page"]))
    if (moved := beyond_last_page(overdue, anchor="#overdue")) is not None:
        return moved
    states = horizontal_bars(gettext("Số phản ánh, kiến nghị theo trạng thái"),
                             [(state_label(s), n) for s, n in data["by_state"].items()])
    series = [p.label for p in data["quarters"]]
    rates = grouped_columns(gettext("Tỷ lệ trả lời đúng hạn theo đơn vị và quý"),
                            [(u.code, data["rates"][u.code]) for u in data["units"]]
                            + [(gettext("Toàn Sở"), data["rates"]["TONG"])], series)
    satisfaction = horizontal_bars(gettext("Mức độ hài lòng (năm báo cáo %(year)s)", year=data["year"].label),
                                   [(gettext("Rất hài lòng"), data["ratings"][3]),
                                    (gettext("Hài lòng"), data["ratings"][2]),
                                    (gettext("Không hài lòng"), data["ratings"][1])], colour="#1e7b34")
    return render_template("office/dashboard.html", d=data, states=states, rates=rates, satisfaction=satisfaction)


def _bad_period(error: PeriodError) -> str:
    """Why the period typed gives no report: what is wrong with a range of days typed right (reversed, too
    long), else the formats to type."""
    return error.text(gettext) if isinstance(error, RangeError) else gettext(BAD_PERIOD)


def _period_refused(text: str, error: str):
    """The form again with why ``text`` gives no report, to enter another period."""
    return render_template("office/report.html", report=None, period_text=text, header=exports.header_rows(),
                           error=error), 400


@bp.get("/bao-cao")
@roles_required(*REPORT_ROLES)
def report():
    text = request.args.get("period") or quarter_of(CLOCK.today()).label
    fmt = (request.args.get("format") or "html").lower()
    live = request.args.get("live") == "1"
    if fmt not in FORMATS:
        return bad_request(BAD_FORMAT)
    try:
        period = parse_period(text)
    except PeriodError as error:
        return _period_refused(text, _bad_period(error))
    try:
        stored = report_of(period, live=live)
    except PeriodNotBegun as error:  # no page and no file: any figures of it would be made up
        return _period_refused(text, error.text(gettext))
    result = stored.report
    name = f"bao-cao-pakn-{period.label.replace('..', '_')}" + ("-tinh-lai" if live else "")
    if fmt == "xlsx":
        return Response(exports.to_xlsx(result, stored.status_line()), headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
                        mimetype=exports.XLSX_MIMETYPE)
    if fmt == "csv":
        return Response(exports.to_csv(result, stored.closed_at), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "pdf":
        return Response(exports.to_pdf(result, stored.status_line()), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    closed = stored.snapshot or (snapshot_of(period) if live else None)
    over = period.has_ended(CLOCK.now())
    close_form = (CloseReportForm(period=text) if over and closed is None and current_user.role in CLOSE_ROLES
                  else None)
    return render_template("office/report.html", report=result, period_text=text, header=exports.header_rows(),
                           columns=exports.FORM_COLUMNS, title=exports.TITLE, period_line=exports.period_text(result, gettext),
                           error=None, snapshot=stored.snapshot, closed=closed, live=live, over=over,
                           close_form=close_form)


@bp.post("/bao-cao/chot")
@roles_required(*CLOSE_ROLES)
def close_period():
    form = CloseReportForm()
    text = form.period.data or ""
    try:
        period = parse_period(text) if form.validate() else None
    except PeriodError as error:
        flash(_bad_period(error), "error")
        return redirect(url_for("office.report"))
    if period is None:
        flash(gettext(BAD_PERIOD), "error")
        return redirect(url_for("office.report"))
    try:
        close_report(period, current_user)
        flash(gettext("Đã chốt số liệu kỳ %(period)s: báo cáo và các tệp tải về từ nay giữ đúng số liệu này.",
                      period=period.label), "success")
    except PeriodNotOver:
        flash(gettext("Kỳ %(period)s chưa kết thúc: chỉ chốt được số liệu từ ngày %(day)s.", period=period.label,
                      day=local_d(period.end + timedelta(days=1))), "error")
    except AlreadyClosed as closed:
        flash(gettext("Số liệu kỳ %(period)s đã được chốt lúc %(at)s bởi %(who)s.", period=period.label,
                      at=local_dt(closed.snapshot.closed_at), who=closed.snapshot.closed_by_label), "error")
    return redirect(url_for("office.report", period=text))
