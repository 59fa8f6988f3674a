"""``flask backup`` (feedback_app/backup.py) on the test's database, SQLite file or PostgreSQL: the copy
is restored the way README says (a SQLite file opened as is; ``pg_restore`` into a new database) and
holds every case, the tar holds every uploaded file byte for byte, and only the newest copies stay."""
from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import tarfile

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from feedback_app.backup import BACKUP_NAME, pg_dump_command
from feedback_app.extensions import db
from feedback_app.models import Attachment
from feedback_app.services import held_uploads, submissions

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
        try:
            with engine.connect() as conn:
                return set(conn.execute(text("SELECT code FROM feedback")).scalars())
        finally:
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def backups(target) -> list[str]:
    return sorted(p.name for p in target.iterdir() if BACKUP_NAME.fullmatch(p.name))


def test_a_backup_restores_every_case_and_every_uploaded_file_and_only_the_newest_are_kept(app, clock, tmp_path):
    clock.set("2024-03-04T09:00:00+07:00")
    with_file = submissions.submit(SUBMISSION, [submissions.CheckedFile("hồ sơ.pdf", "pdf", "application/pdf", PDF)])
    without = submissions.submit(SUBMISSION)
    stored_name = db.session.query(Attachment.stored_name).scalar()
    # a form that came back holds its file (services.held_uploads): not a record, not backed up
    held_uploads.hold(held_uploads.Hold(None, []), [submissions.CheckedFile("chưa gửi.pdf", "pdf", "application/pdf", PDF)], "127.0.0.1")
    target = tmp_path / "backups"

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "2"])
    assert result.exit_code == 0, result.output
    (copy,) = [p for p in target.iterdir() if p.suffix in (".dump", ".sqlite3")]
    (tar,) = target.glob("*-uploads.tar")
    assert copy.name.startswith("pakn-20240304T020000Z") and "1 files" in result.output
    assert restored_codes(copy) == {with_file.code, without.code}
    with tarfile.open(tar) as archive:
        (member,) = [m for m in archive.getmembers() if m.isfile()]
        assert member.name.endswith(stored_name) and archive.extractfile(member).read() == PDF

    # two more runs next to files that are not backups and a killed run's half: the first run goes,
    # and so does the half, nothing else
    others = ["pakn-web.service", "notes.txt", "pakn-20240301T000000Z.dump.part"]
    for name in others:
        (target / name).write_text("x")
    for hour in ("10", "11"):
        clock.set(f"2024-03-04T{hour}:00:00+07:00")
        assert app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "2"]).exit_code == 0
    kept = backups(target)
    assert len(kept) == 4 and not any(name.startswith("pakn-20240304T020000Z") for name in kept)
    assert (target / "pakn-web.service").exists() and (target / "notes.txt").exists()
    assert not (target / others[2]).exists()
    again = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])  # the same second
    assert again.exit_code == 1 and "exists" in again.output and backups(target) == kept


def test_a_failed_backup_says_why_and_leaves_neither_file(app, clock, tmp_path, monkeypatch):
    from feedback_app import backup

    submissions.submit(SUBMISSION, [submissions.CheckedFile("a.pdf", "pdf", "application/pdf", PDF)])
    target = tmp_path / "backups"

    def disk_full(folder, out, *_):
        out.write_bytes(b"half a tar")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(backup, "_tar", disk_full)  # after the database's copy was written
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert [p.name for p in target.iterdir()] == [backup.LOCK]

    def interrupted(folder, out, *_):  # not a disk's error: a bug, or Ctrl-C
        out.write_bytes(b"half a tar")
        raise KeyboardInterrupt
    monkeypatch.setattr(backup, "_tar", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backup.make_backup(target, keep=3)
    assert [p.name for p in target.iterdir()] == [backup.LOCK]  # neither file
    monkeypatch.undo()

    if db.engine.dialect.name == "postgresql":
        app.config["PG_DUMP"] = "false"  # a pg_dump that fails
        failed = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
        assert failed.exit_code == 1 and "pg_dump failed" in failed.output
        assert [p.name for p in target.iterdir()] == [backup.LOCK]
        app.config["PG_DUMP"] = "/usr/lib/postgresql/9/bin/pg_dump"  # a version not installed
        missing = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
        assert missing.exit_code == 1 and "PG_DUMP=/usr/lib/postgresql/9/bin/pg_dump does not exist" in missing.output
    app.config["UPLOAD_DIR"] = str(tmp_path / "not-mounted")  # and the database names a file
    unmounted = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert unmounted.exit_code == 1 and "not a directory" in unmounted.output


class StoppedUnhandled(Exception):
    """What SIGTERM raises in these tests when the command sets no handler of its own (by default it
    would end the test process)."""


def test_the_service_stopped_mid_run_leaves_neither_file_and_the_signal_as_it_was(app, clock, tmp_path, monkeypatch):
    """systemd stops the backup (``systemctl stop``, the unit's timeout) with SIGTERM while its tar is
    being written: the command ends with 143 and neither file stays."""
    from feedback_app import backup

    submissions.submit(SUBMISSION)
    target = tmp_path / "backups"

    def stopped(folder, out, *_):
        out.write_bytes(b"half a tar")
        os.kill(os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(backup, "_tar", stopped)

    def unhandled(*_):
        raise StoppedUnhandled
    before = signal.signal(signal.SIGTERM, unhandled)
    try:
        result = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
        assert signal.getsignal(signal.SIGTERM) is unhandled  # the command's own handler is gone again
    finally:
        signal.signal(signal.SIGTERM, before)
    assert result.exit_code == 128 + signal.SIGTERM, result.exception
    assert [p.name for p in target.iterdir()] == [backup.LOCK]


def test_a_run_killed_between_its_two_files_is_no_backup_and_goes(app, clock, tmp_path):
    """SIGKILL or a power cut after the database's copy, before the tar: that lone copy must not count
    among the BACKUP_KEEP runs, or it would push a whole backup out."""
    clock.set("2024-03-04T09:00:00+07:00")
    submissions.submit(SUBMISSION)
    target = tmp_path / "backups"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--to", str(target), "--keep", "2"]).exit_code == 0
    whole = backups(target)
    lone = target / "pakn-20240304T023000Z.sqlite3"
    lone.write_text("the database's copy of a run killed before its tar")
    clock.set("2024-03-04T10:00:00+07:00")
    result = runner.invoke(args=["backup", "--to", str(target), "--keep", "2"])
    assert result.exit_code == 0, result.output
    kept = backups(target)
    assert not lone.exists() and len(kept) == 4 and set(whole) < set(kept)


def test_a_new_installation_without_uploads_yet_is_backed_up(app, clock, tmp_path):
    """UPLOAD_DIR is made on the first upload: before it, the tar is empty and that is the truth."""
    submissions.submit(SUBMISSION)
    app.config["UPLOAD_DIR"] = str(tmp_path / "never-made")
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0 and "0 files" in result.output
    (tar,) = (tmp_path / "backups").glob("*-uploads.tar")
    with tarfile.open(tar) as archive:
        assert archive.getmembers() == []


def test_a_backup_under_a_folder_that_does_not_exist_writes_nothing_instead_of_making_a_tree(app, clock, tmp_path):
    """A mistyped --to, or a path under a mount point that is not there: no new tree on the host's disk."""
    submissions.submit(SUBMISSION)
    target = tmp_path / "mnt" / "backup" / "pakn"
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert result.exit_code == 1 and "the backup share mounted?" in result.output
    assert not (tmp_path / "mnt").exists()
    (tmp_path / "mnt" / "backup").mkdir(parents=True)  # there: the folder of pakn's copies is made in it
    assert app.test_cli_runner().invoke(args=["backup", "--to", str(target)]).exit_code == 0
    assert len(list(target.glob("*-uploads.tar"))) == 1


def test_the_database_password_goes_to_pg_dump_in_its_environment_not_on_its_command_line(app, tmp_path):
    from sqlalchemy.engine import make_url as url

    command, env = pg_dump_command(url("postgresql+psycopg://pakn:s3cr%40t@db.example:5433/pakn?sslmode=require"),
                                   tmp_path / "x.dump")
    assert not any("s3cr" in arg for arg in command) and env["PGPASSWORD"] == "s3cr@t"
    assert command[-1] == "--dbname=postgresql://pakn@db.example:5433/pakn?sslmode=require"


def three_attachments_and_two_older_nights(target) -> tuple[list[str], list[str]]:
    """Three cases with a file each, and two older nights' backups in ``target``: the stored names of
    the files, and the older backups' names."""
    for _ in range(3):
        submissions.submit(SUBMISSION, [submissions.CheckedFile("hồ sơ.pdf", "pdf", "application/pdf", PDF)])
    names = [name for (name,) in db.session.query(Attachment.stored_name).order_by(Attachment.id)]
    target.mkdir()
    older = sorted(f"pakn-2024030{day}T000000Z{suffix}" for day in (1, 2) for suffix in (".sqlite3", "-uploads.tar"))
    for name in older:
        (target / name).write_text("an older night")
    return names, older


def test_a_backup_with_the_upload_share_not_mounted_fails_and_keeps_the_older_backups(app, clock, tmp_path):
    """An empty mount point where the share should be: the database names files that are not there."""
    target = tmp_path / "backups"
    (first, *_), older = three_attachments_and_two_older_nights(target)
    mount_point = tmp_path / "mnt-empty"
    mount_point.mkdir()
    app.config["UPLOAD_DIR"] = str(mount_point)

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "1"])
    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "3 of the 3 uploaded files the database names are missing" in error
    assert str(mount_point) in error and f"e.g. {first}" in error and "mounted" in error
    assert backups(target) == older  # nothing written, nothing pruned

    # one file lost from a mounted share: still no backup that would pass for a whole one
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    (tmp_path / "uploads" / first).unlink()
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "1"])
    assert result.exit_code == 1 and "1 of the 3 uploaded files" in result.output and first in result.output
    assert backups(target) == older


def test_allow_missing_backs_up_the_rest_lists_the_lost_files_and_prunes_nothing(app, clock, tmp_path):
    """A file lost for good (a disk error) blocks every backup; ``--allow-missing NAME`` is the one-run
    way past it, and only past the files it names: another one lost, or an unmounted share, is still
    refused."""
    clock.set("2024-03-04T09:00:00+07:00")
    target = tmp_path / "backups"
    (lost, *kept_files), older = three_attachments_and_two_older_nights(target)
    uploads = tmp_path / "uploads"
    (uploads / lost).unlink()

    refused = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "1"])
    assert refused.exit_code == 1 and "1 of the 3 uploaded files" in refused.output and backups(target) == older

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "1", "--allow-missing", lost])
    assert result.exit_code == 0, result.output
    assert lost in result.output and "not pruned" in result.output and "2 files" in result.output
    (tar,) = target.glob("pakn-20240304T020000Z-uploads.tar")
    with tarfile.open(tar) as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}
    assert files.keys() == {f"uploads/{name}" for name in kept_files} | {"MISSING.txt"}
    assert all(files[f"uploads/{name}"] == PDF for name in kept_files)
    listed = [line for line in files["MISSING.txt"].decode().splitlines() if not line.startswith("#")]
    assert listed == [lost]
    assert set(older) < set(backups(target)) and len(backups(target)) == 6  # nothing pruned

    # another one lost besides the one allowed, or the share not mounted: refused as without the option
    (uploads / kept_files[0]).unlink()
    clock.set("2024-03-04T10:00:00+07:00")
    before = backups(target)
    more = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--allow-missing", lost])
    assert more.exit_code == 1 and "1 of the 3 uploaded files" in more.output and "besides those marked lost or allowed" in more.output
    assert kept_files[0] in more.output
    app.config["UPLOAD_DIR"] = str(tmp_path / "mnt-empty")
    (tmp_path / "mnt-empty").mkdir()
    unmounted = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--allow-missing", lost])
    assert unmounted.exit_code == 1 and "2 of the 3" in unmounted.output
    assert backups(target) == before

    # the files restored: a plain run again, which prunes as ever (the run with MISSING.txt included)
    app.config["UPLOAD_DIR"] = str(uploads)
    for name in (lost, kept_files[0]):
        (uploads / name).write_bytes(PDF)
    plain = app.test_cli_runner().invoke(args=["backup", "--to", str(target), "--keep", "1"])
    assert plain.exit_code == 0, plain.output
    assert [name[:21] for name in backups(target)] == ["pakn-20240304T030000Z"] * 2
