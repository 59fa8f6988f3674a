"""Fill a database with many realistic cases, fast (executemany on SQLite, COPY on PostgreSQL).

    python bench/generate.py --url sqlite:////tmp/pakn-bench.sqlite3 --n 1000000 --newly-overdue 10000

``fill(url, n, newly_overdue=..., seed=...)`` is reused by the benchmarks (sweep, report, lookup);
``ensure_filled`` reuses a database that already holds enough cases. The database is emptied and
migrated (``flask db upgrade``, so the indexes are the production ones); units, categories and users
are the demo's. Published cases carry their public copy, ``search_text`` and ``published_seq`` (as
publication stores them; the full-text index follows), a fifth of the answered ones a citizen's rating.
States follow a plausible year: most cases closed (published, answered, refused, transferred),
a few thousand open with future due dates, some already marked overdue, and ``newly_overdue``
cases whose answer date was ``BENCH_DUE`` (Monday 16 June 2025) and that nobody has looked at.
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows.clock import LOCAL_TZ  # noqa: E402

BENCH_NOW = datetime(2025, 6, 17, 0, 5, tzinfo=LOCAL_TZ)   # Tuesday, 5 minutes after Monday's due dates
BENCH_DUE = date(2025, 6, 16)
CHUNK = 20_000

# state, share of the stored cases (the newly overdue ones come on top of these shares)
STATES = [("published", 0.52), ("answered", 0.10), ("refused", 0.08), ("transferred", 0.05),
          ("received", 0.03), ("awaiting_info", 0.01), ("classified", 0.02), ("forwarded", 0.14),
          ("under_review", 0.05)]
OPEN_WITH_DUE = {"received", "awaiting_info", "classified", "forwarded", "under_review"}
AT_OFFICE = {"received", "classified"}  # HCTH's, due to be classified
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Quốc", "Thanh", "Ngọc", "Đức", "Thu", "Hoàng"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Đức", "Giang", "Hà", "Hải", "Hạnh", "Khoa", "Lan", "Long", "Mai", "Nam",
         "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vy", "Yến"]
# what a case is about besides its topic, so that search terms range from common to rare
KEYWORDS = ["máy đo độ ồn", "cân điện tử", "đồng hồ nước", "taxi mét", "cột đo xăng dầu", "huyết áp kế",
            "nhãn hiệu nước mắm", "chỉ dẫn địa lý", "sáng chế", "kiểu dáng công nghiệp", "tem truy xuất nguồn gốc",
            "mã số mã vạch", "máy X-quang nha khoa", "nguồn phóng xạ", "liều kế cá nhân", "phòng thí nghiệm",
            "đề tài cấp cơ sở", "khởi nghiệp sáng tạo", "chuyển giao công nghệ", "ứng dụng tiến bộ kỹ thuật",
            "quả sầu riêng", "tỏi Lý Sơn", "quế Trà Bồng", "hồ sơ trực tuyến", "dịch vụ công mức độ 4",
            "thư viện điện tử", "cơ sở dữ liệu", "hội thảo khoa học", "giải thưởng sáng tạo", "an toàn bức xạ",
            "thiết bị đo điện", "thuốc bảo vệ thực vật", "đèn LED", "năng lượng mặt trời", "camera giám sát",
            "phần mềm quản lý", "trạm quan trắc", "nhà kính", "giống lúa mới", "chứng nhận hợp quy"]
PLACES = ["phường Nghĩa Chánh", "phường Trần Phú", "xã Tịnh Sơn", "phường Cẩm Thành", "xã Bình Sơn",
          "thị trấn Sơn Tịnh", "xã Đức Phổ", "huyện Lý Sơn"]


def _app(url: str):
    from feedback_app import create_app
    return create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_APP=False, PAKN_NOW=None)


# what a refused case says and where a transferred one went, as HCTH's forms make them say it
REFUSALS = ["unclear_content", "missing_identity", "complaint_or_denunciation", "no_answer_to_info_request"]
AGENCIES = ["Sở Y tế tỉnh Quảng Ngãi", "Sở Công Thương tỉnh Quảng Ngãi", "UBND huyện Bình Sơn",
            "Sở Tài nguyên và Môi trường tỉnh Quảng Ngãi"]


def _rows(n: int, newly_overdue: int, rng: random.Random, unit_ids: list[int], category_ids: list[int],
          topics: list[tuple], ratings: list | None = None, letters: list | None = None):
    """Yield one dict per case, oldest first (ids 1..n: the database is empty); the ratings of the
    answered ones are appended to ``ratings``, the apology letters of the cases that had one to
    ``letters`` (numbered per year of issue, as ``services.letters`` numbers them)."""
    numbers: dict[int, int] = {}
    from feedback_app.text import search_document
    # search_text as publication stores it (text.search_document of code, title, question, answer),
    # assembled from words folded once per topic, keyword and place
    topic_words = [(search_document(t[2], t[3]), search_document(t[4])) for t in topics]
    folded_words = {w: search_document(w) for w in KEYWORDS + PLACES}
    now_utc = BENCH_NOW.astimezone(timezone.utc)
    first_day = BENCH_DUE - timedelta(days=4 * 365)
    per_day: dict[date, int] = {}
    states = [s for s, _ in STATES]
    weights = [w for _, w in STATES]
    for i in range(n):
        overdue_now = i >= n - newly_overdue
        state = "forwarded" if overdue_now else rng.choices(states, weights)[0]
        if overdue_now:
            received = BENCH_DUE - timedelta(days=28 + rng.randrange(5))
        elif state in AT_OFFICE:
            # within HCTH's 5 working days: one kept longer, past the case's 20, would have had its
            # automatic letter from an earlier sweep (services.sweep._late_at_office_pass)
            received = BENCH_DUE - timedelta(days=rng.randrange(5))
        elif state in OPEN_WITH_DUE:
            received = BENCH_DUE - timedelta(days=rng.randrange(1, 30))
        else:
            received = first_day + timedelta(days=rng.randrange((BENCH_DUE - first_day).days))
        seq = per_day[received] = per_day.get(received, 0) + 1
        topic = topics[i % len(topics)]
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        keyword, place = rng.choice(KEYWORDS), rng.choice(PLACES)
        content = f"{topic[3]} Liên quan: {keyword}, {place}."
        received_at = datetime.combine(received, dtime(7, 30), LOCAL_TZ).astimezone(timezone.utc) + \
            timedelta(minutes=rng.randrange(600))
        row = {
            "id": i + 1, "code": f"PAKN.{received:%Y%m%d}.{seq:04d}" if seq < 10_000 else f"PAKN.{received:%Y%m%d}.{seq}",
            "submitter_name": name, "address": f"Số {rng.randrange(1, 300)} đường Lê Lợi, {place}, Quảng Ngãi",
            "phone": f"09{rng.randrange(10**8):08d}", "email": f"congdan{i}@example.com" if i % 3 else None,
            "title": topic[2], "content": content, "consent_publish": i % 2 == 0, "channel": "web", "language": "vi",
            "received_at": received_at, "state": state, "category_id": None, "unit_id": None, "version": 1,
            "due_step": None, "due_start": None, "due_days": None, "due_date": None, "due_basis": None,
            "target_date": None, "paused_days": 0, "extension_count": 0, "overdue_since": None,
            "reply_text": None, "answered_at": None, "answered_on_time": None, "published_at": None,
            "created_at": received_at, "updated_at": now_utc,
            "public_title": None, "public_question": None, "public_answer": None, "search_text": None,
            "answered_due_date": None, "closed_at": None, "answer_text": None, "revised_at": None,
            "refusal_reason": None, "transferred_to": None,
        }
        if state in ("refused", "transferred"):
            row["closed_at"] = received_at + timedelta(days=rng.randrange(1, 8))
            row["refusal_reason" if state == "refused" else "transferred_to"] = rng.choice(
                REFUSALS if state == "refused" else AGENCIES)
        if state not in ("received", "awaiting_info", "refused", "transferred"):
            row["category_id"] = rng.choice(category_ids)
        if state in ("forwarded", "under_review", "answered", "published"):
            row["unit_id"] = rng.choice(unit_ids)
        if state in ("answered", "published"):
            answered_at = received_at + timedelta(days=rng.randrange(5, 30))
            answer_due = received + timedelta(days=28 if rng.random() < 0.93 else 8)  # ~93% on time
            row.update(reply_text=topic[4], answer_text=topic[4], answered_at=answered_at,
                       answered_due_date=answer_due, answered_on_time=answered_at.astimezone(LOCAL_TZ).date() <= answer_due)
            if state == "published":
                row.update(published_at=row["answered_at"] + timedelta(days=2), public_title=topic[2],
                           public_question=content, public_answer=topic[4],
                           search_text=f"{row['code'].lower().replace('.', ' ')} {topic_words[i % len(topics)][0]} "
                                       f"lien quan {folded_words[keyword]} {folded_words[place]} "
                                       f"{topic_words[i % len(topics)][1]}")
            if ratings is not None and rng.random() < 0.2:
                ratings.append({"feedback_id": i + 1, "score": rng.choice((1, 2, 3, 3)), "comment": None,
                                "created_at": row["answered_at"] + timedelta(days=3)})
        if overdue_now:
            row.update(due_step="answer", due_start=received + timedelta(days=7), due_days=15, due_date=BENCH_DUE,
                       due_basis="QĐ 574/QĐ-TTg, TT 02/2017/TT-VPCP", target_date=BENCH_DUE)
        elif state in OPEN_WITH_DUE:
            step = {"received": "classify", "classified": "classify", "awaiting_info": "citizen_info"}.get(state, "answer")
            due = received + timedelta(days=7) if state in AT_OFFICE else BENCH_DUE + timedelta(days=rng.randrange(5, 28))
            if state in ("forwarded", "under_review") and rng.random() < 0.03:
                # late already, and already handled by an earlier sweep (letter sent, then missed again)
                due = BENCH_DUE - timedelta(days=rng.randrange(1, 20))
                row.update(overdue_since=due, extension_count=1)
                if letters is not None:  # the letter that promised ``due``, a week after the date it missed
                    missed = due - timedelta(days=7)
                    issued = missed + timedelta(days=1)
                    number = numbers[issued.year] = numbers.get(issued.year, 0) + 1
                    letters.append({"feedback_id": i + 1, "year": issued.year, "number": number, "step": "answer",
                                    "issued_on": issued, "missed_due_date": missed, "new_due_date": due,
                                    "reason": "Cần thêm thời gian xác minh, lấy ý kiến các cơ quan liên quan.",
                                    "signer_title": "GIÁM ĐỐC", "automatic": True,
                                    "created_at": datetime.combine(issued, dtime(0, 5), LOCAL_TZ)
                                    .astimezone(timezone.utc)})
            row.update(due_step=step, due_start=received, due_days=15, due_date=due,
                       due_basis="NĐ 20/2008/NĐ-CP", target_date=due)
        yield row


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def fill(url: str, n: int, *, newly_overdue: int = 0, seed: int = 1, progress=None) -> None:
    """Create the schema on an empty database at ``url`` and store ``n`` cases (``newly_overdue`` of
    them with an answer date that has just passed)."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, delete, insert, select, text

    from feedback_app.demo import TOPICS, seed as seed_demo
    from feedback_app.extensions import db
    from feedback_app.models import ApologyLetter, Category, Counter, Feedback, Rating, Unit
    say = progress or (lambda *_: None)
    rng = random.Random(seed)
    app = _app(url)
    with app.app_context():
        with db.engine.begin() as conn:  # an FTS5 table goes before its shadow tables are reflected
            if db.engine.dialect.name == "sqlite":
                conn.execute(text("DROP TABLE IF EXISTS published_search"))
        old = MetaData()
        old.reflect(db.engine)
        old.drop_all(db.engine)  # every table, alembic_version included: then the real migrations
        upgrade()
        seed_demo(0, "bench-pass", progress=lambda *_: None)
        unit_ids = db.session.execute(select(Unit.id).where(~Unit.is_office)).scalars().all()
        category_ids = db.session.execute(select(Category.id)).scalars().all()
        db.session.commit()
        ratings: list[dict] = []
        letters: list[dict] = []
        rows = _rows(n, min(newly_overdue, n), rng, unit_ids, category_ids, TOPICS, ratings, letters)
        columns = [c.name for c in Feedback.__table__.columns]
        started, done = time.perf_counter(), 0
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("PRAGMA synchronous=OFF"))
        while done < n:
            chunk = [next(rows) for _ in range(min(CHUNK, n - done))]
            if engine.dialect.name == "postgresql":
                raw = engine.raw_connection()
                try:
                    with raw.cursor() as cur:
                        with cur.copy(f"COPY feedback ({', '.join(columns)}) FROM STDIN") as copy:
                            buf = io.StringIO()
                            for row in chunk:
                                buf.write("\t".join(_copy_value(row.get(c)) for c in columns) + "\n")
                            copy.write(buf.getvalue())
                    raw.commit()
                finally:
                    raw.close()
            else:
                with engine.begin() as conn:
                    conn.execute(insert(Feedback.__table__), chunk)
            if ratings:
                with engine.begin() as conn:
                    conn.execute(insert(Rating.__table__), ratings)
                ratings.clear()
            if letters:
                with engine.begin() as conn:
                    conn.execute(insert(ApologyLetter.__table__), letters)
                    for year, number in {row["year"]: row["number"] for row in letters}.items():
                        # the next letter of that year (the sweep's) takes the number after these
                        conn.execute(delete(Counter.__table__).where(Counter.name == f"letter:{year}"))
                        conn.execute(insert(Counter.__table__).values(name=f"letter:{year}", value=number))
                letters.clear()
            done += len(chunk)
            if done % 100_000 < CHUNK or done == n:
                rate = done / (time.perf_counter() - started)
                say(f"  {done:>9,} cases stored ({rate:,.0f}/s)")
        started = time.perf_counter()
        number_publications(engine)
        say(f"  publications numbered and indexed for search ({time.perf_counter() - started:.1f} s)")
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":  # the ids were given: move the sequence past them
                conn.execute(text("SELECT setval(pg_get_serial_sequence('feedback', 'id'), "
                                  "(SELECT max(id) FROM feedback))"))
            conn.execute(text("ANALYZE"))
        if engine.dialect.name == "postgresql":  # the numbering rewrote half the rows: clean up after it
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE feedback"))
        if engine.dialect.name == "sqlite":
            # write-ahead log: readers and the one writer do not block each other, commits are cheap;
            # the mode is stored in the file, so every process that opens it (gunicorn workers) has it
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        db.session.remove()
        db.engine.dispose()


def number_publications(engine) -> None:
    """``published_seq`` in the order of publication, as ``services.publication`` gives it one at a
    time, and the counter after it; then the full-text index: on SQLite the triggers of
    feedback_app/search_index.py fill the FTS5 table in the same statement; on PostgreSQL its table
    is filled in the order of publication, as publishing one case after the other does."""
    from sqlalchemy import text

    from feedback_app import search_index
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:  # the table is filled below in one ordered statement, not row by row by the trigger
            conn.execute(text("ALTER TABLE feedback DISABLE TRIGGER feedback_published_search"))
        conn.execute(text("UPDATE feedback SET published_seq = numbered.n FROM "
                          "(SELECT id, row_number() OVER (ORDER BY published_at, id) AS n FROM feedback "
                          " WHERE state = 'published') AS numbered WHERE feedback.id = numbered.id"))
        conn.execute(text("DELETE FROM counters WHERE name = 'published'"))
        conn.execute(text("INSERT INTO counters (name, value) SELECT 'published', max(published_seq) FROM feedback "
                          "WHERE published_seq IS NOT NULL HAVING count(*) > 0"))
        if postgres:
            conn.execute(text(search_index.POSTGRES_FILL))
            conn.execute(text("ALTER TABLE feedback ENABLE TRIGGER feedback_published_search"))
            # built in one go, the GIN index is a third of the size it gets row by row, and faster
            conn.execute(text(f"REINDEX INDEX {search_index.DOCUMENT_INDEX}"))


def stored_cases(url: str) -> int:
    """The number of cases in a migrated database at ``url`` (0 when it is empty or not migrated)."""
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    finally:
        engine.dispose()


def ensure_filled(url: str, n: int, progress=None) -> float:
    """Fill the database unless it already holds ``n`` cases (a run of the harness fills it once, in
    bench/sweep.py); the seconds the filling took, 0 when reused."""
    if stored_cases(url) >= n:
        (progress or (lambda *_: None))(f"reusing the {n:,}+ cases already stored")
        return 0.0
    started = time.perf_counter()
    fill(url, n, progress=progress)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty (or disposable) database")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--newly-overdue", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"filling {args.url} with {args.n:,} cases ({args.newly_overdue:,} newly overdue)")
    fill(args.url, args.n, newly_overdue=args.newly_overdue, seed=args.seed, progress=print)
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
