"""Vietnamese typed with combining marks (NFD: Unikey's "Unicode tổ hợp", text pasted from some PDFs)
is the same Vietnamese: pakn reads every input in NFC (feedback_app/request_text.py), so the portal, the
API and the masking of a published answer treat it as the composed text it reads as."""
from __future__ import annotations

import unicodedata

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.redaction import MASK, redact
from tests.test_api_public import BODY
from tests.test_public_submit import VALID, post


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text  # the test means something only if the text has marks to split
    return decomposed


def test_the_portal_takes_vietnamese_typed_with_combining_marks_and_stores_it_composed(client, clock):
    response = post(client, full_name=nfd("Lê Thị Hoà"), title=nfd(VALID["title"]), content=nfd(VALID["content"]))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    case = db.session.execute(select(Feedback)).scalar_one()
    assert (case.submitter_name, case.title, case.content) == ("Lê Thị Hoà", VALID["title"], VALID["content"])
    assert all(unicodedata.is_normalized("NFC", v) for v in (case.submitter_name, case.title, case.content))


def test_the_api_takes_it_too(client, clock):
    body = {**BODY, "full_name": nfd("Lê Thị Hoà"), "content": nfd(BODY["content"])}
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.get_json()
    case = db.session.execute(select(Feedback)).scalar_one()
    assert (case.submitter_name, case.content) == ("Lê Thị Hoà", BODY["content"])


def test_a_name_stored_decomposed_is_still_masked_in_a_composed_text_and_the_other_way_round():
    text = "Tôi là Lê Thị Hoà, ở số 8 Phan Đình Phùng. Chị Hoà xin cảm ơn."
    for name, body in ((nfd("Lê Thị Hoà"), text), ("Lê Thị Hoà", nfd(text))):
        masked = redact(body, [name], only_known=True)
        assert "Hoà" not in unicodedata.normalize("NFC", masked) and masked.count(MASK) == 2, masked
