"""HCTH files a finished case in the department's records (NĐ 20/2008 Art 9.1, 14.2e; brief §4 LUU_TRU)
through the lifecycle's ``archive``: the queue of finished cases not yet filed, the case page's form with
its CSRF token, the file's reference kept on the case and in the staff trail, never a step the citizen
follows, once only, and not while an answer waits for publication. A filed published case stays public."""
from __future__ import annotations

import html
import re
from dataclasses import replace

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Transition
from feedback_app.services.cases import apply_event, receive

from deadline_helpers import SUBMISSION, forwarded_case, sign_in
from test_return_answer import act, page_of, stored, under_review


def test_hcth_files_a_finished_case_once_and_the_citizen_does_not_see_the_step(app, client, clock, seeded):
    app.config["WTF_CSRF_ENABLED"] = True
    refused = receive(SUBMISSION)
    apply_event(refused, "refuse", seeded["office"], {"reason": "unclear_content"})
    still_open = forwarded_case(seeded)
    sign_in(client, seeded["office"])
    waiting = html.unescape(page_of(client, "/van-phong/?tab=to_archive"))
    assert refused.code in waiting and still_open.code not in waiting and "Chờ lưu trữ" in waiting
    # a finished case has no deadline left: the list says when it ended (the refusal, Monday 4 March)
    row = re.search(rf"<tr[^>]*>\s*(?:<td><input[^>]*></td>\s*)?<td><a [^>]*>{refused.code}</a>.*?</tr>", waiting,
                    re.S).group(0)
    assert "Kết thúc ngày" in waiting and "Thời gian còn lại" not in waiting and "04/03/2024" in row

    empty = act(client, "van-phong", refused, "archive", reference="  ")
    assert empty.status_code == 422 and stored(refused).archived_at is None
    clock.set("2024-03-06T10:00:00+07:00")
    assert act(client, "van-phong", refused, "archive", reference="12/PAKN-2024", note="Hộp số 3").status_code == 302
    case = stored(refused)
    assert (case.state, case.archive_ref) == ("refused", "12/PAKN-2024") and case.archived_at == clock.now()
    row = db.session.execute(select(Transition).where(Transition.event == "archive")).scalar_one()
    assert row.public is False and row.note == "12/PAKN-2024; Hộp số 3"
    from feedback_app.services.serialize import staff_case
    assert staff_case(case)["archive_ref"] == "12/PAKN-2024" and staff_case(case)["archived_at"]  # the staff API
    page = html.unescape(page_of(client, f"/van-phong/ho-so/{refused.code}"))
    assert "Hồ sơ số 12/PAKN-2024, ngày 06/03/2024" in page and 'id="form-archive"' not in page
    assert refused.code not in page_of(client, "/van-phong/?tab=to_archive")
    closed = html.unescape(page_of(client, "/van-phong/?tab=closed"))
    assert refused.code in closed and "Đã lưu trữ" in closed
    english = page_of(client, f"/van-phong/ho-so/{refused.code}?lang=en")
    assert "File 12/PAKN-2024, on 06/03/2024" in english

    # the citizen's history has no such step
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/tra-cuu", data={"code": refused.code, "contact": SUBMISSION.phone}).status_code == 303
    status = html.unescape(client.get(f"/tra-cuu/{refused.code}").get_data(as_text=True))
    assert "lưu trữ" not in status.lower() and "12/PAKN-2024" not in status


def test_an_answer_waiting_for_publication_is_filed_only_once_published_and_stays_public(
        app, client, clock, seeded):
    app.config["WTF_CSRF_ENABLED"] = True
    case = under_review(seeded)
    apply_event(case, "approve", seeded["leader"])
    sign_in(client, seeded["office"])
    assert 'id="form-archive"' not in page_of(client, f"/van-phong/ho-so/{case.code}")
    assert case.code not in page_of(client, "/van-phong/?tab=to_archive")
    apply_event(stored(case), "publish", seeded["office"])
    assert act(client, "van-phong", case, "archive", reference="13/PAKN-2024").status_code == 302
    assert stored(case).state == "published"
    assert case.code in page_of(client, "/cong-khai")  # filed, still public

    # an answer without consent to publish is finished once sent: filed at once; the leader may not
    private = forwarded_case(seeded, submission=replace(SUBMISSION, consent_publish=False))
    from feedback_app.services import staff
    staff.submit_draft(private, seeded["QLKH"], "Thời hạn giải quyết là 30 ngày làm việc.", [], private.version)
    apply_event(stored(private), "approve", seeded["leader"])
    assert private.code in page_of(client, "/van-phong/?tab=to_archive")
    sign_in(client, seeded["leader"])
    assert 'id="form-archive"' not in page_of(client, f"/van-phong/ho-so/{private.code}")


def test_a_case_is_filed_only_once_the_citizen_without_e_mail_was_told(app, client, clock, seeded):
    from feedback_app.services import citizen_notices
    from workflows.lifecycle import TransitionNotAllowed
    import pytest
    office = seeded["office"]
    case = receive(replace(SUBMISSION, email=None, channel="post"), actor=office)  # a letter HCTH entered
    apply_event(case, "refuse", office, {"reason": "unclear_content"})
    with pytest.raises(TransitionNotAllowed) as early:
        apply_event(stored(case), "archive", office, {"reference": "15/PAKN-2024"})
    assert "chưa được báo kết quả" in early.value.why and stored(case).archived_at is None
    sign_in(client, office)  # and the case page offers no form that would be refused once sent
    assert 'id="form-archive"' not in page_of(client, f"/van-phong/ho-so/{case.code}")
    from feedback_app.services.accounts import new_token  # nor does the API
    token = {"Authorization": f"Bearer {new_token(office)}"}
    assert "archive" not in client.get(f"/api/v1/feedback/{case.code}", headers=token).get_json()["allowed_events"]
    for notice in stored(case).citizen_notices:  # the receipt and the refusal, told by phone
        citizen_notices.record_given(notice.id, "phone", clock.today(), office)
    assert 'id="form-archive"' in page_of(client, f"/van-phong/ho-so/{case.code}")
    apply_event(stored(case), "archive", office, {"reference": "15/PAKN-2024"})
    assert stored(case).archive_ref == "15/PAKN-2024"


def test_the_register_notes_where_a_case_is_filed(app, clock, seeded):
    from feedback_app.reports.periods import parse_period
    from feedback_app.services import register
    case = receive(SUBMISSION)
    apply_event(case, "refuse", seeded["office"], {"reason": "unclear_content"})
    apply_event(stored(case), "archive", seeded["office"], {"reference": "16/PAKN-2024"})
    (line,) = list(register.entries(register.Filters(period=parse_period("2024-03-01..2024-03-31"))))
    assert line.code == case.code and "Lưu trữ: hồ sơ số 16/PAKN-2024 ngày 04/03/2024" in line.note


def test_the_leader_has_no_queue_of_cases_to_file(app, client, seeded):
    sign_in(client, seeded["leader"])
    assert "tab=to_archive" not in page_of(client, "/van-phong/")
    assert "Chờ lưu trữ" not in page_of(client, "/van-phong/?tab=to_archive")  # the intake queue instead
    sign_in(client, seeded["office"])
    assert "tab=to_archive" in page_of(client, "/van-phong/")


def test_hcth_files_the_cases_it_ticks_under_one_reference_and_is_told_which_were_not(app, client, clock, seeded):
    """A box of the records holds many cases: the list "Chờ lưu trữ" files those ticked, each through the
    lifecycle; one changed since the list was read is named, not filed, and the others are."""
    app.config["WTF_CSRF_ENABLED"] = True
    finished = []
    for title in ("Phí thẩm định hồ sơ", "Thời hạn cấp giấy phép", "Mẫu đơn đăng ký"):
        case = receive(replace(SUBMISSION, title=title))
        apply_event(case, "refuse", seeded["office"], {"reason": "unclear_content"})
        finished.append(case)
    sign_in(client, seeded["office"])
    page = page_of(client, "/van-phong/?tab=to_archive")
    form = re.search(r'<form[^>]*id="archive-many".*?</form>', page, re.S).group(0)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    boxes = dict(re.findall(r'<input type="checkbox" name="case" value="((PAKN[\d.]+):\d+)"', form))
    assert sorted(boxes.values()) == sorted(c.code for c in finished) and 'aria-label="Chọn PAKN' in form
    ticked = [v for v, code in boxes.items() if code != finished[2].code]

    # nothing ticked, no reference: the list again with both reasons and what was typed
    refused = client.post("/van-phong/luu-tru", data={"csrf_token": token, "note": "Hộp số 3"})
    body = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and "Vui lòng chọn hồ sơ cần lưu trữ." in body
    assert "Vui lòng nhập số, ký hiệu hồ sơ lưu trữ." in body and "Hộp số 3</textarea>" in body
    kept = client.post("/van-phong/luu-tru", data={"csrf_token": token, "case": ticked[:1], "reference": ""})
    assert kept.status_code == 422 and f'value="{ticked[0]}" aria-label' in kept.get_data(as_text=True).replace(" checked", "")
    assert re.search(rf'value="{re.escape(ticked[0])}"[^>]*checked', kept.get_data(as_text=True))
    assert client.post("/van-phong/luu-tru", data={"case": ticked, "reference": "12/PAKN-2024"}).status_code == 400  # CSRF

    # one of the two changed meanwhile (filed from its own page): named, the other filed
    apply_event(finished[1], "archive", seeded["office"], {"reference": "11/PAKN-2024"})
    done = client.post("/van-phong/luu-tru", data={"csrf_token": token, "case": ticked, "reference": " 12/PAKN-2024 ",
                                                     "note": "Hộp số 3"}, follow_redirects=True)
    body = html.unescape(done.get_data(as_text=True))
    assert f"Đã lưu trữ 1 hồ sơ vào hồ sơ lưu trữ số 12/PAKN-2024: {finished[0].code}." in body
    assert f"Chưa lưu trữ {finished[1].code}: Phản ánh, kiến nghị đã được cập nhật" in body
    assert (stored(finished[0]).archive_ref, stored(finished[1]).archive_ref, stored(finished[2]).archive_ref) == (
        "12/PAKN-2024", "11/PAKN-2024", None)
    row = db.session.execute(select(Transition).where(Transition.feedback_id == finished[0].id,
                                                      Transition.event == "archive")).scalar_one()
    assert row.note == "12/PAKN-2024; Hộp số 3" and row.public is False
    # the same list sent again (a double click): what the first filed is said to be filed, not refused
    again = html.unescape(client.post("/van-phong/luu-tru", data={
        "csrf_token": token, "case": ticked, "reference": " 12/PAKN-2024 ", "note": "Hộp số 3"},
        follow_redirects=True).get_data(as_text=True))
    assert f"Đã lưu trữ 1 hồ sơ vào hồ sơ lưu trữ số 12/PAKN-2024: {finished[0].code}." in again
    assert f"Chưa lưu trữ {finished[0].code}" not in again
    assert finished[2].code in page_of(client, "/van-phong/?tab=to_archive")

    # the leader reads the lists but files nothing
    sign_in(client, seeded["leader"])
    assert client.post("/van-phong/luu-tru", data={"csrf_token": token, "case": [f"{finished[2].code}:1"],
                                                   "reference": "13/PAKN-2024"}).status_code == 403
    assert stored(finished[2]).archived_at is None
