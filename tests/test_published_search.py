"""The full-text index of the published answers (feedback_app/search_index.py, migration 0009): the
``publish`` event numbers and indexes a case; whole words, no diacritics needed; filters, pages and
the capped count over the index; deletion leaves the index; an older database is indexed by 0009.
The same tests run on SQLite (FTS5) and on PostgreSQL (tsvector)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, delete, select, text

from feedback_app.extensions import db
from feedback_app.models import Counter, Feedback
from feedback_app.services import published as published_service
from feedback_app.services.cases import Submission, apply_event, receive
from feedback_app.services.published import Filters
from feedback_app.reports.periods import parse_period
from feedback_app.text import search_document

from test_migrations import ROOT, database_url, flask  # noqa: F401  (database_url: a fixture)


def answered(seeded, title, content, reply="Trả lời theo quy định hiện hành.", unit="QLKH", category="TTHC"):
    case = receive(Submission(full_name="Trần Thị Bình", address="Số 3 đường Hùng Vương, Quảng Ngãi",
                              phone="0912345678", title=title, content=content, consent_publish=True))
    apply_event(case, "classify", seeded["office"], {"category": category})
    apply_event(case, "forward", seeded["office"], {"unit": unit})
    apply_event(case, "submit_draft", seeded[unit], {"reply": reply})
    apply_event(case, "approve", seeded["leader"])
    return case


def found(q: str = "", page: int = 1, per_page: int = 20, **filters) -> list[str]:
    results = published_service.search(Filters(q=q, **filters), page, per_page)
    return [case.code for case in results.items]


# The columns a migration test fills for a case published before the migration it tests.
PUBLISHED_BEFORE = ("id, code, submitter_name, address, title, content, consent_publish, channel, language, "
                    "received_at, state, version, paused_days, extension_count, created_at, updated_at, "
                    "published_at, public_title, public_question, public_answer, search_text")


def found_in(url: str, q: str) -> list[str]:
    """The published search of a database a migration test made, by an app of its own (in a process of
    its own: the test's app is bound to the test database)."""
    script = ("import json\nfrom feedback_app import create_app\n"
              "from feedback_app.services.published import search, Filters\n"
              "app = create_app('development', SQLALCHEMY_DATABASE_URI=%r, SCHEDULER_IN_APP=False)\n"
              "with app.app_context():\n    print(json.dumps([c.code for c in search(Filters(q=%r), 1, 20).items]))\n"
              % (url, q))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_publishing_numbers_the_case_and_makes_its_words_searchable(clock, seeded):
    case = answered(seeded, "Kiểm định đồng hồ nước", "Đề nghị hướng dẫn kiểm định đồng hồ nước sinh hoạt.",
                    reply="Liên hệ Chi cục Tiêu chuẩn Đo lường Chất lượng.")
    assert found("dong ho nuoc") == [] and case.published_seq is None  # answered, not yet published
    apply_event(case, "publish", seeded["office"])
    assert case.published_seq == 1 and case.search_text.startswith(case.code.lower().replace(".", " "))
    assert db.session.get(Counter, "published").value == 1
    for q in ("đồng hồ nước", "dong ho nuoc", "DONG HO", "kiem dinh chi cuc", "Chất lượng", "tieu chuan, do luong!"):
        assert found(q) == [case.code], q
    for q in ("dong ho dien", "xang dau", "nuo", "dongho", "ong", "kiem dinh xe"):  # every word, whole words only
        assert found(q) == [], q
    assert found(case.code.split(".")[1]) == [case.code]  # the date part of the code is a word too


def test_words_the_redaction_removed_are_not_found(clock, seeded):
    case = answered(seeded, "Câu hỏi của bà Trần Thị Bình", "Tôi là Trần Thị Bình, hỏi về phí thẩm định sáng chế.")
    apply_event(case, "publish", seeded["office"])
    assert found("tham dinh sang che") == [case.code]
    assert found("binh") == [] and found("0912345678") == []
    assert "[đã ẩn]" in case.public_title and found("đã ẩn") == [] and found("da an") == []  # the mask is no word


def test_migration_0035_takes_the_mask_out_of_the_words_of_the_cases_published_before_it(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0034", url=database_url).returncode == 0
    engine = create_engine(database_url)
    columns = f"{PUBLISHED_BEFORE}, published_seq"
    with engine.begin() as conn:
        for n, (title, question) in enumerate([("Câu hỏi của bà [đã ẩn]", "Tôi là [đã ẩn], hỏi phí thẩm định."),
                                               ("Lịch kiểm định cân", "Cân ở chợ đã ăn gian của người mua.")], 1):
            conn.execute(text(f"INSERT INTO feedback ({columns}) VALUES (:id, :code, 'A', 'B', :title, 'C', true, "
                              "'web', 'vi', :at, 'published', 1, 0, 0, :at, :at, :at, :title, :question, "
                              "'Trả lời.', :old, :id)"),
                         {"id": n, "code": f"PAKN.20240501.000{n}", "title": title, "question": question,
                          "at": "2024-05-02 09:00:00+00:00",
                          "old": search_document(f"PAKN.20240501.000{n}", title, question, "Trả lời.")})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        words = dict(conn.execute(text("SELECT code, search_text FROM feedback ORDER BY id")).all())
    engine.dispose()
    assert words["PAKN.20240501.0001"] == "pakn 20240501 0001 cau hoi cua ba toi la hoi phi tham dinh tra loi"
    assert "cho da an gian" in words["PAKN.20240501.0002"]  # a case's own words "đã ăn" are kept
    assert found_in(database_url, "da an") == ["PAKN.20240501.0002"]  # the index follows (0009's triggers)


# PostgreSQL: the newest few publications hold every match, some, none; or the words are said to be
# rare (no statistics) and only the GIN index is read
@pytest.mark.parametrize("window, common", [(5000, True), (3, True), (0, True), (5000, False)])
def test_results_come_newest_publication_first_in_pages_with_a_capped_count(clock, seeded, monkeypatch, window,
                                                                          common):
    monkeypatch.setattr(published_service, "COUNT_CAP", 3)
    monkeypatch.setattr(published_service, "NEWEST_WINDOW", window)
    monkeypatch.setattr(published_service, "_word_frequencies", lambda: {"hoc": 0.9, "phi": 0.9} if common else {})
    cases = [answered(seeded, f"Học phí lớp {subject}", f"Đề nghị cho biết học phí lớp {subject}.")
             for subject in ("Toán", "Ngữ văn", "Hóa học", "Vật lý", "Sinh học")]
    other = answered(seeded, "Hiệu chuẩn cân", "Đề nghị hướng dẫn hiệu chuẩn cân điện tử.")
    for case in (cases[3], cases[0], other, cases[4], cases[1], cases[2]):  # published in this order
        apply_event(case, "publish", seeded["office"])
    newest_first = [c.code for c in (cases[2], cases[1], cases[4], cases[0], cases[3])]
    assert found("hoc phi", per_page=2) == newest_first[:2]
    assert found("hoc phi", page=2, per_page=2) == newest_first[2:4]
    assert found("hoc phi", page=3, per_page=2) == newest_first[4:]
    assert found("hoc phi", page=4, per_page=2) == []
    results = published_service.search(Filters(q="hoc phi"), 1, 2)
    assert (results.total, results.more, results.pages) == (3, True, 2)  # "Hơn 3 kết quả"
    exact = published_service.search(Filters(q="SINH HỌC"), 1, 2)
    assert ([c.code for c in exact.items], exact.total, exact.more) == ([cases[4].code], 1, False)
    assert found() == [cases[2].code, cases[1].code, cases[4].code, other.code, cases[0].code, cases[3].code]


def test_operators_typed_in_a_query_only_separate_words(clock, seeded):
    """README: punctuation, quotes and operators such as OR or NEAR only separate words; every word
    must occur. The same on FTS5 and on PostgreSQL's tsquery (neither sees an operator)."""
    fee = answered(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn sở hữu trí tuệ.")
    course = answered(seeded, "Lớp học sáng chế", "Đề nghị cho biết lịch lớp học về sáng chế năm nay.")
    mole = answered(seeded, "Hết nốt hồ sơ", "Đề nghị cho biết khi nào xử lý hết nốt hồ sơ sáng chế còn tồn.")
    for case in (fee, course, mole):
        apply_event(case, "publish", seeded["office"])
    assert found("hoc phi") == [fee.code]
    for q in ("hoc OR phi", "hoc or phi", "hoc AND phi", "hoc and phi", "hoc NOT phi", "hoc NEAR phi",
              "hoc NEAR/3 phi", "(hoc OR phi)", '"hoc" OR "phi"', "Hoc Or Phi"):
        assert found(q) == [fee.code], q
    everything = found()
    assert found("OR") == everything and found("AND NOT") == everything  # operators alone: no word, no query
    # "not" in lower case is a word: "nốt" typed without diacritics
    assert found("het not") == [mole.code] and found("het nốt ho so") == [mole.code]
    results = published_service.search(Filters(q="hoc OR phi"), 1, 20)
    assert (results.total, [c.code for c in results.items]) == (1, [fee.code])
    assert found("hoc OR phi", unit="QLKH") == [fee.code]  # the filtered query, one query on PostgreSQL


def test_search_combines_with_the_unit_category_and_period_filters(clock, seeded):
    clock.set("2024-03-04T09:00:00+07:00")
    early = answered(seeded, "Học phí lớp tập huấn", "Đề nghị cho biết học phí lớp tập huấn sở hữu trí tuệ.",
                     unit="QLCN", category="SHTT")
    apply_event(early, "publish", seeded["office"])
    clock.set("2024-04-01T09:00:00+07:00")
    late = answered(seeded, "Học phí kiểm định", "Đề nghị cho biết học phí lớp kiểm định cân.",
                    unit="TDC", category="TDC")
    apply_event(late, "publish", seeded["office"])
    assert found("hoc phi") == [late.code, early.code]
    assert found("hoc phi", unit="QLCN") == [early.code] and found("hoc phi", unit="TDC") == [late.code]
    assert found("hoc phi", category="TDC") == [late.code] and found("kiem dinh", category="SHTT") == []
    assert found("hoc phi", period=parse_period("2024-Q1")) == [early.code]
    assert found("hoc phi", period=parse_period("2024-Q2"), unit="TDC", category="TDC") == [late.code]


def test_a_deleted_case_leaves_the_index(clock, seeded):
    keep, drop = (answered(seeded, f"Nhãn hiệu nước mắm {n}", f"Đề nghị hướng dẫn đăng ký nhãn hiệu nước mắm {n}.")
                  for n in ("Sa Huỳnh", "Lý Sơn"))
    for case in (keep, drop):
        apply_event(case, "publish", seeded["office"])
    db.session.execute(delete(Feedback).where(Feedback.id == drop.id))
    db.session.commit()
    assert found("nhan hieu nuoc mam") == [keep.code] and found("ly son") == []
    assert published_service.search(Filters(q="nuoc mam"), 1, 20).total == 1  # the count too
    if db.engine.dialect.name == "sqlite":  # the FTS5 table holds the published cases only
        assert db.session.execute(text("SELECT rowid FROM published_search WHERE published_search MATCH 'mam'")
                                  ).scalars().all() == [keep.published_seq]


def test_migration_0009_numbers_and_indexes_the_cases_published_before_it(database_url):  # noqa: F811
    assert flask("db", "upgrade", "0008", url=database_url).returncode == 0
    engine = create_engine(database_url)
    columns = PUBLISHED_BEFORE
    with engine.begin() as conn:
        for n, (when, title) in enumerate([("2024-05-02", "Học phí lớp tập huấn"), ("2024-05-01", "Cân điện tử"),
                                           ("2024-05-03", "Học phí kiểm định")], start=1):
            conn.execute(text(f"INSERT INTO feedback ({columns}) VALUES (:id, :code, 'A', 'B', :title, 'C', "
                              "true, 'web', 'vi', :at, 'published', 1, 0, 0, :at, :at, :at, :title, 'Nội dung.', "
                              "'Trả lời.', :old)"),
                         {"id": n, "code": f"PAKN.20240501.000{n}", "title": title, "at": f"{when} 09:00:00+00:00",
                          "old": f"pakn.20240501.000{n} {title.lower()}"})
    up = flask("db", "upgrade", url=database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, published_seq, search_text FROM feedback ORDER BY id")).all()
        counter = conn.execute(text("SELECT value FROM counters WHERE name = 'published'")).scalar_one()
    assert [(r.code, r.published_seq) for r in rows] == [("PAKN.20240501.0001", 2), ("PAKN.20240501.0002", 1),
                                                         ("PAKN.20240501.0003", 3)] and counter == 3
    assert rows[0].search_text == "pakn 20240501 0001 hoc phi lop tap huan noi dung tra loi"
    assert found_in(database_url, "hoc phi") == ["PAKN.20240501.0003", "PAKN.20240501.0001"]
    engine.dispose()
    down = flask("db", "downgrade", "base", url=database_url)
    assert down.returncode == 0, down.stderr


@pytest.mark.parametrize("q", ["%%%", "---", '""', "%", "_", "*", "'", "\\", "()", "^", "-- ;", "…", "“”", "OR", "NEAR/3"])
def test_a_query_of_punctuation_or_symbols_only_is_no_query_and_the_page_says_so(client, clock, seeded, q):
    """Nothing to look for: never a 500 or a database error (a LIKE wildcard, an FTS5 or tsquery
    operator), on SQLite and PostgreSQL; the list is the unfiltered one, and the page says why."""
    cases = [answered(seeded, f"Học phí lớp {s}", f"Đề nghị cho biết học phí lớp {s}.") for s in ("Toán", "Văn")]
    for case in cases:
        apply_event(case, "publish", seeded["office"])
    assert found(q) == found() == [cases[1].code, cases[0].code]
    response = client.get("/cong-khai", query_string={"q": q})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and all(case.code in page for case in cases)
    assert 'id="no-words"' in page and "không có từ nào để tìm" in page
    assert 'id="no-words"' not in client.get("/cong-khai", query_string={"q": "hoc phi"}).get_data(as_text=True)
    english = client.get("/cong-khai", query_string={"q": q, "lang": "en"}).get_data(as_text=True)
    assert "has no word to look for" in english
