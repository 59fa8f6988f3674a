"""Publication of answered cases (NĐ 20/2008 Art 19; QĐ 31/2021 Art 46) with the citizen's personal
data masked. pakn proposes a masked copy; HCTH reviews it and what HCTH saves is the public copy:
what the public sees is exactly that stored copy."""
from __future__ import annotations

from flask import current_app

from workflows.lifecycle import N_, InvalidEventArguments

from ..models import Feedback
from ..redaction import redact, search_words
from .sequences import next_value


PUBLISHED_COUNTER = "published"  # services.sequences: the publication numbers (Feedback.published_seq)


def agency_details() -> list[str]:
    """The department's own contact details: published on every page, so never masked."""
    cfg = current_app.config
    return [cfg.get(k) for k in ("AGENCY_PHONE", "AGENCY_EMAIL", "AGENCY_ADDRESS", "AGENCY_POSTAL_ADDRESS")]


def proposal(case: Feedback, text: str | None) -> str:
    """pakn's automatic masking of ``text``: the first proposal HCTH reviews."""
    return redact(text or "", case.personal_data(), public=agency_details())


def preview(case: Feedback) -> dict[str, str]:
    """The public copy as it stands: HCTH's edited version if saved, else pakn's automatic masking."""
    return {
        "title": case.public_title if case.public_title is not None else proposal(case, case.title),
        "question": case.public_question if case.public_question is not None else proposal(case, case.content),
        "answer": case.public_answer if case.public_answer is not None else proposal(case, case.reply_text),
    }


TITLE_MAX = Feedback.public_title.type.length  # masking may lengthen a title ("An" → "[đã ẩn]")


def _check_copy(case: Feedback, texts: dict[str, str]) -> None:
    """A public copy without a title, question or answer is refused: the public page would show a
    heading with nothing under it. A title longer than its column is refused too, on every path (the
    form, "Lưu bản công khai", the API), not only where a form checks it."""
    blank = {k: N_("Trường này là bắt buộc.") for k, text in texts.items() if not (text or "").strip()}
    if blank:
        raise InvalidEventArguments("publish", case.state,
                                    N_("Bản công khai phải có tiêu đề, nội dung và câu trả lời."), blank)
    if len(texts["title"].strip()) > TITLE_MAX:
        message = N_("Tiêu đề công khai không được dài quá 300 ký tự.")  # TITLE_MAX, in words for the UI
        raise InvalidEventArguments("publish", case.state, message, {"title": message})


def save_preview(case: Feedback, title: str, question: str, answer: str) -> None:
    """Store HCTH's reviewed copy as HCTH wrote it: HCTH may un-mask what pakn only took for personal
    data (a decree's number, a title). The citizen's own name, phone, e-mail and address are still
    masked, so that no edit brings them back. Does not commit."""
    texts = {"title": title, "question": question, "answer": answer}
    known = case.personal_data()
    masked = {k: redact(text.strip(), known, only_known=True) for k, text in texts.items()}
    _check_copy(case, masked)  # what is stored: masking never blanks a text, but changes its length
    case.public_title, case.public_question, case.public_answer = masked["title"], masked["question"], masked["answer"]


def publish_texts(case: Feedback) -> None:
    """Freeze the public copy, give it the next publication number and index its folded words for
    diacritic-insensitive search (feedback_app/search_index.py). Does not commit."""
    texts = preview(case)
    _check_copy(case, texts)
    case.public_title, case.public_question, case.public_answer = texts["title"], texts["question"], texts["answer"]
    case.search_text = search_words(case.code, *texts.values())
    if case.published_seq is None:
        case.published_seq = next_value(PUBLISHED_COUNTER)
