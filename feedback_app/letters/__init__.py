"""Documents sent to the citizen, rendered from HTML templates to PDF with WeasyPrint.

The apology letter follows TT 01/2018/TT-VPCP Mẫu 04 (phiếu xin lỗi và hẹn lại ngày trả kết quả):
number, date, addressee, the case, the due date missed, the reason, the new date, the signer's title,
under the national header. DejaVu fonts carry every Vietnamese diacritic; a character they lack in what
a citizen or an officer typed (an emoji, a pictograph, another script) is left out, not drawn as a box. The public copy (published
on the status page, as the department's plan requires) has the citizen's personal data masked and
names the case by what HCTH reviewed for the public, never by the title the citizen wrote.
PDFs are rendered when asked for (a download, a mail leaving the outbox), never in the sweep.
"""
from __future__ import annotations

import functools
import unicodedata
from datetime import date
from pathlib import Path

from flask import current_app, render_template

from ..models import ApologyLetter, Feedback
from ..redaction import MASK
from ..services import publication

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# the faces templates/letters/apology.html declares: a character must be in all of them to be drawn
LETTER_FONTS = ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf")


@functools.lru_cache(maxsize=4)
def _drawable(font_dir: str) -> frozenset[int] | None:
    """The code points every face of the letter has a glyph for; None if a face cannot be read."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency
    try:
        faces = [set(TTFont(Path(font_dir) / name, lazy=True).getBestCmap()) for name in LETTER_FONTS]
    except Exception:  # noqa: BLE001 - a missing or unreadable font: nothing is left out
        return None
    return frozenset(set.intersection(*faces))


def in_letter_fonts(text: str | None, font_dir: str) -> str | None:
    """``text`` without the characters the letter's fonts lack: WeasyPrint would draw each as an empty
    box, or in another font picked by the system. Vietnamese typed with combining marks is composed
    first (every composed letter is in DejaVu); white space stays."""
    drawable = _drawable(font_dir)
    if not text or drawable is None:
        return text
    return "".join(c for c in unicodedata.normalize("NFC", text) if ord(c) in drawable or c.isspace())


def vn_date(day: date) -> str:
    """``ngày 05 tháng 3 năm 2024``, as Vietnamese administrative documents write dates (NĐ 30/2020/NĐ-CP,
    Phụ lục I: a day below 10 and the months 1 and 2 take a leading zero, so that none can be altered)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def public_case_title(case: Feedback) -> str | None:
    """The case's title as the public copy names it: HCTH's reviewed public title once published;
    before (or without the citizen's consent) none, since the automatic masking of the citizen's own
    title was never reviewed (the letter then names the case by its code alone)."""
    if case.published_at is not None and case.public_title:
        return case.public_title
    return None


def letter_context(letter: ApologyLetter, public: bool = False) -> dict:
    case = letter.feedback
    cfg = current_app.config
    font_dir = cfg.get("LETTER_FONT_DIR") or str(FONT_DIR)

    def typed(text: str | None) -> str | None:  # what a citizen or an officer wrote
        return in_letter_fonts(text, font_dir)

    return {
        "letter": letter, "case": case, "public": public,
        "number": letter.reference, "issued": vn_date(letter.issued_on),
        # a letter HCTH entered may name nobody (NĐ 20/2008 Art 9.1: entered as it arrived)
        "addressee": MASK if public else (typed(case.submitter_name) or "Người gửi phản ánh, kiến nghị"),
        "address": MASK if public else typed(case.address),
        "contact": MASK if public else typed(case.phone or case.email or ""),
        "title": typed(public_case_title(case) if public else case.title),
        "received": case.received_at,
        "missed": letter.missed_due_date, "new_date": letter.new_due_date,
        "reason": typed(publication.proposal(case, letter.reason) if public else letter.reason),  # as on the page
        "agency_parent": cfg["AGENCY_PARENT"], "agency_name": cfg["AGENCY_NAME"],
        "signer_title": letter.signer_title, "place": cfg.get("AGENCY_PLACE", ""),
        "font_dir": font_dir,
    }


def render_letter_html(letter: ApologyLetter, public: bool = False) -> str:
    return render_template("letters/apology.html", **letter_context(letter, public))


def render_letter_pdf(letter: ApologyLetter, public: bool = False) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is really wanted
    return HTML(string=render_letter_html(letter, public), base_url=str(FONT_DIR)).write_pdf()


def letter_filename(letter: ApologyLetter, public: bool = False) -> str:
    suffix = "-cong-khai" if public else ""
    return f"phieu-xin-loi-{letter.year}-{letter.number:03d}-{letter.feedback.code}{suffix}.pdf"
