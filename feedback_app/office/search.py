"""The box *Tìm hồ sơ* on HCTH's queue and on the unit's workspace, shared by both blueprints as the case
page is: ``?q=`` on the list's own address, so that a search is a link to share and the back button
returns to it."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ..services import staff_search
from ..services.staff import StaffInputError
from ..views_common import beyond_last_page, page_arg


def search_query() -> str:
    """What was typed in the box; empty when nothing was (the page shows its own list)."""
    return (request.args.get("q") or "").strip()


def search_page(q: str, template: str, case_endpoint: str, **context):
    """The list page ``template`` with the cases found for ``q`` among those this user may see, ``q`` kept
    in its box. The one case of a whole tracking code opens at once; a query refused (too long, control
    characters) comes back in the box with the reason."""
    try:
        found = staff_search.search(current_user, q, page_arg())
    except StaffInputError as exc:
        refused = gettext(exc.message, n=staff_search.MAX_QUERY_LENGTH)
        return render_template(template, q=q, refused=refused, **context), 400
    if found.exact and found.page.items:
        return redirect(url_for(case_endpoint, code=found.page.items[0].code))
    if (moved := beyond_last_page(found.page)) is not None:
        return moved
    return render_template(template, q=q, found=found, **context)
