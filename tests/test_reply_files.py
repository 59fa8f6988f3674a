"""The files a unit attaches to its answer reach the citizen: attached to the answer's mail (within
MAIL_MAX_ATTACHMENT_BYTES, else named in it) and offered on the status page to the browser that looked
the case up, but only once the answer was approved and sent."""
from __future__ import annotations

import io
import re

from werkzeug.datastructures import FileStorage

from feedback_app.extensions import db
from feedback_app.models import Attachment
from feedback_app.services import files, outbox, staff
from feedback_app.services.cases import apply_event, receive
from tests.test_public_status import SUBMISSION, look_up

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" * 2000
ODT = b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.text" + b"\x00" * 100


def drafted_with_files(seeded):
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    files = [FileStorage(io.BytesIO(PDF), "Công văn trả lời số 12.pdf", content_type="application/pdf")]
    staff.submit_draft(case, seeded["QLCN"], "Lớp tập huấn không thu học phí (công văn kèm theo).", files, case.version)
    return case


def test_the_answer_mail_carries_the_units_files(app, clock, seeded, smtp):
    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    assert outbox.flush().failed == 0
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "Trả lời" in m["Subject"]]
    parts = [p for p in mail.walk() if p.get_filename()]
    assert [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts] == [
        ("Công văn trả lời số 12.pdf", "application/pdf", PDF)]
    body = mail.get_body(("plain",)).get_content()
    assert "Tài liệu kèm theo câu trả lời (đính kèm thư này):" in body and "- Công văn trả lời số 12.pdf" in body


def test_files_too_big_for_a_mailbox_are_named_and_left_on_the_status_page(app, clock, seeded, smtp):
    app.config["MAIL_MAX_ATTACHMENT_BYTES"] = 1000
    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    outbox.flush()
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "Trả lời" in m["Subject"]]
    assert not [p for p in mail.walk() if p.get_filename()]
    body = mail.get_body(("plain",)).get_content()
    assert "- Công văn trả lời số 12.pdf" in body and "tải các tài liệu này tại trang tra cứu" in body


def test_the_status_page_offers_the_files_only_after_approval_and_only_to_the_citizen(app, client, clock, seeded):
    case = drafted_with_files(seeded)
    (reply,) = [a for a in case.attachments if a.kind == "reply"]
    url = f"/tra-cuu/{case.code}/tai-lieu/{reply.id}"
    look_up(client, case.code, "0905123456")
    assert "reply-files" not in client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert client.get(url).status_code == 404  # a draft's file is not the answer yet

    apply_event(case, "approve", seeded["leader"])
    page = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    assert f'href="{url}"' in page and "Công văn trả lời số 12.pdf" in page
    download = client.get(url)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]

    # the citizen's own submission files do not come out through this door, nor does a stranger get in
    mine = Attachment(feedback=case, kind="submission", original_name="x.pdf", stored_name="x.pdf",
                      content_type="application/pdf", size=3)
    db.session.add(mine)
    db.session.commit()
    assert client.get(f"/tra-cuu/{case.code}/tai-lieu/{mine.id}").status_code == 404
    stranger = app.test_client()
    assert stranger.get(url).status_code == 404


def test_a_missing_file_holds_the_mail_back_until_it_is_there_again(app, clock, seeded, smtp):
    """The answer's mail is not sent without its file: it is retried (and in the end marked failed,
    for the admin to see), and goes out whole once the file is back."""
    from datetime import timedelta

    from workflows.clock import CLOCK

    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    (reply,) = [a for a in case.attachments if a.kind == "reply"]
    path = files.attachment_path(reply)
    hidden = path.with_suffix(".away")
    path.rename(hidden)
    first = outbox.flush()
    assert first.retried == 1 and any("answered:" in e for e in first.errors)
    assert not [m for m in smtp.inbox.messages if "Trả lời" in m["Subject"]]
    hidden.rename(path)
    clock.set(CLOCK.now() + timedelta(hours=1))  # past the backoff
    assert outbox.flush().sent == 1
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "Trả lời" in m["Subject"]]
    assert [p.get_payload(decode=True) for p in mail.walk() if p.get_filename()] == [PDF]


def test_a_units_file_is_judged_by_its_content_never_by_its_name_or_the_browsers_word(app, clock, seeded):
    import pytest
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    page = FileStorage(io.BytesIO(b"<html><script>alert(1)</script></html>"), "bien-ban.docx", content_type="text/html")
    with pytest.raises(staff.StaffInputError) as refused:
        staff.save_draft(case, seeded["QLCN"], "Dự thảo trả lời.", [page], case.version)
    assert refused.value.field == "attachments" and "bien-ban.docx" in refused.value.message
    db.session.rollback()
    assert db.session.query(Attachment).count() == 0
    pdf = FileStorage(io.BytesIO(PDF), "cong-van.pdf", content_type="text/html")  # the browser's word is wrong
    staff.save_draft(case, seeded["QLCN"], "Dự thảo trả lời.", [pdf], case.version)
    (stored,) = db.session.query(Attachment).all()
    assert (stored.original_name, stored.content_type) == ("cong-van.pdf", "application/pdf")


def test_a_unit_takes_a_wrong_file_off_its_draft_but_never_one_the_citizen_holds(app, client, clock, seeded):
    from feedback_app.models import Feedback
    from tests.test_office import login
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    wrong = FileStorage(io.BytesIO(PDF), "ho-so-nguoi-khac.pdf", content_type="application/pdf")
    right = FileStorage(io.BytesIO(PDF), "cong-van-tra-loi.pdf", content_type="application/pdf")
    staff.save_draft(case, seeded["QLCN"], "Dự thảo trả lời.", [wrong, right], case.version)
    by_name = {a.original_name: a for a in case.attachments}
    wrong_path = files.attachment_path(by_name["ho-so-nguoi-khac.pdf"])
    assert wrong_path.is_file()

    login(client, seeded["QLCN"])
    page = client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True)
    assert page.count("Xóa khỏi dự thảo") == 2
    url = f"/don-vi/ho-so/{case.code}/du-thao/tep/{by_name['ho-so-nguoi-khac.pdf'].id}/xoa"
    other = app.test_client()
    login(other, seeded["QLKH"])  # another unit: the case is not its own
    assert other.post(url, data={"version": case.version}).status_code == 404
    version = case.version
    done = client.post(url, data={"version": version}, follow_redirects=True)
    assert "Đã xóa tệp ho-so-nguoi-khac.pdf khỏi dự thảo." in done.get_data(as_text=True)
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert [a.original_name for a in case.attachments] == ["cong-van-tra-loi.pdf"]
    assert wrong_path.exists()  # the file stays until no backup can still name it (services.staff)
    assert case.version == version + 1  # a form from before the removal is stale now
    right_id = case.attachments[0].id
    stale = client.post(f"/don-vi/ho-so/{case.code}/du-thao/tep/{right_id}/xoa", data={"version": version},
                        follow_redirects=True)
    assert "cong-van-tra-loi.pdf" in [a.original_name for a in db.session.get(Feedback, case.id).attachments]
    assert stale.status_code == 200

    # the answer goes out with its file; HCTH returns it for revision: that file stays, the citizen holds it
    apply_event(case, "submit_draft", seeded["QLCN"], {"reply": "Trả lời: thời hạn là 10 ngày."})
    apply_event(case, "approve", seeded["leader"])
    apply_event(case, "return_answer", seeded["office"], {"reason": "Chưa nêu căn cứ pháp lý."})
    sent = case.attachments[0]
    page = client.get(f"/don-vi/ho-so/{case.code}").get_data(as_text=True)
    assert "Xóa khỏi dự thảo" not in page
    refused = client.post(f"/don-vi/ho-so/{case.code}/du-thao/tep/{sent.id}/xoa", data={"version": case.version},
                          follow_redirects=True)
    assert "đã gửi cho người dân cùng câu trả lời" in refused.get_data(as_text=True)
    assert db.session.get(Attachment, sent.id) is not None and files.attachment_path(sent).is_file()


def test_a_revisions_draft_file_is_not_sent_even_when_the_clock_stands_still(app, clock, seeded):
    """What the citizen holds is recorded by the approval that mailed it, not guessed from the time a file
    was added: under a frozen clock (PAKN_NOW) a revision's draft file has the answer's very timestamp."""
    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    (sent,) = [a for a in case.attachments if a.kind == "reply"]
    assert sent.sent_at == clock.now() and files.reply_files(case) == [sent]
    apply_event(case, "return_answer", seeded["office"], {"reason": "Chưa nêu căn cứ pháp lý."})
    later = FileStorage(io.BytesIO(PDF), "phu-luc-moi.pdf", content_type="application/pdf")
    staff.save_draft(case, seeded["QLCN"], "Dự thảo mới.", [later], case.version)  # the same instant
    assert [a.original_name for a in files.reply_files(case)] == ["Công văn trả lời số 12.pdf"]
    assert [a.original_name for a in staff.removable_draft_files(case)] == ["phu-luc-moi.pdf"]
    apply_event(case, "submit_draft", seeded["QLCN"], {"reply": "Câu trả lời đã hoàn thiện."})
    apply_event(case, "approve", seeded["leader"])
    assert sorted(a.original_name for a in files.reply_files(case)) == ["Công văn trả lời số 12.pdf", "phu-luc-moi.pdf"]


def test_a_downloaded_files_ascii_name_keeps_d_for_the_vietnamese_d(app, client, clock, seeded):
    """Beside ``filename*=`` (UTF-8), old clients read ``filename=``: Werkzeug's NFKD fallback dropped
    Đ/đ, which do not decompose ("Đơn đề nghị" came as "on e nghi")."""
    from deadline_helpers import sign_in
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    named = [FileStorage(io.BytesIO(PDF), "Đơn đề nghị ĐÍNH CHÍNH.pdf", content_type="application/pdf")]
    staff.submit_draft(case, seeded["QLCN"], "Lớp tập huấn không thu học phí (công văn kèm theo).", named,
                       case.version)
    apply_event(case, "approve", seeded["leader"])
    (reply,) = [a for a in case.attachments if a.kind == "reply"]
    expected = ("attachment; filename=\"Don de nghi DINH CHINH.pdf\"; "
                "filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B%20%C4%90%C3%8DNH%20CH%C3%8DNH.pdf")
    look_up(client, case.code, "0905123456")
    download = client.get(f"/tra-cuu/{case.code}/tai-lieu/{reply.id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"] == expected
    sign_in(client, seeded["office"])
    download = client.get(f"/van-phong/tep/{reply.id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"] == expected


def test_files_sent_with_a_draft_that_comes_back_are_kept_in_the_draft(app, client, clock, seeded):
    """A reply too short sends the form back: the file chosen with it is kept in the draft, not lost,
    and the draft goes for review with it once the reply is written out."""
    from feedback_app.models import Feedback
    from tests.test_office import login
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "SHTT"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLCN"})
    login(client, seeded["QLCN"])
    url = f"/don-vi/ho-so/{case.code}/su-kien/submit_draft"
    before = case.version
    for version in ({}, {"submit_draft-version": "abc"}):  # a page without its version keeps nothing
        broken = client.post(url, data={"submit_draft-reply": "ngắn", **version,
                                        "submit_draft-attachments": (io.BytesIO(PDF), "Công văn 12.pdf")},
                             content_type="multipart/form-data")
        assert broken.status_code == 422 and "đã được lưu vào dự thảo" not in broken.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Feedback, case.id).attachments == []
    short = client.post(url, data={"submit_draft-reply": "ngắn", "submit_draft-version": before,
                                   "submit_draft-attachments": (io.BytesIO(PDF), "Công văn 12.pdf")},
                        content_type="multipart/form-data")
    html = short.get_data(as_text=True)
    assert short.status_code == 422 and "Tệp vừa chọn đã được lưu vào dự thảo, không cần chọn lại." in html
    typed = re.search(r'<textarea[^>]*name="submit_draft-reply"[^>]*>\s*ngắn</textarea>', html)
    assert typed and "Xóa khỏi dự thảo" in html  # what was typed, and the file kept
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.state == "forwarded" and [a.original_name for a in case.attachments] == ["Công văn 12.pdf"]
    version = int(re.search(r'name="submit_draft-version"[^>]*value="(\d+)"', html).group(1))
    assert version == case.version == before + 1  # the form follows the save: sending it is not refused as stale
    sent = client.post(url, data={"submit_draft-reply": "Trả lời: lớp tập huấn không thu học phí.",
                                  "submit_draft-version": version})
    assert sent.status_code == 302
    db.session.expire_all()
    case = db.session.get(Feedback, case.id)
    assert case.state == "under_review" and [a.original_name for a in case.attachments] == ["Công văn 12.pdf"]
