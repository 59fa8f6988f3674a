"""What staff and citizens read instead of the stored codes: each audit row's event, the channel a case
came by, a user's role (views_common: one table each, shared by the staff pages and the public one)."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import CHANNELS, Feedback, Transition
from feedback_app.services.cases import receive
from feedback_app.services.sweep import sweep
from feedback_app.models import CHANNEL_LABELS
from feedback_app.views_common import AUDIT_EVENTS
from workflows.clock import parse_instant
from workflows.lifecycle import EVENTS

from deadline_helpers import SUBMISSION, forwarded_case, sign_in
from test_public_status import look_up, text_of

ROOT = Path(__file__).resolve().parent.parent
# How the services write an audit row: audit(case, "event", ...), _transition("event", ...), event="event".
WRITTEN = re.compile(r'(?:\baudit\(\s*\w+,\s*|_transition\(\s*|\bevent=)"(\w+)"')


def overdue_with_letter(seeded) -> Feedback:
    """Forwarded on 4 March, not answered by 25 March: the sweep marks it overdue and sends the letter."""
    case = forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    db.session.refresh(case)
    return case


def audit_entries(page: str) -> list[str]:
    return re.findall(r'<span class="event">([^<]*)</span>', page)


def test_every_audit_event_a_service_writes_has_a_label():
    written = {m for path in (ROOT / "feedback_app").rglob("*.py") for m in WRITTEN.findall(path.read_text("utf-8"))}
    assert {"receive", "overdue", "apology_letter", "escalated", "due_recomputed"} <= written  # the scan works
    assert not written - EVENTS.keys() - AUDIT_EVENTS.keys()


def test_the_audit_trail_names_each_event_on_the_office_and_the_unit_page(app, client, clock, seeded):
    case = overdue_with_letter(seeded)
    events = [t.event for t in case.transitions]
    assert events == ["receive", "classify", "forward", "overdue", "apology_letter"]
    expected = ["Tiếp nhận", "Phân loại, tiếp nhận", "Chuyển đơn vị xử lý", "Quá hạn",
                "Phiếu xin lỗi tự động, hẹn lại ngày trả lời"]
    for user, url in ((seeded["office"], f"/van-phong/ho-so/{case.code}"), (seeded["QLKH"], f"/don-vi/ho-so/{case.code}")):
        sign_in(client, user)
        page = client.get(url).get_data(as_text=True)
        trail = page[page.index('id="audit"'):]
        assert audit_entries(trail) == expected, url
        assert "<code>" not in trail
        for code in events:  # no raw event anywhere in the visible text of the trail
            assert not re.search(rf"\b{code}\b", text_of(trail)), (url, code)


def test_the_citizen_reads_the_overdue_mark_and_the_letter_in_words_not_an_update_twice(app, client, clock, seeded):
    case = overdue_with_letter(seeded)
    look_up(client, case.code, "0905123456")
    page = text_of(client.get(f"/tra-cuu/{case.code}").get_data(as_text=True))
    assert "Quá thời hạn xử lý" in page and "Gửi phiếu xin lỗi, hẹn lại ngày trả lời" in page
    assert "Cập nhật" not in page
    english = text_of(client.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True))
    assert "Past the time limit" in english and "Apology letter sent, with a new date for the answer" in english


def test_every_channel_has_a_label_and_the_case_page_shows_it(app, client, clock, seeded):
    assert CHANNEL_LABELS.keys() == set(CHANNELS)
    case = receive(SUBMISSION)
    case.channel = "email"
    db.session.commit()
    sign_in(client, seeded["office"])
    page = client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    assert "<dd>Thư điện tử</dd>" in page and "<dd>email</dd>" not in page


def test_the_users_list_and_the_user_form_name_roles_in_words(app, client, seeded):
    sign_in(client, seeded["admin"])
    listing = client.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    for label in ("Văn phòng (HCTH)", "Đơn vị xử lý", "Lãnh đạo", "Quản trị"):
        assert f"<td>{label}</td>" in listing
    assert not re.search(r"<td>(office|unit|leader|admin)</td>", listing)
    form = client.get(f"/quan-tri/nguoi-dung/{seeded['leader'].id}").get_data(as_text=True)
    assert 'value="leader">Lãnh đạo</option>' in form and 'value="unit">Đơn vị xử lý</option>' in form


def test_a_stored_event_without_a_label_reads_as_an_update_not_as_its_code(app, client, clock, seeded):
    case = receive(SUBMISSION)
    db.session.add(Transition(feedback=case, event="imported", from_state=case.state, to_state=case.state,
                              actor_label="Hệ thống", at=case.received_at, public=True))
    db.session.commit()
    sign_in(client, seeded["office"])
    page = client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    assert audit_entries(page) == ["Tiếp nhận", "Cập nhật"]
    assert db.session.execute(select(Transition.event).where(Transition.feedback_id == case.id)).scalars().all() \
        == ["receive", "imported"]
