"""``/ket-qua-xu-ly``: the results of the department's handling and the citizens' satisfaction, for
every period HCTH closed (the plan, items 13 and 24: "Công khai kết quả trên Cổng thông tin điện tử
Sở"; NĐ 61/2018 and TT 01/2018 on rating the service), in total and per unit, newest first, a page of
periods at a time. No personal data: counts."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext

from ..reports.exports import period_text
from ..services.reports import published_results
from ..views_common import beyond_last_page, page_arg
from . import bp


@bp.get("/ket-qua-xu-ly")
def results():
    results = published_results(page_arg())
    if (moved := beyond_last_page(results)) is not None:
        return moved
    return render_template("public/results.html", results=results,
                           period_line=lambda report: period_text(report, gettext))  # as the report names it
