"""An apology letter as a PDF: the public copy (personal data masked), by the case's code and the letter's
id together; and the citizen's own copy, addressed to them, for the browser that looked the case up with
its contact (or sent it), the one the status page links: a sender without an e-mail address gets the
letter no other way."""
from __future__ import annotations

from io import BytesIO

from flask import abort, send_file

from ..letters import letter_filename, render_letter_pdf
from ..services.letters import find_letter, is_public, public_letters
from . import bp
from .routes import code_rate_limit, own_case


@bp.get("/tra-cuu/<code>/phieu-xin-loi/<int:letter_id>.pdf")
@code_rate_limit
def letter_pdf(code: str, letter_id: int):
    letter = find_letter(letter_id, code=code)
    if letter is None or not is_public(letter):
        abort(404)
    return send_file(BytesIO(render_letter_pdf(letter, public=True)), mimetype="application/pdf",
                     download_name=letter_filename(letter, public=True), as_attachment=False)


@bp.get("/tra-cuu/<code>/phieu-xin-loi/<int:letter_id>/ban-cua-nguoi-gui.pdf")
def own_letter_pdf(code: str, letter_id: int):
    case = own_case(code)
    letter = find_letter(letter_id, code=case.code)
    if letter is None or not is_public(letter):
        abort(404)
    return send_file(BytesIO(render_letter_pdf(letter)), mimetype="application/pdf",
                     download_name=letter_filename(letter), as_attachment=False, max_age=0)


@bp.context_processor
def letter_helpers():
    """For templates/public/_letters.html: the letters the public may read now."""
    return {"public_letters": public_letters}
