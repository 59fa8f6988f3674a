"""Hostile input through the real pages, on SQLite and PostgreSQL alike: path-traversal file names on
upload, SQL metacharacters in search and filters, script payloads in every text field of a submission
(shown back escaped on the citizen's status page, the staff case page and the published page)."""
from __future__ import annotations

import io
import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from markupsafe import escape
from sqlalchemy import func, inspect, select

from feedback_app.extensions import db
from feedback_app.models import Feedback
from feedback_app.services.accounts import new_token
from feedback_app.services.cases import apply_event, find

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = {"full_name": "Nguyễn Văn An", "address": "Số 12 đường Lê Lợi, Quảng Ngãi", "phone": "0905123456",
        "email": "an@example.com", "title": "Thời hạn giải quyết thủ tục",
        "content": "Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học.",
        "consent_publish": "y"}


def submit(client, files=(), **changes):
    data = {**FORM, **changes}
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post("/gui-phan-anh", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with client.session_transaction() as session:
        return find(session["submitted_code"])


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def page(app, client, url: str) -> str:
    with app.app_context():  # a fresh ``g`` per request, as in production
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# --- path traversal on upload ---------------------------------------------------------------------

HOSTILE_NAMES = {
    "../../etc/passwd.pdf": "passwd.pdf",
    "/etc/passwd.pdf": "passwd.pdf",
    "..\\..\\Windows\\System32\\evil.pdf": "evil.pdf",
    "C:\\Users\\Public\\thu.pdf": "thu.pdf",
    "bad\x00name.pdf": "badname.pdf",
    "....//....//x.pdf": "x.pdf",
    "<img src=x onerror=alert(1)>.pdf": "<img src=x onerror=alert(1)>.pdf",
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES))
def test_a_path_traversal_file_name_is_stored_under_a_generated_name_inside_the_upload_folder(
        app, client, clock, seeded, tmp_path, name):
    case = submit(client, files=[(name, PDF)])
    [attachment] = case.attachments
    uploads = Path(app.config["UPLOAD_DIR"]).resolve()
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", attachment.stored_name)
    # only the file's own name is kept (werkzeug already reads a backslash in the quoted multipart
    # file name as an escape, so "..\\..\\Windows\\evil.pdf" may arrive as "....Windowsevil.pdf")
    assert attachment.original_name.endswith(HOSTILE_NAMES[name])
    assert not re.search(r"[/\\\x00]|^\.", attachment.original_name)
    assert [p.name for p in uploads.iterdir()] == [attachment.stored_name]
    assert (uploads / attachment.stored_name).read_bytes() == PDF
    # nothing was written anywhere the name pointed to
    written = {p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".pdf"}
    assert written == {uploads / attachment.stored_name}

    # the staff page shows the name escaped, and the download offers only the bare name
    sign_in(client, seeded["office"])
    html = page(app, client, f"/van-phong/ho-so/{case.code}")
    assert '<img src=x onerror' not in html
    assert str(escape(attachment.original_name)) in html
    with app.app_context():
        download = client.get(f"/van-phong/tep/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition and ".." not in disposition


def test_a_line_break_in_a_file_name_never_reaches_a_header(app, client, clock, seeded):
    """A name sent as ``filename*=UTF-8''a%0D%0ASet-Cookie…`` keeps its line breaks as spaces: in the
    download's Content-Disposition and a mail's attachment part a line break would start a new header.
    A name an older version stored with them downloads under the cleaned name too."""
    from feedback_app.models import Attachment
    from feedback_app.services.submissions import display_name
    assert display_name("a\r\nSet-Cookie: pwn=1\r\nb.pdf") == "a Set-Cookie: pwn=1 b.pdf"
    assert display_name("tab\tname\u2028x\x85.pdf") == "tab name x .pdf"
    case = submit(client, files=[("thu.pdf", PDF)])
    [attachment] = case.attachments
    attachment.original_name = "tra\r\nSet-Cookie: pwn=1\r\nloi.pdf"  # as stored before
    db.session.commit()
    sign_in(client, seeded["office"])
    with app.app_context():
        download = client.get(f"/van-phong/tep/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "tra Set-Cookie: pwn=1 loi.pdf" in download.headers["Content-Disposition"]
    assert "pwn" not in download.headers.get("Set-Cookie", "")


# --- SQL metacharacters -----------------------------------------------------------------------------

METACHARACTERS = ["'", "''", '"', "' OR '1'='1", "1' OR 1=1 --", "--", "%", "_", "%_%", "\\", "\\%",
                  "; DROP TABLE feedback; --", "'; DELETE FROM feedback WHERE ''='", "\\'; --", "a%b_c", "[%]",
                  "$1", ":q", "?", "%(q)s", "{q}",
                  # the full-text query languages (SQLite FTS5, PostgreSQL tsquery)
                  "*", "phi*", "(", ")", ":", "-", "-phi", "^phi", "NEAR", "NEAR(phi tham)", "AND", "OR", "NOT",
                  "phi OR x", '"phi" OR "ho"', "search_text:phi", "{search_text}:phi", "phi & !x", "phi | so",
                  "!phi", "phi <-> so", "'phi':*", "phi:A"]


def published_case(seeded, client, title):
    case = submit(client, title=title)
    for event, who, args in (("classify", "office", {"category": "TTHC"}), ("forward", "office", {"unit": "QLKH"}),
                             ("submit_draft", "QLKH", {"reply": "Thời hạn là 15 ngày làm việc."}),
                             ("approve", "leader", {}), ("publish", "office", {})):
        apply_event(case, event, seeded[who], args)
    return case


def codes_in(html: str) -> set[str]:
    return set(re.findall(r'href="/cong-khai/(PAKN\.\d{8}\.\d{4})"', html))


def test_sql_and_full_text_metacharacters_in_the_published_search_only_separate_words(app, clock, seeded):
    client = app.test_client()
    percent = published_case(seeded, client, "Giảm 50% phí thẩm định")
    underscore = published_case(seeded, client, "Mã hồ sơ a_b đăng ký")
    quote = published_case(seeded, client, "Ý kiến 'cử tri' về hồ sơ")
    plain = published_case(seeded, client, "Phí 500 nghìn đồng axb")
    everyone = {c.code for c in (percent, underscore, quote, plain)}
    assert codes_in(page(app, client, "/cong-khai")) == everyone

    assert codes_in(page(app, client, "/cong-khai?q=50%25")) == {percent.code}
    assert codes_in(page(app, client, "/cong-khai?q=a_b")) == {underscore.code}
    assert codes_in(page(app, client, "/cong-khai?q='cử")) == {quote.code}
    # operators of the full-text languages are not obeyed: no prefix search, no negation, no OR
    assert codes_in(page(app, client, "/cong-khai?q=ph*")) == set()
    for q in ("-phi", "!phi", '"phi"', "phi*", "(phi)", "^phi", "phi:*"):
        assert codes_in(page(app, client, "/cong-khai?" + urlencode({"q": q}))) == {percent.code, plain.code}, q
    # operator words only separate words (README): NOT is no negation, OR no alternative, and every
    # other word must occur
    for q in ("NOT phi", "phi NOT", "phi AND NOT", "NEAR phi"):
        assert codes_in(page(app, client, "/cong-khai?" + urlencode({"q": q}))) == {percent.code, plain.code}, q
    for q in ("phi OR cu", "phi or cu", "phi NOT cu"):
        assert codes_in(page(app, client, "/cong-khai?" + urlencode({"q": q}))) == set(), q
    for q in METACHARACTERS:
        html = page(app, client, "/cong-khai?" + urlencode({"q": q}))
        found = codes_in(html)
        # a query without any word is no query (every answer, the page says so: 'id="no-words"'); one
        # with a word never matches everything through a wildcard or an operator
        no_words = 'id="no-words"' in html
        assert no_words == (not re.search(r"[^\W_]", re.sub(r"\b(?:AND|OR|NOT|NEAR)\b", "", q))), q
        assert found != everyone or no_words, f"{q!r} matched everything"
        assert found <= everyone
    assert db.session.execute(select(func.count()).select_from(Feedback)).scalar_one() == 4
    assert inspect(db.engine).has_table("feedback")


def test_sql_metacharacters_in_the_staff_list_filters_are_refused_by_name(app, clock, seeded):
    client = app.test_client()
    submit(client)
    headers = {"Authorization": f"Bearer {new_token(seeded['office'])}"}
    for value in METACHARACTERS:
        for name in ("state", "unit", "overdue"):
            with app.app_context():
                response = client.get("/api/v1/feedback", query_string={name: value}, headers=headers)
            if name == "overdue" and value == "":
                continue
            assert response.status_code == 422, (name, value, response.status_code)
            assert set(response.get_json()["errors"]) == {name}
        for name in ("page", "per_page"):  # not a whole number
            with app.app_context():
                response = client.get("/api/v1/feedback", query_string={name: value}, headers=headers)
            if value == "":
                assert response.status_code == 200 and response.get_json()["total"] == 1
            else:
                assert response.status_code == 422 and set(response.get_json()["errors"]) == {name}
    assert db.session.execute(select(func.count()).select_from(Feedback)).scalar_one() == 1


# --- script payloads in every text field --------------------------------------------------------------

def payload(field: str) -> str:
    return f'<script>alert("{field}")</script>'


def escaped(field: str) -> str:
    return f"&lt;script&gt;alert(&#34;{field}&#34;)&lt;/script&gt;"


def test_script_payloads_in_every_text_field_come_back_escaped_on_every_page_that_shows_them(app, clock, seeded):
    client = app.test_client()
    # phone and e-mail are checked against their formats and cannot carry a payload
    fields = {"full_name": payload("full_name"), "address": "Số 12 " + payload("address"),
              "title": "Hồ sơ " + payload("title"), "procedure": payload("procedure"),
              "content": FORM["content"] + " " + payload("content")}
    case = submit(client, files=[("<img src=x onerror=alert(7)>.pdf", PDF)], **fields)
    assert case.submitter_name == payload("full_name")
    for event, who, args in (("classify", "office", {"category": "TTHC"}), ("forward", "office", {"unit": "QLKH"}),
                             ("submit_draft", "QLKH", {"reply": "Trả lời: " + payload("reply")}),
                             ("approve", "leader", {}), ("publish", "office", {})):
        apply_event(case, event, seeded[who], args)

    citizen = app.test_client()
    with app.app_context():
        assert citizen.post("/tra-cuu", data={"code": case.code, "contact": "0905123456"}).status_code == 303
    staff = app.test_client()
    sign_in(staff, seeded["office"])
    pages = {"status": (citizen, f"/tra-cuu/{case.code}", {"title", "reply"}),
             "staff case": (staff, f"/van-phong/ho-so/{case.code}",
                            {"full_name", "address", "title", "procedure", "content", "reply"}),
             "published": (citizen, f"/cong-khai/{case.code}", {"title", "content", "reply"}),
             "published list": (citizen, "/cong-khai", {"title"}),
             "register": (staff, "/van-phong/so-tiep-nhan", {"full_name", "address", "title"})}
    assert "&lt;img src=x onerror=alert(7)&gt;.pdf" in page(app, staff, f"/van-phong/ho-so/{case.code}")
    for name, (who, url, shown) in pages.items():
        html = page(app, who, url)
        assert "<script>alert(" not in html and "<img src=x" not in html, name
        missing = [f for f in shown if escaped(f) not in html]
        assert not missing, f"{name} page does not show these fields (escaped): {missing}"


# --- numbers too large for the database ---------------------------------------------------------------

HUGE = str(10 ** 30)  # beyond any database integer: OFFSET = page x per_page used to overflow (a 500)


@pytest.mark.parametrize("role", ["anonymous", "office", "QLKH", "leader", "admin"])
def test_a_huge_page_number_on_any_page_or_api_list_is_never_a_server_error(app, clock, seeded, role):
    client = app.test_client()
    submit(client)
    headers = {}
    if role != "anonymous":
        sign_in(client, seeded[role])
        headers = {"Authorization": f"Bearer {new_token(seeded[role])}"}
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments and r.endpoint != "static"]
    failing = []
    for rule in rules:
        for query in ({"page": HUGE}, {"page": "-" + HUGE}, {"page": HUGE, "per_page": HUGE, "page_size": HUGE}):
            with app.app_context():
                response = client.get(rule.rule, query_string=query, headers=headers, buffered=True)
            if response.status_code >= 500:
                failing.append(f"{rule.rule}?{query}: {response.status_code}")
    assert len(rules) > 15 and not failing, failing
    if role != "anonymous":
        with app.app_context():
            listed = client.get("/api/v1/feedback", query_string={"page": HUGE}, headers=headers)
        assert listed.status_code == 422 and set(listed.get_json()["errors"]) == {"page"}


# --- dates at the ends of what a datetime holds ------------------------------------------------------

# Each used to be a 500 (OverflowError: date value out of range): local 0001-01-01 is still year 0 in
# UTC, 9999-12-31 at UTC-12 is year 10000 in UTC, and no day follows 9999-12-31.
EXTREME_DATES = [
    ("/cong-khai?period=0001-01-01..0001-01-31", "anonymous", "Kỳ không hợp lệ: 0001-01-01..0001-01-31"),
    ("/cong-khai?period=9999-12-01..9999-12-31", "anonymous", "Kỳ không hợp lệ: 9999-12-01..9999-12-31"),
    ("/open311/v2/requests.json?end_date=0001-01-01T00:00:00", "anonymous", "Tham số end_date phải là thời điểm"),
    ("/open311/v2/requests.json?start_date=9999-12-31T23:59:59-12:00", "anonymous", "Tham số start_date phải là"),
    ("/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B14:00", "anonymous", "Tham số start_date phải là"),
    ("/api/v1/export?since=0001-01-01T00:00:00%2B14:00", "office", "Tham số since phải là thời điểm"),
    ("/van-phong/bao-cao?period=0001-01-01..0001-01-31", "office", "Kỳ báo cáo không hợp lệ"),
    ("/van-phong/bao-cao?period=9999-12-01..9999-12-31", "office", "Kỳ báo cáo không hợp lệ"),
    ("/van-phong/so-tiep-nhan?from=0001-01-01&to=0001-01-31", "office", "Ngày phải trong khoảng từ năm 1900"),
    ("/van-phong/so-tiep-nhan?from=9999-12-01&to=9999-12-31", "office", "Ngày phải trong khoảng từ năm 1900"),
]


@pytest.mark.parametrize("url, role, message", EXTREME_DATES, ids=[url for url, _, _ in EXTREME_DATES])
def test_a_date_at_the_end_of_the_calendar_is_refused_by_name_never_a_server_error(app, clock, seeded,
                                                                                     url, role, message):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        sign_in(client, seeded[role])
        headers = {"Authorization": f"Bearer {new_token(seeded[role])}"}
    with app.app_context():
        response = client.get(url, headers=headers)
    said = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else response.get_data(as_text=True)
    assert response.status_code == 400 and message in unescape(said)


def test_open311_reads_an_end_date_in_the_first_days_of_year_1(app, clock, seeded):
    # the default window, 90 days before end_date, stops at year 1 instead of overflowing
    response = app.test_client().get("/open311/v2/requests.json?end_date=0001-01-02T00:00:00Z")
    assert response.status_code == 200 and response.get_json() == []


def test_json_nested_deeper_than_the_stack_is_a_400_never_a_500(app, client, clock, seeded):
    from feedback_app.services.accounts import new_token
    from feedback_app.services.cases import receive
    from deadline_helpers import SUBMISSION
    case = receive(SUBMISSION)
    staff = {"Authorization": f"Bearer {new_token(seeded['office'], tell_holder=False)}"}
    nested = "[" * 5000 + "]" * 5000
    for path, headers in (("/api/v1/feedback", {}), (f"/api/v1/feedback/{case.code}/events/classify", staff)):
        response = client.post(path, data=nested, content_type="application/json", headers=headers)
        assert response.status_code == 400 and response.is_json, (path, response.status_code)
