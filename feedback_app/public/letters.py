"""The public copy of an apology letter (personal data masked), reached from the status page:
by the case's code and the letter's id together."""
from __future__ import annotations

from io import BytesIO

from flask import abort, send_file

from ..letters import letter_filename, render_letter_pdf
from ..services.letters import find_letter, is_public, public_letters
from . import bp
from .routes import code_rate_limit


@bp.get("/tra-cuu/<code>/phieu-xin-loi/<int:letter_id>.pdf")
@code_rate_limit
def letter_pdf(code: str, letter_id: int):
    letter = find_letter(letter_id, code=code)
    if letter is None or not is_public(letter):
        abort(404)
    return send_file(BytesIO(render_letter_pdf(letter, public=True)), mimetype="application/pdf",
                     download_name=letter_filename(letter, public=True), as_attachment=False)


@bp.context_processor
def letter_helpers():
    """For templates/public/_letters.html: the letters the public may read now."""
    return {"public_letters": public_letters}
