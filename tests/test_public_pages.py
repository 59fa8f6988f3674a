"""The notice board from configuration, the navigation and the language switch on every public page."""
from __future__ import annotations

import re

import pytest

PAGES = ["/", "/gui-phan-anh", "/tra-cuu", "/cong-khai", "/thong-bao"]


def test_the_notice_board_shows_the_channels_from_configuration(app, client):
    app.config.update(AGENCY_NAME="Sở Khoa học và Công nghệ tỉnh Thử Nghiệm", AGENCY_ADDRESS="Số 1 đường Thử",
                      AGENCY_POSTAL_ADDRESS="Hộp thư 99", AGENCY_PHONE="0255 111 222",
                      AGENCY_EMAIL="pakn@thu.example.gov.vn", AGENCY_WEBSITE="https://thu.example.gov.vn")
    page = client.get("/thong-bao").get_data(as_text=True)
    for value in ("Sở Khoa học và Công nghệ tỉnh Thử Nghiệm", "Số 1 đường Thử", "Hộp thư 99",
                  'href="tel:0255111222"', 'href="mailto:pakn@thu.example.gov.vn"', 'href="https://thu.example.gov.vn"',
                  "Điều 9.1d", "trong 5 ngày làm việc"):
        assert value in page
    # NĐ 20/2008 Art 7.1: a postal address is a way to answer; QĐ 31/2021 Art 41: the national system
    assert "số điện thoại (hoặc địa chỉ thư tín)" in page
    assert 'href="https://dichvucong.gov.vn"' in page and "Trực tiếp" in page
    app.config["AGENCY_NATIONAL_PORTAL"] = ""
    assert "dichvucong" not in client.get("/thong-bao").get_data(as_text=True)


@pytest.mark.parametrize("url", PAGES)
def test_every_public_page_has_the_navigation_and_the_english_switch(client, url):
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="vi">' in html and 'href="?lang=en"' in html  # this page, in English
    for link in ('href="/gui-phan-anh"', 'href="/tra-cuu"', 'href="/cong-khai"', 'href="/thong-bao"'):
        assert link in html
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Send feedback" in english and "Tiếng Việt" in english
    assert "Gửi phản ánh, kiến nghị" not in english
    client.get(f"{url}?lang=vi")


def test_the_language_choice_is_kept_for_the_session(client):
    client.get("/?lang=en")
    assert "Published answers" in client.get("/cong-khai").get_data(as_text=True)


def test_the_language_switch_keeps_the_pages_other_query_parameters(client):
    import html
    import re
    from urllib.parse import parse_qsl

    def switch(page: str) -> list:
        href = html.unescape(re.search(r'<a href="([^"]*)"[^>]*id="lang-switch"', page).group(1))
        assert href.startswith("?")
        return parse_qsl(href[1:])

    page = client.get("/cong-khai?q=học phí&unit=QLKH&period=2024").get_data(as_text=True)
    assert switch(page) == [("q", "học phí"), ("unit", "QLKH"), ("period", "2024"), ("lang", "en")]
    english = client.get("/cong-khai?q=học phí&lang=en&unit=QLKH").get_data(as_text=True)
    assert switch(english) == [("q", "học phí"), ("unit", "QLKH"), ("lang", "vi")]  # lang replaced, not repeated


def test_pages_name_their_icon_and_favicon_ico_leads_to_it(client):
    page = client.get("/").get_data(as_text=True)
    (link,) = re.findall(r'<link rel="icon" type="image/svg\+xml" href="(/static/favicon\.svg\?v=[0-9a-f]{12})">', page)
    response = client.get("/favicon.ico")  # to the same versioned URL (feedback_app/static_files.py)
    assert response.status_code == 301 and response.headers["Location"].endswith(link)
    icon = client.get(link)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
