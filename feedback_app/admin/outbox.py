"""Admin: mails that keep failing, with their last error and a retry button."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth import roles_required
from ..extensions import db
from ..models import User
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
    # the admin sees no case (README): a citizen's address beside the case's code would be all the public
    # lookup asks for; the mail server's answer and the domain are what a failing mail needs
    staff = set(db.session.execute(select(User.email).where(
        User.email.in_({a.strip().lower() for mail in page.items for a in mail.recipients.split(",")}))).scalars())
    return render_template("admin/outbox.html", page=page, counts=outbox.counts(), given=given,
                           ways=citizen_notices.HOW_LABELS,
                           recipients={mail.id: shown_recipients(mail.recipients, staff) for mail in page.items},
                           errors={mail.id: shown_error(mail.last_error, staff) for mail in page.items})


def shown_recipients(recipients: str, staff: set[str]) -> str:
    """The recipients as the admin's page shows them: staff as they are, a citizen's address masked but its
    domain ("a…n@example.com")."""
    return ", ".join(_shown_address(a.strip(), staff) for a in recipients.split(",") if a.strip())


def shown_error(error: str | None, staff: set[str]) -> str:
    """The mail server's last answer, its addresses masked as the recipients are: a refusal names the
    address it refused ("SMTPRecipientsRefused: {'an@example.com': (550, …)}")."""
    return _ADDRESS.sub(lambda m: _shown_address(m.group(0), staff), error or "")


_ADDRESS = re.compile(r"[^\s'\"<>(),;:@]+@[^\s'\"<>(),;:@]+")


def _shown_address(address: str, staff: set[str]) -> str:
    local, _at, domain = address.partition("@")
    if address.lower() in staff or not domain:
        return address
    return f"{local[0]}…{local[-1]}@{domain}" if len(local) > 1 else f"…@{domain}"


@bp.post("/thu-di/<int:mail_id>/gui-lai")
@roles_required("admin")
def outbox_retry(mail_id: int):
    row = outbox.retry(mail_id)
    if row is None:
        flash(_("Không tìm thấy thư cần gửi lại hoặc thư đã được gửi."), "error")
    else:
        flash(_("Thư %(key)s sẽ được gửi lại trong lần gửi tiếp theo.", key=row.key), "success")
    return redirect(url_for("admin.outbox_failing"))
