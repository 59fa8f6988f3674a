"""Staff look a case up with the box Tìm hồ sơ (services/staff_search.py): HCTH and the leader among every
case on /van-phong/?q=, a unit among its own on /don-vi/?q=, by code, a part of it, name, phone, e-mail or
words, with or without diacritics; whatever is typed is matched literally and never a 500."""
from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.services import staff, staff_search
from feedback_app.services.cases import apply_event, receive
from feedback_app.text import fold, fold_ascii, words

from deadline_helpers import SUBMISSION, forwarded_case, sign_in


def page_of(client, url: str, q: str | None = None) -> str:
    response = client.get(url, query_string=None if q is None else {"q": q})
    assert response.status_code == 200, (url, q, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def listed(page: str) -> list[str]:
    """The codes in the search's result table, in order."""
    table = page.split('id="search-count"', 1)[1]
    return re.findall(r'<td><a href="[^"]*">(PAKN\.[\d.]+)</a></td>', table)


def other(**fields):
    return replace(SUBMISSION, **fields)


@pytest.fixture
def cases(app, clock, seeded):
    """Four cases received on Monday 4 March 2024, ten minutes apart, in this order."""
    def received(submission):
        clock.advance(minutes=10)
        return receive(submission)
    made = {
        "an": received(SUBMISSION),  # Nguyễn Văn An, 0905123456, an@example.com
        "anh": received(other(
            full_name="Nguyễn Văn Anh", phone="+84912345678", email="anh@example.com",
            title="Cấp giấy chứng nhận đăng ký hoạt động khoa học",
            content="Đề nghị hướng dẫn hồ sơ cấp giấy chứng nhận cho tổ chức khoa học và công nghệ.")),
        "percent": received(other(
            full_name="Trần Thị Bình", phone="0935111222", email=None, title="Phí thẩm định giảm 50% có áp dụng không",
            content="Thông tư mới giảm 50% phí thẩm định; đề nghị cho biết ngày áp dụng cụ thể.")),
        "fifty": received(other(
            full_name="Lê Văn Cường", phone="0935333444", email=None, title="Giảm 50 lần thủ tục",
            content="Đề nghị giảm 50 lần số giấy tờ phải nộp khi đăng ký nhiệm vụ khoa học.")),
    }
    return {key: case.code for key, case in made.items()}


def test_hcth_goes_straight_to_the_case_of_a_full_code_however_typed(client, cases, seeded):
    sign_in(client, seeded["office"])
    for typed in (cases["anh"], cases["anh"].lower(), "PAKN 20240304 0002", "PAKN-20240304-0002"):
        response = client.get("/van-phong/", query_string={"q": typed})
        assert response.status_code == 302 and response.headers["Location"] == f"/van-phong/ho-so/{cases['anh']}"
    page = page_of(client, "/van-phong/?q=PAKN.20240304.0099")  # no such case
    assert "Không tìm thấy hồ sơ nào khớp với «PAKN.20240304.0099»." in page


def test_hcth_finds_cases_by_a_part_of_their_code_newest_first(client, cases, seeded):
    sign_in(client, seeded["office"])
    assert listed(page_of(client, "/van-phong/?q=20240304.0002")) == [cases["anh"]]
    assert listed(page_of(client, "/van-phong/?q=20240304")) == [cases[k] for k in ("fifty", "percent", "anh", "an")]
    assert listed(page_of(client, "/van-phong/?q=.0003")) == [cases["percent"]]
    assert listed(page_of(client, "/van-phong/?q=0004")) == [cases["fifty"]]
    assert len(listed(page_of(client, "/van-phong/?q=PAKN.2024"))) == 4


def test_hcth_finds_a_sender_by_name_with_or_without_diacritics_and_whole_words_only(client, cases, seeded):
    sign_in(client, seeded["office"])
    for typed in ("nguyen van an", "NGUYỄN VĂN AN", "Nguyễn văn An", "nguyễn van an"):
        page = page_of(client, f"/van-phong/?q={typed}")
        assert listed(page) == [cases["an"]], typed  # not Nguyễn Văn Anh
        assert f'value="{typed}"' in page  # the query stays in the box
    assert listed(page_of(client, "/van-phong/?q=nguyen van anh")) == [cases["anh"]]
    assert listed(page_of(client, "/van-phong/?q=nguyen van")) == [cases["anh"], cases["an"]]
    page = page_of(client, "/van-phong/?q=van an")
    assert "Nguyễn Văn An" in page and "Trạng thái" in page and "Ngày nhận" in page and "04/03/2024" in page
    assert 'id="search-since"' not in page  # fewer cases than the window: every one was read


def test_hcth_finds_a_case_by_its_phone_written_any_way(client, cases, seeded):
    sign_in(client, seeded["office"])
    for typed in ("0905 123 456", "+84905123456", "84905123456", "0905.123.456", "(+84) 905-123-456", "905123456"):
        assert listed(page_of(client, "/van-phong/", typed)) == [cases["an"]], typed
    # a number stored with +84 is found as it is read out with its 0
    assert listed(page_of(client, "/van-phong/?q=0912 345 678")) == [cases["anh"]]
    assert listed(page_of(client, "/van-phong/?q=0912345679")) == []


def test_a_landline_written_with_a_dash_or_a_dot_after_its_area_code_is_a_phone_not_a_day(client, clock, seeded):
    """"024-38221215": its last eight digits would read as 15/12/3822, a day no code carries."""
    landline = receive(other(phone="02438221215", email=None))
    sign_in(client, seeded["office"])
    for typed in ("024-38221215", "024.38221215", "(024) 3822 1215", "02438221215"):
        assert listed(page_of(client, "/van-phong/", typed)) == [landline.code], typed


def test_hcth_finds_a_case_by_e_mail_in_any_case(client, cases, seeded):
    sign_in(client, seeded["office"])
    assert listed(page_of(client, "/van-phong/?q=AN@Example.com")) == [cases["an"]]
    assert listed(page_of(client, "/van-phong/?q=ann@example.com")) == []


def test_hcth_finds_cases_by_words_of_the_title_or_content(client, cases, seeded):
    sign_in(client, seeded["office"])
    assert listed(page_of(client, "/van-phong/?q=chung nhan")) == [cases["anh"]]  # title and content
    assert listed(page_of(client, "/van-phong/?q=thẩm định")) == [cases["percent"]]
    assert listed(page_of(client, "/van-phong/?q=khoa hoc nhiem vu")) == [cases["fifty"]]


def test_a_search_that_finds_nothing_says_so_and_keeps_the_query(client, cases, seeded):
    sign_in(client, seeded["office"])
    page = page_of(client, "/van-phong/?q=học phí đại học")
    assert "Không tìm thấy hồ sơ nào khớp với «học phí đại học»." in page
    assert 'value="học phí đại học"' in page and 'role="search"' in page
    assert '<label for="q">Tìm hồ sơ</label>' in page


def test_percent_underscore_quote_and_backslash_are_matched_literally(client, cases, seeded):
    sign_in(client, seeded["office"])
    assert listed(page_of(client, "/van-phong/?q=50%25")) == [cases["percent"]]  # not "giảm 50 lần"
    assert listed(page_of(client, "/van-phong/?q=%25")) == [cases["percent"]]  # not every case
    assert listed(page_of(client, "/van-phong/?q=50")) == [cases["fifty"], cases["percent"]]
    for typed in ("_", "a_b", "%_%", "'", "' OR '1'='1", "\\", "50\\%", "--", "“”", "20240304.000_", "PAKN.%"):
        page = page_of(client, "/van-phong/", typed)
        assert listed(page) == [] and "Không tìm thấy hồ sơ nào" in page, typed


def test_an_overlong_query_or_a_control_character_is_refused_with_a_message(client, cases, seeded):
    sign_in(client, seeded["office"])
    response = client.get("/van-phong/", query_string={"q": "nguyễn " * 40})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Nội dung tìm kiếm dài quá 200 ký tự" in page and 'aria-invalid="true"' in page
    assert f'value="{("nguyễn " * 40).strip()}"' in page
    response = client.get("/van-phong/", query_string={"q": "an\x00"})
    assert response.status_code == 400 and "ký tự điều khiển" in response.get_data(as_text=True)
    sign_in(client, seeded["QLKH"])
    assert client.get("/don-vi/", query_string={"q": "x" * 201}).status_code == 400
    assert client.get("/don-vi/", query_string={"q": "x" * 200}).status_code == 200


def test_an_empty_query_shows_the_queue(client, cases, seeded):
    sign_in(client, seeded["office"])
    for url in ("/van-phong/?q=", "/van-phong/?q=+++"):
        page = page_of(client, url)
        assert "Tổng số: 4" in page and 'id="search-count"' not in page and 'value=""' in page


def test_the_leader_searches_every_case_too(client, cases, seeded):
    sign_in(client, seeded["leader"])
    assert listed(page_of(client, "/van-phong/?q=nguyen van an")) == [cases["an"]]
    english = page_of(client, "/van-phong/?q=nguyen van an&lang=en")
    assert "Find a case" in english and "1 case matches «nguyen van an»." in english


def test_a_unit_finds_its_own_answered_case_and_never_another_units(app, client, clock, seeded):
    ours = forwarded_case(seeded, "QLKH")
    staff.submit_draft(ours, seeded["QLKH"], "Thời hạn giải quyết là 30 ngày làm việc.", [], ours.version)
    apply_event(db.session.get(Feedback, ours.id), "approve", seeded["leader"])
    assert db.session.get(Feedback, ours.id).state == "answered"
    theirs = forwarded_case(seeded, "QLCN", other(full_name="Nguyễn Văn An", phone="0905123456"))
    not_yet = receive(SUBMISSION)  # at HCTH, no unit yet
    sign_in(client, seeded["QLKH"])
    assert "Tổng số: 0" in page_of(client, "/don-vi/")  # no open case left: the list shows none
    for typed in ("nguyen van an", "0905 123 456", "an@example.com", "20240304", "thoi han giai quyet"):
        assert listed(page_of(client, f"/don-vi/?q={typed}")) == [ours.code], typed
    response = client.get("/don-vi/", query_string={"q": ours.code})
    assert response.headers["Location"] == f"/don-vi/ho-so/{ours.code}"
    for code in (theirs.code, not_yet.code):  # a whole code of a case that is not the unit's: not found
        page = page_of(client, f"/don-vi/?q={code}")
        assert listed(page) == [] and f"Không tìm thấy hồ sơ nào khớp với «{code}»." in page
        assert client.get(f"/don-vi/ho-so/{code}").status_code == 404
    sign_in(client, seeded["QLCN"])
    assert listed(page_of(client, "/don-vi/?q=nguyen van an")) == [theirs.code]


def test_only_staff_of_the_page_may_search(app, client, cases, seeded):
    for url in ("/van-phong/?q=nguyen", "/don-vi/?q=nguyen"):  # signed out (citizens have no account)
        response = app.test_client().get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/van-phong/dang-nhap")
    for user, url in ((seeded["QLKH"], "/van-phong/?q=nguyen"), (seeded["admin"], "/van-phong/?q=nguyen"),
                      (seeded["office"], "/don-vi/?q=nguyen"), (seeded["admin"], "/don-vi/?q=nguyen")):
        sign_in(client, user)
        assert client.get(url).status_code == 403, (user.role, url)


def test_many_matches_are_paginated_with_the_query_kept(app, client, clock, seeded):
    codes = [receive(other(full_name=f"Phạm Minh Số {i}")).code for i in range(25)]
    sign_in(client, seeded["office"])
    first = page_of(client, "/van-phong/?q=pham minh")
    assert listed(first) == codes[::-1][:20] and "25 hồ sơ khớp với «pham minh»" in first
    assert "Trang 1 / 2" in first and "/van-phong/?page=2&q=pham+minh" in first
    second = page_of(client, "/van-phong/?q=pham+minh&page=2")
    assert listed(second) == codes[::-1][20:] and "Trang 2 / 2" in second
    beyond = client.get("/van-phong/?q=pham+minh&page=9")
    assert beyond.status_code == 302 and beyond.headers["Location"] == "/van-phong/?q=pham+minh&page=2"
    # the same through an index: every case of one phone number
    assert "25 hồ sơ khớp" in page_of(client, "/van-phong/?q=0905123456")
    assert listed(page_of(client, "/van-phong/?q=0905123456&page=2")) == codes[::-1][20:]


def test_names_and_words_are_looked_for_among_the_newest_cases_and_the_page_says_so(
        app, client, cases, seeded, monkeypatch):
    monkeypatch.setattr(staff_search, "SCAN_WINDOW", 2)
    monkeypatch.setattr(staff_search, "FOUND_CAP", 1)
    sign_in(client, seeded["office"])
    page = page_of(client, "/van-phong/?q=nguyen van an")  # the oldest case: before the newest two
    assert listed(page) == [] and "đã tìm trong các hồ sơ nhận từ ngày 04/03/2024" in page
    assert listed(page_of(client, "/van-phong/?q=0905123456")) == [cases["an"]]  # the phone's index: every case
    more = page_of(client, "/van-phong/?q=giam")  # both newest match, one more than FOUND_CAP
    assert listed(more) == [cases["fifty"]] and "Hơn 1 hồ sơ khớp với «giam»" in more


def test_the_quick_fold_of_the_search_reads_vietnamese_as_fold_does():
    letters = "aàáảãạăằắẳẵặâầấẩẫậdđeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹ"
    assert [fold_ascii(c) for c in letters + letters.upper()] == [fold(c) for c in letters + letters.upper()]
    text = "Ông NGUYỄN Văn Ánh, đường Lê Lợi: “giảm 50% phí” – giai đoạn 2020–2024…"
    assert re.findall(r"[a-z0-9]+", fold_ascii(text)) == words(text)
