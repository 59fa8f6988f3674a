"""Admin: the administration's own trail (services.admin_log), newest first, by what it is about."""
from __future__ import annotations

from flask import render_template, request

from ..auth import roles_required
from ..extensions import db
from ..services import admin_log
from ..views_common import beyond_last_page, page_arg
from . import bp

PER_PAGE = 30


@bp.get("/nhat-ky")
@roles_required("admin")
def admin_log_page():
    group = request.args.get("nhom") if request.args.get("nhom") in admin_log.GROUPS else None
    page = db.paginate(admin_log.query(group), page=page_arg(), per_page=PER_PAGE, error_out=False)
    if (moved := beyond_last_page(page)) is not None:
        return moved
    return render_template("admin/log.html", page=page, group=group, groups=admin_log.GROUPS,
                           actions=admin_log.ACTIONS)
