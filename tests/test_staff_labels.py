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
    assert "Quá thời hạn xử lý" in page and "Gửi phiếu xin lỗi" not in page  # its mail has not left
    clock.set("2024-03-26T11:30:00+07:00")  # it leaves: the letter and its step are there
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


def test_english_pages_name_the_sender_and_the_system_and_the_legal_basis_of_a_refusal_in_english(
        app, client, clock, seeded):
    from feedback_app.services.cases import apply_event
    late = overdue_with_letter(seeded)
    refused = receive(SUBMISSION)
    apply_event(refused, "refuse", seeded["office"], {"reason": "complaint_or_denunciation"})
    sign_in(client, seeded["office"])
    client.get("/van-phong/?lang=en")
    trail = text_of(client.get(f"/van-phong/ho-so/{late.code}").get_data(as_text=True).split('id="audit"')[1])
    assert "· Sender ·" in trail and "· System ·" in trail and f"· {seeded['office'].full_name} ·" in trail
    assert "Người gửi" not in trail and "Hệ thống" not in trail
    # the notes are the register's own words, in Vietnamese: marked so, for a screen reader on an English page
    html = client.get(f"/van-phong/ho-so/{late.code}").get_data(as_text=True).split('id="audit"')[1]
    assert re.search(r'<span class="small" lang="vi">Phiếu xin lỗi tự động số', html)
    page = text_of(client.get(f"/van-phong/ho-so/{refused.code}").get_data(as_text=True))
    assert "It is a complaint or a denunciation (Decree 20/2008/NĐ-CP, Art 1)" in page
    fresh = receive(SUBMISSION)
    page = text_of(client.get(f"/van-phong/ho-so/{fresh.code}").get_data(as_text=True))
    assert "(Decree 20/2008/NĐ-CP, Art 7.1):" in page and "(Decree 20/2008/NĐ-CP, Art 7.1)</option>" in \
        client.get(f"/van-phong/ho-so/{fresh.code}").get_data(as_text=True)  # the refusal form's reasons
    public = app.test_client()
    look_up(public, refused.code, "0905123456")
    status = text_of(public.get(f"/tra-cuu/{refused.code}?lang=en").get_data(as_text=True))
    assert "It is a complaint or a denunciation (Decree 20/2008/NĐ-CP, Art 1)." in status and "Điều 1" not in status
    client.get("/van-phong/?lang=vi")
    assert "(NĐ 20/2008/NĐ-CP, Điều 7.1):" in text_of(client.get(f"/van-phong/ho-so/{fresh.code}").get_data(as_text=True))


def test_the_report_page_in_english_has_english_headings_and_the_sheet_stays_vietnamese(app, client, clock, seeded):
    import io
    from openpyxl import load_workbook
    clock.set("2024-06-17T09:00:00+07:00")  # 2024-Q2 is over: a period not begun has no report to read
    sign_in(client, seeded["office"])
    page = text_of(client.get("/van-phong/bao-cao?period=2024-Q2&lang=en").get_data(as_text=True))
    for english in ("REPORT ON THE RECEIPT AND HANDLING OF FEEDBACK AND PETITIONS",
                    "Reporting period: quarter II of 2024, from 15/03/2024 to 14/06/2024", "Feedback received", "Carried over",
                    "Received in the period", "Online", "Other channels", "Answered", "Early", "On time", "Pending",
                    "Within the deadline", "Apology letters", "Satisfaction", "Ratings"):
        assert english in page, english
    for vietnamese in ("BÁO CÁO", "Kỳ báo cáo quý II năm 2024", "Số PAKN tiếp nhận", "Trực tuyến", "Đang giải quyết"):
        assert vietnamese not in page, vietnamese
    sheet = load_workbook(io.BytesIO(client.get("/van-phong/bao-cao?period=2024-Q2&format=xlsx").data)).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert "BÁO CÁO KẾT QUẢ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ" in cells and "Số PAKN tiếp nhận" in cells
    assert "Kỳ báo cáo quý II năm 2024: từ ngày 15/03/2024 đến ngày 14/06/2024" in cells


def test_every_string_marked_for_translation_has_an_english_translation():
    """Extract what the code and the templates mark (as babel.cfg does) and look each msgid up in the
    English catalogues: a string marked but not translated shows in Vietnamese on an English page."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None, "lazy_gettext": None,
                "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
    translated = set()
    for po in ROOT.glob("translations/*/en/LC_MESSAGES/messages.po"):
        translated |= {(m.context, m.id if isinstance(m.id, str) else m.id[0])
                       for m in read_po(po.open("rb")) if m.id and m.string}
    missing = []
    for folder in ("feedback_app", "workflows", "templates"):
        for filename, _line, message, _comments, context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python"), ("**.html", "jinja2")],
                options_map={"**.html": {"extensions": "jinja2.ext.do"}}, keywords=keywords):
            msgid = message if isinstance(message, str) else message[0]
            if msgid and (context, msgid) not in translated:
                missing.append(f"{folder}/{filename}: {msgid}")
    assert not missing, "\n".join(missing)


def test_no_string_is_translated_in_two_catalogues():
    """Flask-Babel merges the catalogues and the first that has a msgid wins on every page: a string kept
    in two areas with two translations ("Đơn vị xử lý": "Handling unit" and "Handled by") reads one way
    everywhere, whichever it is. A string two areas share lives once, in translations/common."""
    from collections import defaultdict
    from babel.messages.pofile import read_po
    areas = defaultdict(list)
    for po in sorted(ROOT.glob("translations/*/en/LC_MESSAGES/messages.po")):
        for m in read_po(po.open("rb")):
            if m.id:
                areas[(m.context, m.id if isinstance(m.id, str) else m.id[0])].append(po.parts[-4])
    assert not {key: found for key, found in areas.items() if len(found) > 1}
