"""Staff: the full apology letter as PDF, its reason during the grace period, the overdue list, and the
letter that transfers a case to the competent agency."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflows.clock import CLOCK

from ..auth import roles_required
from ..extensions import db
from ..letters import (answer_filename, letter_filename, render_answer_pdf, render_letter_pdf, render_transfer_pdf,
                       transfer_filename)
from ..services import accounts, cases
from ..services import letters as letter_service
from ..services.serialize import staff_may_see
from ..services.submissions import has_answer
from ..services.sweep import overdue_query
from ..views_common import beyond_last_page, local_path, page_arg
from . import bp
from .case_page import load_case
from .forms import LETTER_REASON_PUBLIC


def _letter_for_staff(letter_id: int):
    letter = letter_service.find_letter(letter_id)
    if letter is None or not staff_may_see(current_user, letter.feedback):
        abort(404)
    return letter


@bp.get("/phieu-xin-loi/<int:letter_id>.pdf")
@roles_required()
def letter_pdf(letter_id: int):
    letter = _letter_for_staff(letter_id)
    return send_file(BytesIO(render_letter_pdf(letter)), mimetype="application/pdf",
                     download_name=letter_filename(letter), as_attachment=False)


@bp.get("/ho-so/<code>/cong-van-chuyen.pdf")
@roles_required("office", "leader")
def transfer_letter_pdf(code: str):
    """The letter HCTH prints, has signed and sends with the PAKN to the agency it was transferred to."""
    case = load_case(code)
    transferred = cases.transfer_of(case)
    if transferred is None:
        abort(404)
    return send_file(BytesIO(render_transfer_pdf(case, transferred)), mimetype="application/pdf",
                     download_name=transfer_filename(case), as_attachment=False)


@bp.get("/ho-so/<code>/van-ban-tra-loi.pdf")
@roles_required("office", "leader")
def answer_letter_pdf(code: str):
    """The approved answer as the department's letter, which HCTH prints, has signed and posts to a sender
    it answers by post (the notice it owes them, services.citizen_notices)."""
    case = load_case(code)
    if not has_answer(case) or not case.answer_text:
        abort(404)
    return send_file(BytesIO(render_answer_pdf(case)), mimetype="application/pdf",
                     download_name=answer_filename(case), as_attachment=False)


@bp.post("/phieu-xin-loi/<int:letter_id>/ly-do")
@roles_required("office", "unit", "leader")
def letter_reason(letter_id: int):
    letter = _letter_for_staff(letter_id)
    typed = request.form.get("reason", "")
    try:
        letter_service.set_reason(letter, typed, current_user, shown=request.form.get("shown"))
    except letter_service.ReasonChanged:
        flash(_(letter_service.ReasonChanged.message, number=letter.reference, typed=typed.strip()), "error")
    except letter_service.LetterError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("Đã cập nhật lý do của phiếu %(number)s.", number=letter.reference), "success")
    return redirect(local_path(request.form.get("next")) or url_for("office.overdue"))


@bp.get("/qua-han")
@roles_required("office", "leader")
def overdue():
    page = db.paginate(overdue_query(CLOCK.today()), page=page_arg(), per_page=20,
                       error_out=False)
    if (moved := beyond_last_page(page)) is not None:
        return moved
    return render_template("office/overdue.html", page=page, office_name=accounts.office_name())


@bp.app_context_processor
def letter_helpers():
    """For templates/office/_letters.html: may the reason still change, and until when."""
    return {"letter_reason_editable": letter_service.reason_editable, "letter_grace_ends": letter_service.grace_ends,
            "letter_reason_public": LETTER_REASON_PUBLIC}
