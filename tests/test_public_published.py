"""The published answers on /cong-khai: diacritic-insensitive search (SQLite and PostgreSQL alike),
filters by unit, category and period, pagination, and no personal data on any public page."""
from __future__ import annotations

import re

from feedback_app.services.cases import Submission, apply_event, receive


def publish(seeded, title, content, reply, unit="QLKH", category="TTHC", **person):
    sender = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
              "email": "an@example.com", **person}
    case = receive(Submission(title=title, content=content, consent_publish=True, **sender))
    apply_event(case, "classify", seeded["office"], {"category": category})
    apply_event(case, "forward", seeded["office"], {"unit": unit})
    apply_event(case, "submit_draft", seeded[unit], {"reply": reply})
    apply_event(case, "approve", seeded["leader"])
    apply_event(case, "publish", seeded["office"])
    return case


def codes_in(html: str) -> list[str]:
    return re.findall(r'href="/cong-khai/(PAKN\.\d{8}\.\d{4})"', html)


def test_search_ignores_diacritics_and_case(client, clock, seeded):
    fee = publish(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn sở hữu trí tuệ.",
                  "Không thu học phí.", unit="QLCN", category="SHTT")
    other = publish(seeded, "Thời hạn đăng ký kết quả", "Thời hạn đăng ký kết quả nhiệm vụ là bao lâu?",
                    "Mười ngày làm việc.")
    for q in ("hoc phi", "HỌC PHÍ", "Hoc Phí", "học   phi"):
        assert codes_in(client.get("/cong-khai", query_string={"q": q}).get_data(as_text=True)) == [fee.code]
    assert codes_in(client.get("/cong-khai?q=dang+ky").get_data(as_text=True)) == [other.code]
    assert codes_in(client.get("/cong-khai?q=hoc+phi+dang").get_data(as_text=True)) == []  # every term must match
    assert set(codes_in(client.get("/cong-khai").get_data(as_text=True))) == {fee.code, other.code}
    # LIKE wildcards typed by a user are no pattern: beside a word they only separate, alone they are no
    # query (every answer, and the page says why)
    assert codes_in(client.get("/cong-khai?q=ho%25+ph_").get_data(as_text=True)) == []
    assert codes_in(client.get("/cong-khai?q=hoc%25+phi_").get_data(as_text=True)) == [fee.code]
    for q in ("%25", "_"):
        page = client.get(f"/cong-khai?q={q}").get_data(as_text=True)
        assert set(codes_in(page)) == {fee.code, other.code} and 'id="no-words"' in page


def test_filters_by_unit_category_and_period(client, clock, seeded):
    clock.set("2024-03-04T09:00:00+07:00")
    early = publish(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn sở hữu trí tuệ.",
                    "Không thu học phí.", unit="QLCN", category="SHTT")   # published in 2024-Q1 (to 14/03)
    clock.set("2024-04-01T09:00:00+07:00")
    late = publish(seeded, "Hiệu chuẩn cân", "Đề nghị hướng dẫn thủ tục hiệu chuẩn cân điện tử.",
                   "Xem quy trình tại Chi cục.", unit="TDC", category="TDC")  # 2024-Q2
    get = lambda **q: codes_in(client.get("/cong-khai", query_string=q).get_data(as_text=True))  # noqa: E731
    assert get(unit="QLCN") == [early.code]
    assert get(category="TDC") == [late.code]
    assert get(period="2024-Q1") == [early.code]
    assert get(period="2024-Q2") == [late.code]
    assert get(period="2024") == [late.code, early.code]
    assert get(period="2024-03-01..2024-03-31") == [early.code]
    response = client.get("/cong-khai?period=not-a-period")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kỳ không hợp lệ: not-a-period" in page and set(codes_in(page)) == {early.code, late.code}
    # a range written right but reversed, or over five years: what is wrong with it, as the report page says
    reversed_ = client.get("/cong-khai?period=2024-03-31..2024-03-01")
    assert reversed_.status_code == 400 and "Ngày bắt đầu sau ngày kết thúc" in reversed_.get_data(as_text=True)
    too_long = client.get("/cong-khai?period=2015-01-01..2024-03-31").get_data(as_text=True)
    assert "Khoảng thời gian dài quá 5 năm" in too_long and "Danh sách dưới đây chưa lọc theo kỳ." in too_long


def test_the_list_is_paginated(app, client, clock, seeded):
    app.config["PER_PAGE"] = 2
    made = [publish(seeded, f"Câu hỏi số {i}", f"Nội dung câu hỏi số {i} về thủ tục hành chính.", f"Trả lời câu hỏi số {i}.")
            for i in range(5)]
    first = client.get("/cong-khai").get_data(as_text=True)
    assert len(codes_in(first)) == 2 and "Trang 1 / 3" in first and 'rel="next"' in first
    last = client.get("/cong-khai?page=3").get_data(as_text=True)
    assert codes_in(last) == [made[0].code] and 'rel="prev"' in last
    assert client.get("/cong-khai?page=abc").status_code == 200


def test_a_page_beyond_the_last_goes_to_the_last_page_with_the_same_filters(app, client, clock, seeded):
    app.config["PER_PAGE"] = 2
    made = [publish(seeded, f"Học phí lớp {subject}", f"Đề nghị cho biết học phí lớp {subject}.", "Không thu.")
            for subject in ("Toán", "Ngữ văn", "Hóa học")]
    response = client.get("/cong-khai?q=hoc+phi&page=3")
    assert response.status_code == 302
    assert response.headers["Location"] == "/cong-khai?q=hoc+phi&page=2"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 kết quả" in page and "Trang 2 / 2" in page and codes_in(page) == [made[0].code]
    assert "Không có kết quả phù hợp" not in page
    odd = client.get("/cong-khai?endpoint=x&_external=1&page=9&unit=")  # names url_for takes for its own
    assert odd.status_code == 302 and odd.headers["Location"] == "/cong-khai?endpoint=x&_external=1&unit=&page=2"
    far = client.get("/cong-khai?page=99", follow_redirects=True).get_data(as_text=True)
    assert "Trang 2 / 2" in far and codes_in(far) == [made[0].code]
    # nothing matches: page 1 says so, without a page number past the end
    none = client.get("/cong-khai?q=xang+dau&page=3")
    assert none.status_code == 302 and none.headers["Location"] == "/cong-khai?q=xang+dau"
    page = client.get(none.headers["Location"]).get_data(as_text=True)
    assert "0 kết quả" in page and "Không có kết quả phù hợp" in page and "Trang 1 /" not in page


def test_an_unreadable_period_is_said_next_to_the_period_filter(client, clock, seeded):
    case = publish(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn.", "Không thu học phí.")
    for bad in ("2026-Q9", "abc"):
        response = client.get("/cong-khai", query_string={"period": bad, "q": "hoc phi"})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        error = re.search(r'<ul class="field-error" id="period-error"[^>]*>(.*?)</ul>', page, re.S)
        assert error and f"Kỳ không hợp lệ: {bad}" in error.group(1)
        assert "Danh sách dưới đây chưa lọc theo kỳ." in error.group(1)
        select = re.search(r'<select id="period"[^>]*>', page).group(0)
        assert 'aria-describedby="period-error"' in select and 'aria-invalid="true"' in select
        # the rest of the page is usable: the search kept, the list shown
        assert 'value="hoc phi"' in page and codes_in(page) == [case.code]
    fine = client.get("/cong-khai?period=2024-Q1")
    assert fine.status_code == 200 and 'id="period-error" hidden' in fine.get_data(as_text=True)
    # a valid period not among the choices offered stays selected, so that "Tìm" keeps it
    custom = client.get("/cong-khai?period=2024-03-01..2024-03-31").get_data(as_text=True)
    assert '<option value="2024-03-01..2024-03-31" selected>' in custom and codes_in(custom) == [case.code]


def test_published_pages_show_no_personal_data(client, clock, seeded):
    case = publish(seeded, "Phí thẩm định của ông Nguyễn Văn An",
                   "Tôi là Nguyễn Văn An, ở số 12 đường Lê Lợi, điện thoại 0905 123 456, thư an@example.com. "
                   "CCCD 051090001234. Đề nghị cho biết phí thẩm định hợp đồng chuyển giao công nghệ.",
                   "Trả lời ông NGUYEN VAN AN: phí thẩm định theo Thông tư 169/2016/TT-BTC. Liên hệ 0255 3822 123.")
    pages = [client.get(f"/cong-khai/{case.code}").get_data(as_text=True),
             client.get("/cong-khai").get_data(as_text=True),
             client.get("/cong-khai?q=phi+tham+dinh").get_data(as_text=True),
             client.get(f"/api/v1/feedback/{case.code}").get_data(as_text=True)]
    for html in pages:
        for secret in ("Nguyễn Văn An", "NGUYEN VAN AN", "0905", "an@example.com", "051090001234", "số 12 đường"):
            assert secret not in html
    detail = pages[0]
    assert "[đã ẩn]" in detail and "Thông tư 169/2016/TT-BTC" in detail
    assert "phí thẩm định hợp đồng chuyển giao công nghệ" in detail


def test_only_published_cases_have_a_public_page(client, clock, seeded):
    case = receive(Submission(full_name="Nguyễn Văn An", address="Quảng Ngãi", phone="0905123456",
                              title="Chưa công khai", content="Nội dung chưa được công khai cho ai xem cả.",
                              consent_publish=True))
    assert client.get(f"/cong-khai/{case.code}").status_code == 404
    assert codes_in(client.get("/cong-khai").get_data(as_text=True)) == []


def test_the_result_count_stops_at_the_cap_and_says_more(app, client, clock, seeded, monkeypatch):
    from feedback_app.services import published
    monkeypatch.setattr(published, "COUNT_CAP", 2)
    app.config["PER_PAGE"] = 1
    made = [publish(seeded, f"Học phí lớp {subject}", f"Đề nghị cho biết học phí lớp {subject}.", "Không thu.")
            for subject in ("Ngữ văn", "Hóa học", "Toán")]
    page = client.get("/cong-khai?q=hoc+phi").get_data(as_text=True)
    assert "Hơn 2 kết quả" in page and "Trang 1 / 2" in page and codes_in(page) == [made[2].code]
    one = client.get("/cong-khai?q=toan").get_data(as_text=True)
    assert "1 kết quả" in one and "Hơn" not in one and codes_in(one) == [made[2].code]


def test_a_tracking_code_finds_its_published_case_in_any_case(client, clock, seeded):
    case = publish(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn.", "Không thu học phí.")
    for q in (case.code, case.code.lower(), f"  {case.code} "):
        assert codes_in(client.get("/cong-khai", query_string={"q": q}).get_data(as_text=True)) == [case.code]
    assert codes_in(client.get("/cong-khai", query_string={"q": case.code[:-1] + "9"}).get_data(as_text=True)) == []


def test_a_stopped_units_published_answers_can_be_filtered_by_it(client, clock, seeded):
    """A stopped unit's published answers stay listed: its filter is offered, as a switched-off field's; a
    stopped unit with none is not."""
    from feedback_app.extensions import db
    from feedback_app.models import Unit
    answer = publish(seeded, "Ứng dụng tiến bộ kỹ thuật", "Đề nghị hỗ trợ chuyển giao công nghệ.",
                     "Trung tâm đã tiếp nhận.", unit="TTUD")
    for code in ("TTUD", "TTTT"):  # TTTT has never answered
        db.session.execute(db.select(Unit).where(Unit.code == code)).scalar_one().active = False
    db.session.commit()
    page = client.get("/cong-khai?unit=TTUD").get_data(as_text=True)
    assert codes_in(page) == [answer.code]
    ttud = db.session.execute(db.select(Unit).where(Unit.code == "TTUD")).scalar_one()
    assert f'<option value="TTUD" selected>{ttud.name}</option>' in page
    assert 'value="TTTT"' not in page and 'value="QLKH"' in page
