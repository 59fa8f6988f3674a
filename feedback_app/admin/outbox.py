"""Admin: mails that keep failing, with their last error and a retry button."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import roles_required
from ..extensions import db
from ..services import citizen_notices, outbox
from ..views_common import beyond_last_page, page_arg
from . import bp


@bp.get("/thu-di")
@roles_required("admin")
def outbox_failing():
    page = db.paginate(outbox.failing_query(), page=page_arg(), per_page=20,
                       error_out=False)
    if (moved := beyond_last_page(page)) is not None:
        return moved
    # a failed mail HCTH told the citizen by phone or post instead (services.citizen_notices): sending it
    # again would tell them twice
    given = citizen_notices.given_for_keys([mail.key for mail in page.items])
    return render_template("admin/outbox.html", page=page, counts=outbox.counts(), given=given,
                           ways=citizen_notices.HOW_LABELS)


@bp.post("/thu-di/<int:mail_id>/gui-lai")
@roles_required("admin")
def outbox_retry(mail_id: int):
    row = outbox.retry(mail_id)
    if row is None:
        flash(_("Không tìm thấy thư cần gửi lại hoặc thư đã được gửi."), "error")
    else:
        flash(_("Thư %(key)s sẽ được gửi lại trong lần gửi tiếp theo.", key=row.key), "success")
    return redirect(url_for("admin.outbox_failing"))
