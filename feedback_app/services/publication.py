"""Publication of answered cases (NĐ 20/2008 Art 19; QĐ 31/2021 Art 46) with the citizen's personal
data masked. HCTH reviews the preview; what the public sees is exactly the stored public copy."""
from __future__ import annotations

from ..models import Feedback
from ..redaction import redact
from ..text import search_document
from .sequences import next_value


PUBLISHED_COUNTER = "published"  # services.sequences: the publication numbers (Feedback.published_seq)


def preview(case: Feedback) -> dict[str, str]:
    """The public copy as it stands: HCTH's edited version if saved, else pakn's automatic masking."""
    known = case.personal_data()
    return {
        "title": case.public_title if case.public_title is not None else redact(case.title, known),
        "question": case.public_question if case.public_question is not None else redact(case.content, known),
        "answer": case.public_answer if case.public_answer is not None else redact(case.reply_text or "", known),
    }


def save_preview(case: Feedback, title: str, question: str, answer: str) -> None:
    """Store HCTH's reviewed copy; the automatic masking runs once more over it, so that an edit
    cannot bring personal data back. Does not commit."""
    known = case.personal_data()
    case.public_title = redact(title, known)
    case.public_question = redact(question, known)
    case.public_answer = redact(answer, known)


def publish_texts(case: Feedback) -> None:
    """Freeze the public copy, give it the next publication number and index its folded words for
    diacritic-insensitive search (feedback_app/search_index.py). Does not commit."""
    texts = preview(case)
    case.public_title, case.public_question, case.public_answer = texts["title"], texts["question"], texts["answer"]
    case.search_text = search_document(case.code, *texts.values())
    if case.published_seq is None:
        case.published_seq = next_value(PUBLISHED_COUNTER)
