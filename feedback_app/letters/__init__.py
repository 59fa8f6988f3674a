"""Documents sent to the citizen, rendered from HTML templates to PDF with WeasyPrint.

The apology letter follows TT 01/2018/TT-VPCP Mẫu 04 (phiếu xin lỗi và hẹn lại ngày trả kết quả):
number, date, addressee, the case, the due date missed, the reason, the new date, the signer's title,
under the national header. DejaVu fonts carry every Vietnamese diacritic; a character they lack in what
a citizen or an officer typed (an emoji, a pictograph, another script) is left out, not drawn as a box
(``feedback_app.pdf``, shared with the report's PDF). The public copy (published
on the status page, as the department's plan requires) has the citizen's personal data masked and
names the case by what HCTH reviewed for the public, never by the title the citizen wrote.
PDFs are rendered when asked for (a download, a mail leaving the outbox), never in the sweep.
"""
from __future__ import annotations

from datetime import date
from functools import partial

from flask import current_app, render_template

from workflows.clock import local_date

from .. import addressing
from ..models import CHANNEL_LABELS, ApologyLetter, Feedback, Transition
from ..pdf import font_dir as document_font_dir, html_to_pdf, in_fonts
from ..redaction import MASK
from ..services import publication
from ..services.files import reply_files
from ..services.submissions import display_name


def vn_date(day: date) -> str:
    """``ngày 05 tháng 3 năm 2024``, as Vietnamese administrative documents write dates (NĐ 30/2020/NĐ-CP,
    Phụ lục I: a day below 10 and the months 1 and 2 take a leading zero, so that none can be altered)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def letterhead_lines(name: str) -> list[str]:
    """The agency's name in capitals as a letterhead sets it (NĐ 30/2020/NĐ-CP, Phụ lục I): its
    province or city on a line of its own, so that a narrow column never breaks it inside a word pair
    ("CÔNG / NGHỆ")."""
    upper = name.upper()
    for place in (" TỈNH ", " THÀNH PHỐ "):
        head, found, tail = upper.partition(place)
        if found and head:
            return [head, found.strip() + " " + tail]
    return [upper]


def public_case_title(case: Feedback) -> str | None:
    """The case's title as the public copy names it: HCTH's reviewed public title once published;
    before (or without the citizen's consent) none, since the automatic masking of the citizen's own
    title was never reviewed (the letter then names the case by its code alone)."""
    if case.published_at is not None and case.public_title:
        return case.public_title
    return None


def letterhead() -> dict:
    """What every letter's layout (templates/letters/_letter.html) reads: the agency, the place, the
    signer and the fonts."""
    cfg = current_app.config
    return {"agency_parent": cfg["AGENCY_PARENT"], "agency_name": cfg["AGENCY_NAME"],
            "agency_lines": letterhead_lines(cfg["AGENCY_NAME"]), "signer_title": cfg["AGENCY_SIGNER_TITLE"],
            "place": cfg.get("AGENCY_PLACE", ""), "font_dir": document_font_dir()}


def letter_context(letter: ApologyLetter, public: bool = False) -> dict:
    case = letter.feedback
    head = letterhead()
    typed = partial(in_fonts, folder=head["font_dir"])  # what a citizen or an officer wrote

    return {
        **head,
        "letter": letter, "case": case, "public": public,
        "number": letter.reference, "issued": vn_date(letter.issued_on),
        # a letter HCTH entered may name nobody (NĐ 20/2008 Art 9.1: entered as it arrived)
        "addressee": MASK if public else (typed(case.submitter_name) or "Người gửi phản ánh, kiến nghị"),
        "address": MASK if public else typed(case.address),
        "contact": MASK if public else typed(" / ".join(filter(None, (case.phone, case.email)))),  # Mẫu 04: each
        "title": typed(public_case_title(case) if public else case.title),
        "received": case.received_at,
        "missed": letter.missed_due_date, "new_date": letter.new_due_date,
        "reason": typed(publication.proposal(case, letter.reason) if public else letter.reason),  # as on the page
        "signer_title": letter.signer_title,  # as the letter was signed, whatever the setting says now
    }


def render_letter_html(letter: ApologyLetter, public: bool = False) -> str:
    return render_template("letters/apology.html", **letter_context(letter, public))


def render_letter_pdf(letter: ApologyLetter, public: bool = False) -> bytes:
    return html_to_pdf(render_letter_html(letter, public))


def letter_filename(letter: ApologyLetter, public: bool = False) -> str:
    suffix = "-cong-khai" if public else ""
    return f"phieu-xin-loi-{letter.year}-{letter.number:03d}-{letter.feedback.code}{suffix}.pdf"


def transfer_context(case: Feedback, transferred: Transition) -> dict:
    """The official letter (công văn) that sends a PAKN outside the department's competence to the
    competent agency (NĐ 20/2008/NĐ-CP Art 9.1d): the sender, what they wrote and their files, as
    received. Its number is left for the clerk (văn thư), who registers the outgoing letter."""
    head = letterhead()
    typed = partial(in_fonts, folder=head["font_dir"])
    files = [display_name(a.original_name) for a in case.attachments if a.kind != "reply"]
    return {
        **head, "case": case, "number": "……", "issued": vn_date(local_date(transferred.at)),
        "recipient": typed(case.transferred_to), "sender": typed(case.submitter_name),
        "address": typed(case.address), "phone": typed(case.phone), "email": case.email,
        "channel": CHANNEL_LABELS.get(case.channel, case.channel),
        "title": typed(case.title), "content": typed(case.content), "files": [typed(f) for f in files],
    }


def render_transfer_pdf(case: Feedback, transferred: Transition) -> bytes:
    return html_to_pdf(render_template("letters/transfer.html", **transfer_context(case, transferred)))


def transfer_filename(case: Feedback) -> str:
    return f"cong-van-chuyen-{case.code}.pdf"


def answer_context(case: Feedback) -> dict:
    """The answer the citizen holds (``answer_text``, as approved) as the department's letter, dated the day
    it was approved and sent, for a sender answered by post (NĐ 20/2008 Art 14.2d: a written answer)."""
    head = letterhead()
    typed = partial(in_fonts, folder=head["font_dir"])
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        **head, "case": case, "number": "……", "issued": vn_date(local_date(case.answer_sent_at)),
        "addressee": typed(addressing.addressee(case.submitter_name)), "you": addressing.you(case.submitter_name),
        "address": typed(case.address), "title": typed(case.title), "answer": typed(case.answer_text),
        "unit": typed(case.unit.name) if case.unit else None, "lookup": f"{base}/tra-cuu",
        # the lookup asks for the code and the phone or e-mail given: without either, the letter offers the
        # department's phone and office instead, as the answer's mail and notice do (mail/answered.txt)
        "can_look_up": bool(case.phone or case.email), "agency_phone": current_app.config["AGENCY_PHONE"],
        "agency_address": typed(current_app.config["AGENCY_ADDRESS"]),
        "files": [typed(a.original_name) for a in reply_files(case)],
    }


def render_answer_pdf(case: Feedback) -> bytes:
    return html_to_pdf(render_template("letters/answer.html", **answer_context(case)))


def answer_filename(case: Feedback) -> str:
    return f"van-ban-tra-loi-{case.code}.pdf"
