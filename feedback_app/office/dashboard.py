"""The leader's and HCTH's dashboard, and the report page (period picker, printable table, downloads)."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext

from ..auth import roles_required
from ..reports import exports
from ..reports.overview import dashboard as dashboard_data, grouped_columns, horizontal_bars
from ..reports.periods import PeriodError, parse_period, quarter_of
from ..reports.queries import build_report
from ..views_common import page_arg, state_label
from workflows.clock import CLOCK
from . import bp

REPORT_ROLES = ("leader", "office", "admin")


def _page() -> int:
    return page_arg()


@bp.get("/tong-quan")
@roles_required(*REPORT_ROLES)
def dashboard():
    data = dashboard_data(page=_page())
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


@bp.get("/bao-cao")
@roles_required(*REPORT_ROLES)
def report():
    text = request.args.get("period") or quarter_of(CLOCK.today()).label
    fmt = request.args.get("format", "html")
    try:
        period = parse_period(text)
    except PeriodError:
        return render_template("office/report.html", report=None, period_text=text, header=exports.header_rows(),
                               error=gettext("Kỳ báo cáo không hợp lệ. Nhập 2024-Q2, 2024 hoặc "
                                             "2024-01-01..2024-03-31.")), 400
    result = build_report(period)
    name = f"bao-cao-pakn-{period.label.replace('..', '_')}"
    if fmt == "xlsx":
        return Response(exports.to_xlsx(result), headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt == "csv":
        return Response(exports.to_csv(result), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return render_template("office/report.html", report=result, period_text=text, header=exports.header_rows(),
                           columns=exports.FORM_COLUMNS, title=exports.TITLE, period_line=exports.period_text(result),
                           error=None)
