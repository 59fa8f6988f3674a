"""``flask backup`` (feedback_app/backup.py) on the test's database, SQLite file or PostgreSQL: the copy
is restored the way README says (a SQLite file opened as is; ``pg_restore`` into a new database) and
holds every case, the tar holds every uploaded file byte for byte, and only the newest copies stay."""
from __future__ import annotations

import secrets
import sqlite3
import subprocess
import tarfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from feedback_app.extensions import db
from feedback_app.models import Attachment
from feedback_app.services import submissions

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + secrets.token_bytes(64)
SUBMISSION = submissions.Submission(
    full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi, Quảng Ngãi", phone="0905123456",
    title="Thời hạn giải quyết thủ tục",
    content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học và công nghệ.")


def restored_codes(copy) -> set[str]:
    """The tracking codes in a backup, restored as README's "Backups" says."""
    if copy.suffix == ".sqlite3":
        with sqlite3.connect(copy) as conn:
            return {code for (code,) in conn.execute("SELECT code FROM feedback")}
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    name = f"pakn_restore_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name)
    try:
        libpq = target.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={libpq}", str(copy)], check=True,
                       capture_output=True, timeout=120)
        engine = create_engine(target)
        with engine.connect() as conn:
            codes = set(conn.execute(text("SELECT code FROM feedback")).scalars())
        engine.dispose()
        return codes
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def test_a_backup_restores_every_case_and_every_uploaded_file_and_only_the_newest_are_kept(app, clock, tmp_path):
    clock.set("2024-03-04T09:00:00+07:00")
    with_file = submissions.submit(SUBMISSION, [submissions.CheckedFile("hồ sơ.pdf", "pdf", "application/pdf", PDF)])
    without = submissions.submit(SUBMISSION)
    stored_name = db.session.query(Attachment.stored_name).scalar()
    target = tmp_path / "backups"

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "2"])
    assert result.exit_code == 0, result.output
    (copy,) = [p for p in target.iterdir() if not p.name.endswith(".tar")]
    (tar,) = target.glob("*-uploads.tar")
    assert copy.name.startswith("pakn-20240304T020000Z") and "1 files" in result.output
    assert restored_codes(copy) == {with_file.code, without.code}
    with tarfile.open(tar) as archive:
        (member,) = [m for m in archive.getmembers() if m.isfile()]
        assert member.name.endswith(stored_name) and archive.extractfile(member).read() == PDF

    for hour in ("10", "11"):  # two more runs: the first one goes
        clock.set(f"2024-03-04T{hour}:00:00+07:00")
        assert app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "2"]).exit_code == 0
    kept = sorted(p.name for p in target.iterdir())
    assert len(kept) == 4 and not any(name.startswith("pakn-20240304T020000Z") for name in kept)
    assert not any(name.endswith(".part") for name in kept)


def test_a_failed_backup_says_why_and_leaves_no_partial_copy(app, clock, tmp_path):
    if db.engine.dialect.name == "postgresql":
        app.config["PG_DUMP"] = "false"  # a pg_dump that fails
    else:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"  # in memory: nothing on disk to copy
    target = tmp_path / "backups"
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert result.exit_code == 1
    assert "pg_dump failed" in result.output or "cannot back up" in result.output
    assert list(target.iterdir()) == []
