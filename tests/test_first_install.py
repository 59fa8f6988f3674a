"""A department's first install on an empty database, as README "First install" says, without the demo:
the office unit (HCTH) from the command line or the admin page, office accounts that belong to it,
`flask setup check` saying what a case still needs, seed-demo refused in production, and the system
packages of a production host."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import OutboxMail, Unit, User
from feedback_app.services import accounts
from tests.test_office import login, text

ROOT = Path(__file__).resolve().parent.parent
HCTH = ["--code", "HCTH", "--name", "Phòng Hành chính - Tổng hợp", "--email", "hcth@skhcn.example.gov.vn"]


def flask(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def units() -> list[tuple[str, bool]]:
    return [tuple(row) for row in db.session.execute(select(Unit.code, Unit.is_office).order_by(Unit.id))]


# --- the office unit and its accounts, from the command line ---------------------------------------

def test_setup_office_creates_the_office_unit_and_refuses_a_second(app):
    made = flask(app, "setup", "office", *HCTH)
    assert made.exit_code == 0, made.output
    assert "created office unit HCTH (Phòng Hành chính - Tổng hợp)" in made.output
    office = db.session.execute(select(Unit)).scalar_one()
    assert (office.code, office.is_office, office.active, office.email) == ("HCTH", True, True, "hcth@skhcn.example.gov.vn")

    second = flask(app, "setup", "office", "--code", "VP", "--name", "Văn phòng Sở")
    assert second.exit_code != 0 and "Đã có đơn vị Văn phòng (HCTH); chỉ một đơn vị là Văn phòng." in second.output
    processing = flask(app, "setup", "unit", "--code", "QLKH", "--name", "Phòng Quản lý Khoa học")
    assert processing.exit_code == 0, processing.output
    assert units() == [("HCTH", True), ("QLKH", False)]
    # two admins making the office at once pass the service's check together: the database keeps one
    from sqlalchemy.exc import IntegrityError
    db.session.add(Unit(code="VP2", name="Văn phòng thứ hai", is_office=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert units() == [("HCTH", True), ("QLKH", False)]


def test_the_second_of_two_admins_making_the_office_at_once_is_told_it_exists(app, monkeypatch):
    """The service's check saw no office (the other admin had not committed yet); the unique index
    refuses the second at the commit, and the admin reads why, not a 500."""
    assert flask(app, "setup", "office", *HCTH).exit_code == 0
    real, calls = accounts.office_unit, []

    def not_yet_committed():
        calls.append(1)
        return None if len(calls) == 1 else real()
    monkeypatch.setattr(accounts, "office_unit", not_yet_committed)
    with pytest.raises(accounts.AccountError, match="Đã có đơn vị Văn phòng"):
        accounts.save_unit(None, code="VP", name="Văn phòng Sở", email=None, make_office=True)
    assert units() == [("HCTH", True)]


def test_an_office_account_joins_the_office_unit_and_without_one_is_refused_with_the_way_to_make_it(app):
    refused = flask(app, "users", "create", "hcth@skhcn.example.gov.vn", "--role", "office")
    assert refused.exit_code != 0
    assert "Chưa có đơn vị Văn phòng" in refused.output and "flask --app wsgi setup office" in refused.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0

    flask(app, "setup", "office", *HCTH)
    flask(app, "setup", "unit", "--code", "QLKH", "--name", "Phòng Quản lý Khoa học")
    made = flask(app, "users", "create", "hcth@skhcn.example.gov.vn", "--role", "office")
    assert made.exit_code == 0 and "created office hcth@skhcn.example.gov.vn [HCTH]" in made.output
    named = flask(app, "users", "create", "vanthu@skhcn.example.gov.vn", "--role", "office", "--unit", "hcth")
    assert named.exit_code == 0 and "[HCTH]" in named.output
    elsewhere = flask(app, "users", "create", "x@skhcn.example.gov.vn", "--role", "office", "--unit", "QLKH")
    assert elsewhere.exit_code != 0 and "không thuộc đơn vị xử lý" in elsewhere.output


def test_an_office_account_saved_with_no_unit_chosen_stays_in_the_office(app, client, seeded):
    """The user form says "Văn phòng: để trống hoặc chọn Văn phòng": empty kept the account in no unit."""
    login(client, seeded["admin"])
    clerk = seeded["office"]
    saved = client.post(f"/quan-tri/nguoi-dung/{clerk.id}", data={
        "email": clerk.email, "full_name": clerk.full_name, "role": "office", "unit": "", "active": "y"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, clerk.id).unit.code == "HCTH"
    # a leader made a clerk joins the office too (another leader stays to approve answers)
    from feedback_app.services.accounts import create_user
    create_user("pho.giam.doc@skhcn.example.gov.vn", "leader", full_name="Phó Giám đốc")
    leader = seeded["leader"]
    assert client.post(f"/quan-tri/nguoi-dung/{leader.id}", data={
        "email": leader.email, "full_name": leader.full_name, "role": "office", "unit": "", "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, leader.id).unit.code == "HCTH"


# --- the office unit from the admin pages --------------------------------------------------------

def test_the_admin_marks_a_new_unit_as_the_office_while_there_is_none_and_the_pages_then_name_it(app, client):
    admin, _ = accounts.create_user("admin@skhcn.example.gov.vn", "admin", password="secret-pass")
    login(client, admin)
    listing = text(client.get("/quan-tri/don-vi"))
    assert "Chưa có đơn vị Văn phòng" in listing
    assert 'name="is_office"' in text(client.get("/quan-tri/don-vi/moi"))
    # an office account cannot be made before the office
    clerk = client.post("/quan-tri/nguoi-dung/moi", data={"email": "hcth@skhcn.example.gov.vn", "full_name": "Văn thư",
                                                         "role": "office", "unit": "", "password": "mat-khau-moi",
                                                         "active": "y"})
    assert clerk.status_code == 422 and "Chưa có đơn vị Văn phòng" in text(clerk)

    made = client.post("/quan-tri/don-vi/moi", data={"code": "HCTH", "name": "Phòng Hành chính - Tổng hợp",
                                                    "active": "y", "is_office": "y"})
    assert made.status_code == 302
    assert units() == [("HCTH", True)]
    listing = text(client.get("/quan-tri/don-vi"))
    assert "Chưa có đơn vị Văn phòng" not in listing and '<span class="badge">Văn phòng</span>' in listing

    # now there is one: the box is gone, the page names the office, and a second cannot be marked
    page = text(client.get("/quan-tri/don-vi/moi"))
    assert 'name="is_office"' not in page and "Văn phòng là Phòng Hành chính - Tổng hợp (HCTH)." in page
    assert client.post("/quan-tri/don-vi/moi", data={"code": "QLKH", "name": "Phòng Quản lý Khoa học", "active": "y",
                                                    "is_office": "y"}).status_code == 302
    assert units() == [("HCTH", True), ("QLKH", False)]
    office_id = db.session.execute(select(Unit.id).where(Unit.code == "HCTH")).scalar_one()
    assert "Đơn vị này là Văn phòng" in text(client.get(f"/quan-tri/don-vi/{office_id}"))
    # saving the office's own page keeps it the office
    assert client.post(f"/quan-tri/don-vi/{office_id}", data={"code": "HCTH", "name": "Văn phòng Sở",
                                                             "active": "y"}).status_code == 302
    assert units() == [("HCTH", True), ("QLKH", False)]

    clerk = client.post("/quan-tri/nguoi-dung/moi", data={"email": "hcth@skhcn.example.gov.vn", "full_name": "Văn thư",
                                                         "role": "office", "unit": "", "password": "mat-khau-moi",
                                                         "active": "y"})
    assert clerk.status_code == 302
    assert accounts.find_user("hcth@skhcn.example.gov.vn").unit.code == "HCTH"


def test_a_unit_with_its_own_accounts_cannot_be_made_the_office(app, client):
    admin, _ = accounts.create_user("admin@skhcn.example.gov.vn", "admin", password="secret-pass")
    qlkh = accounts.save_unit(None, code="QLKH", name="Phòng Quản lý Khoa học", email=None)
    accounts.create_user("qlkh@skhcn.example.gov.vn", "unit", unit_code="QLKH")
    login(client, admin)
    refused = client.post(f"/quan-tri/don-vi/{qlkh.id}", data={"code": "QLKH", "name": qlkh.name, "active": "y",
                                                              "is_office": "y"})
    assert refused.status_code == 422 and "không thể đặt làm Văn phòng" in text(refused)
    assert units() == [("QLKH", False)]
    with pytest.raises(accounts.AccountError, match="không thể ngừng hoạt động"):
        accounts.save_unit(None, code="HCTH", name="Phòng Hành chính - Tổng hợp", email=None, active=False,
                           make_office=True)


# --- what a case needs, checked ------------------------------------------------------------------

def test_setup_check_says_what_a_case_needs_until_the_first_install_is_done(app):
    first = flask(app, "setup", "check")
    assert first.exit_code == 1
    lines = first.output.splitlines()
    assert lines[0].startswith("ok ") and "database: migration" in lines[0]
    assert [line.split(":")[0].split(None, 1)[1] for line in lines if line.startswith("MISSING")] == [
        "admin account", "office unit (HCTH)", "office account", "leader account (approves answers)",
        "processing unit with an account", "categories (lĩnh vực) in use to classify into"]
    assert "flask --app wsgi setup office --code HCTH" in first.output

    for args in (["users", "create", "admin@skhcn.example.gov.vn", "--role", "admin"],
                 ["setup", "office", *HCTH],
                 ["users", "create", "hcth@skhcn.example.gov.vn", "--role", "office"],
                 ["users", "create", "lanhdao@skhcn.example.gov.vn", "--role", "leader"],
                 ["setup", "unit", "--code", "QLKH", "--name", "Phòng Quản lý Khoa học"],
                 ["setup", "unit", "--code", "TDC", "--name", "Chi cục Tiêu chuẩn Đo lường Chất lượng"],
                 ["users", "create", "qlkh@skhcn.example.gov.vn", "--role", "unit", "--unit", "QLKH"],
                 ["setup", "category", "--code", "TTHC", "--name", "Thủ tục hành chính", "--answer-days", "10"]):
        result = flask(app, *args)
        assert result.exit_code == 0, (args, result.output)
    done = flask(app, "setup", "check")
    assert done.exit_code == 0, done.output
    assert "MISSING" not in done.output
    assert "note     processing units without an account (cannot answer): TDC" in done.output
    assert "ok       office unit (HCTH): HCTH (Phòng Hành chính - Tổng hợp)" in done.output
    assert "ok       categories (lĩnh vực) in use to classify into: TTHC" in done.output


def test_setup_check_on_a_database_never_migrated_says_to_upgrade_it(app):
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    result = flask(app, "setup", "check")
    assert result.exit_code == 1
    assert result.output.startswith("MISSING  database: no migration applied (run flask --app wsgi db upgrade)")


def test_a_category_beyond_the_law_s_days_is_refused_by_the_command(app):
    result = flask(app, "setup", "category", "--code", "TTHC", "--name", "Thủ tục hành chính", "--answer-days", "500")
    assert result.exit_code != 0 and "Số ngày làm việc phải từ 1 đến" in result.output


# --- the demo stays out of production ------------------------------------------------------------

def test_seed_demo_is_refused_in_production_and_creates_nothing(tmp_path):
    app = create_app("production", SECRET_KEY="x" * 64, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                     UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        db.create_all()
        result = flask(app, "seed-demo")
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            "Error: seed-demo is refused with PAKN_ENV=production: see README, First install (flask --app wsgi setup check)"]
        for model in (Unit, User, OutboxMail):
            assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()


# --- the system packages of a production host ----------------------------------------------------

def system_deps(tmp_path, *args: str) -> tuple[int, list[str]]:
    """scripts/system-deps.sh with nothing installed that a PATH can hide (no dot, no pg_dump, no Pango),
    as root, with an apt-get that writes down what it was asked to install."""
    stubs, asked = tmp_path / "bin", tmp_path / "apt-get.log"
    stubs.mkdir(exist_ok=True)
    for name, script in (("id", "echo 0"), ("ldconfig", "exit 0"), ("apt-get", f'echo "$@" >> {asked}')):
        (stubs / name).write_text(f"#!/bin/sh\n{script}\n")
        (stubs / name).chmod(0o755)
    for tool in ("grep", "ls"):
        if not (stubs / tool).exists():
            (stubs / tool).symlink_to(shutil.which(tool))
    asked.unlink(missing_ok=True)
    run = subprocess.run([shutil.which("bash"), str(ROOT / "scripts" / "system-deps.sh"), *args], cwd=ROOT,
                         env={"PATH": str(stubs)}, capture_output=True, text=True, timeout=30)
    packages = [p for line in asked.read_text().splitlines() for p in line.split()[3:]] if asked.exists() else []
    return run.returncode, packages


def test_system_deps_for_a_server_installs_pango_and_pg_dump_but_no_browser_nor_graphviz(tmp_path):
    code, packages = system_deps(tmp_path, "--server")
    assert code == 0
    assert {"postgresql-client", "libpango-1.0-0", "libpangoft2-1.0-0"} <= set(packages)
    assert not {"chromium", "graphviz", "postgresql"} & set(packages)


def test_system_deps_by_default_still_installs_what_the_tests_need(tmp_path):
    code, packages = system_deps(tmp_path)
    assert code == 0
    assert {"graphviz", "libpango-1.0-0"} <= set(packages) and "postgresql-client" not in packages
    assert ("chromium" in packages) == (not os.path.exists("/usr/bin/chromium"))
    code, packages = system_deps(tmp_path, "--postgres")
    assert code == 0 and "graphviz" in packages
    assert ("postgresql" in packages) == (not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")))
    assert system_deps(tmp_path, "--sever")[0] == 2  # a mistyped mode is not taken for the default
    code, packages = system_deps(tmp_path, "--bench")  # make bench: the load generator too (the PATH has none)
    assert code == 0 and {"wrk", "graphviz"} <= set(packages)
    assert "wrk" not in system_deps(tmp_path)[1]


def test_the_office_box_and_its_notice_read_in_english_on_an_english_page(app, client):
    admin, _ = accounts.create_user("admin@skhcn.example.gov.vn", "admin", password="secret-pass")
    login(client, admin)
    assert "There is no office unit (General Affairs Office, HCTH) yet" in text(client.get("/quan-tri/don-vi?lang=en"))
    page = text(client.get("/quan-tri/don-vi/moi"))
    assert "Is the office (General Affairs Office, HCTH)" in page and "Only one unit is the office" in page
