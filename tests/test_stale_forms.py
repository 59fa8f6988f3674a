"""A form sent from a page older than another change to the case (a second tab, a colleague, the sweep)
keeps what was typed: the page comes back (409) with the case as it is now and the form as sent, at the
newer version, so that sending it again applies it; a form the case no longer offers asks to reload."""
from __future__ import annotations

import html
import re

from feedback_app.services import staff
from feedback_app.services.cases import apply_event, receive

from deadline_helpers import SUBMISSION, forwarded_case, sign_in
from test_return_answer import page_of, stored

REPLY = ("Kính gửi Ông/Bà, thủ tục cấp giấy chứng nhận được giải quyết trong 15 ngày làm việc kể từ ngày nhận đủ "
         "hồ sơ hợp lệ (Quyết định 1234/QĐ-UBND ngày 02/01/2024). Trân trọng.")


def form_data(page: str, event: str) -> dict:
    """The fields of the event's form on ``page``, as the browser would send them untouched."""
    form = re.search(rf'<form[^>]*id="form-{event}".*?</form>', page, re.S)
    assert form is not None, f"no {event} form"
    data = {n: html.unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(0))}
    data.update({n: html.unescape(v) for n, v in
                 re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', form.group(0), re.S)})
    return data


def test_a_reply_sent_after_another_change_comes_back_typed_and_goes_when_sent_again(app, client, clock, seeded):
    app.config["WTF_CSRF_ENABLED"] = True
    case = forwarded_case(seeded)
    unit = seeded["QLKH"]
    sign_in(client, unit)
    tab_b = form_data(page_of(client, f"/don-vi/ho-so/{case.code}"), "submit_draft")
    staff.save_draft(case, unit, "Bản nháp của đồng nghiệp.", [], case.version)  # tab A, meanwhile
    newer = stored(case).version

    url = f"/don-vi/ho-so/{case.code}/su-kien/submit_draft"
    response = client.post(url, data={**tab_b, "submit_draft-reply": REPLY}, content_type="multipart/form-data")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Nội dung bạn vừa nhập vẫn còn trong biểu mẫu" in page
    summary = re.search(r'<div class="flash error" role="alert" id="form-errors"[^>]*autofocus>(.*?)</div>', page, re.S)
    assert summary and "tệp đính kèm, nếu có, cần chọn lại" in summary.group(1)  # said where the focus goes
    assert re.search(r'<form[^>]*id="form-submit_draft"[^>]*data-dirty', page, re.S)  # leaving it asks first
    again = form_data(page, "submit_draft")
    assert again["submit_draft-reply"] == REPLY and again["submit_draft-version"] == str(newer)
    assert stored(case).state == "forwarded" and stored(case).reply_text == "Bản nháp của đồng nghiệp."

    assert client.post(url, data=again, content_type="multipart/form-data").status_code == 302
    assert (stored(case).state, stored(case).reply_text) == ("under_review", REPLY)


def test_a_form_the_case_no_longer_offers_asks_to_reload(app, client, clock, seeded):
    case = receive(SUBMISSION)
    sign_in(client, seeded["office"])
    read = form_data(page_of(client, f"/van-phong/ho-so/{case.code}"), "request_info")
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})  # a colleague classified it
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/request_info",
                           data={**read, "request_info-missing": "Bản chụp giấy tờ liên quan đến thủ tục"})
    assert response.status_code == 302
    assert stored(case).state == "classified" and stored(case).info_requested is None
    assert "Vui lòng tải lại trang và thử lại" in page_of(client, f"/van-phong/ho-so/{case.code}")


def test_the_publish_form_is_not_kept_its_untouched_copy_would_undo_the_newer_answer(app, client, clock, seeded):
    """HCTH opened the publish form; the answer was then returned, revised and approved again. Kept and
    sent again, the form's copy of the old answer (with the officer's phone the return removed) would be
    published: it asks to reload instead."""
    from test_return_answer import CONSENTING, FIRST, REASON, REVISED
    case = forwarded_case(seeded, submission=CONSENTING)
    staff.submit_draft(case, seeded["QLKH"], FIRST, [], case.version)
    apply_event(case, "approve", seeded["leader"])
    sign_in(client, seeded["office"])
    read = form_data(page_of(client, f"/van-phong/ho-so/{case.code}"), "publish")
    assert "0905 111 222" in read["publish-answer"] or "[đã ẩn]" in read["publish-answer"]
    apply_event(stored(case), "return_answer", seeded["office"], {"reason": REASON})
    staff.submit_draft(stored(case), seeded["QLKH"], REVISED, [], stored(case).version)
    apply_event(stored(case), "approve", seeded["leader"])
    response = client.post(f"/van-phong/ho-so/{case.code}/su-kien/publish", data=read,
                           content_type="multipart/form-data")
    assert response.status_code == 302 and stored(case).state == "answered"
    page = page_of(client, f"/van-phong/ho-so/{case.code}")
    assert "Vui lòng tải lại trang và thử lại" in page
    assert form_data(page, "publish")["publish-answer"] != read["publish-answer"]  # the newer answer's copy


def test_a_form_sent_to_a_case_a_colleague_returned_to_hcth_is_told_so_not_found(app, client, clock, seeded):
    case = forwarded_case(seeded)
    sign_in(client, seeded["QLKH"])
    tab_b = form_data(page_of(client, f"/don-vi/ho-so/{case.code}"), "submit_draft")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc lĩnh vực của phòng"})
    response = client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft",
                           data={**tab_b, "submit_draft-reply": REPLY}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and f"{case.code} đã được đơn vị trả lại Văn phòng" in page
    assert re.search(r'<textarea readonly[^>]*>\s*' + re.escape(html.escape(REPLY, quote=False)), page)  # never lost
    assert stored(case).reply_text is None
    response = client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft", data=tab_b)  # nothing typed
    assert response.status_code == 302 and response.headers["Location"].endswith("/don-vi/")
    assert f"{case.code} đã được đơn vị trả lại Văn phòng" in page_of(client, "/don-vi/")
    sign_in(client, seeded["QLCN"])  # another unit still learns nothing of it
    assert client.post(f"/don-vi/ho-so/{case.code}/su-kien/submit_draft", data=tab_b).status_code == 404
    assert client.get(f"/don-vi/ho-so/{case.code}").status_code == 404
