"""A file lost for good (a disk error, in no backup either): ``flask files missing`` finds it with its
case, ``flask files mark-lost`` marks it after a look in the older backups, and then the nightly backup
runs again (listing it in MISSING.txt, pruning as ever) and the pages name it as lost instead of linking
to a 404; ``flask files found`` takes the mark off when the file comes back."""
from __future__ import annotations

import tarfile

import pytest

from deadline_helpers import sign_in
from feedback_app.extensions import db
from feedback_app.models import Attachment
from feedback_app.services.accounts import new_token
from feedback_app.services.cases import apply_event
from tests.test_backup import PDF, backups, three_attachments_and_two_older_nights
from tests.test_public_status import look_up
from tests.test_reply_files import drafted_with_files
from workflows.lifecycle import State

NOTE = "Không có trong các bản sao lưu 01/03 và 02/03/2024 (tar -tf)"


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def test_a_lost_file_is_found_marked_and_no_longer_stops_the_nightly_backup(app, clock, tmp_path):
    clock.set("2024-03-04T09:00:00+07:00")
    target = tmp_path / "backups"
    (lost, *kept), older = three_attachments_and_two_older_nights(target)
    uploads = tmp_path / "uploads"
    (uploads / lost).unlink()
    code = db.session.query(Attachment).filter_by(stored_name=lost).one().feedback.code

    listed = run(app, "files", "missing")
    assert listed.exit_code == 1  # not marked: the nightly backup refuses, and so does monitoring
    line, summary = listed.output.splitlines()[:2]
    assert line.startswith(f"{lost}  {code}  submission  'hồ sơ.pdf'") and "uploaded 2024-03-04" in line
    assert "1 of the 3 files the database names are missing" in summary and "0 marked lost" in summary
    assert "mark-lost" in listed.output
    assert run(app, "backup", "--to", target, "--keep", "1").exit_code == 1

    # refused, all or nothing: a name no file has, a file that is there, no note
    unknown = run(app, "files", "mark-lost", lost, "khong-co.pdf", "--note", NOTE)
    assert unknown.exit_code == 1 and "no uploaded file is stored as khong-co.pdf" in unknown.output
    present = run(app, "files", "mark-lost", lost, kept[0], "--note", NOTE)
    assert present.exit_code == 1 and f"{kept[0]} is in UPLOAD_DIR" in present.output
    blank = run(app, "files", "mark-lost", lost, "--note", "   ")
    assert blank.exit_code == 1 and "what was looked at" in blank.output
    assert db.session.query(Attachment).filter(Attachment.lost_at.is_not(None)).count() == 0

    marked = run(app, "files", "mark-lost", lost, "--note", NOTE)
    assert marked.exit_code == 0, marked.output
    assert f"marked lost: {lost} ('hồ sơ.pdf' of {code})" in marked.output
    row = db.session.query(Attachment).filter_by(stored_name=lost).one()
    db.session.refresh(row)
    assert row.lost_note == NOTE and row.lost_at.isoformat().startswith("2024-03-04T02:00")
    again = run(app, "files", "mark-lost", lost, "--note", "một ghi chú khác")
    assert again.exit_code == 0 and "1 marked before: their date and note kept" in again.output
    db.session.refresh(row)
    assert row.lost_note == NOTE
    listed = run(app, "files", "missing")
    assert listed.exit_code == 0 and f"marked lost on 2024-03-04: {NOTE}" in listed.output

    # the nightly run (no option) goes on, lists the file, and prunes as ever: the older copies were looked at
    nightly = run(app, "backup", "--to", target, "--keep", "1")
    assert nightly.exit_code == 0, nightly.output
    assert f"{lost} (marked lost on 2024-03-04)" in nightly.output and "not pruned" not in nightly.output
    assert [name[:21] for name in backups(target)] == ["pakn-20240304T020000Z"] * 2
    (tar,) = target.glob("*-uploads.tar")
    with tarfile.open(tar) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}
    assert members.keys() == {f"uploads/{name}" for name in kept} | {"MISSING.txt"}
    listing = [line for line in members["MISSING.txt"].decode().splitlines() if not line.startswith("#")]
    assert listing == [f"{lost}\tmarked lost on 2024-03-04"]

    # a second file gone, not marked: refused as before, the marked one not counted against it
    (uploads / kept[0]).unlink()
    clock.set("2024-03-05T09:00:00+07:00")
    refused = run(app, "backup", "--to", target, "--keep", "1")
    assert refused.exit_code == 1 and "1 of the 3 uploaded files" in refused.output and kept[0] in refused.output
    assert "besides those marked lost" in refused.output

    # the lost one comes back (a copy found later): the mark goes only once it is there
    not_back = run(app, "files", "found", lost)
    assert not_back.exit_code == 1 and "still missing" in not_back.output
    assert run(app, "files", "found", kept[1]).exit_code == 1  # never marked
    (uploads / lost).write_bytes(PDF)
    found = run(app, "files", "found", lost)
    assert found.exit_code == 0 and f"found again: {lost}" in found.output
    row = db.session.query(Attachment).filter_by(stored_name=lost).one()  # the backup ended the session
    assert row.lost_at is None and row.lost_note is None


def test_with_the_share_not_mounted_the_list_names_the_first_files_and_counts_the_rest(app, clock, tmp_path,
                                                                                        monkeypatch):
    import feedback_app.cli
    monkeypatch.setattr(feedback_app.cli, "FILES_LISTED", 2)
    three_attachments_and_two_older_nights(tmp_path / "backups")
    app.config["UPLOAD_DIR"] = str(tmp_path / "mnt-empty")
    listed = run(app, "files", "missing")
    lines = listed.output.splitlines()
    assert listed.exit_code == 1 and len([line for line in lines if "submission" in line]) == 2
    assert "… and 1 more" in lines and "3 of the 3 files the database names are missing" in listed.output
    assert "is the share mounted?" in listed.output


def test_nothing_is_marked_lost_while_the_share_is_not_mounted(app, clock, tmp_path):
    """Every file missing at once is the share, not the files: marking them would let the backup prune."""
    (first, *_), _ = three_attachments_and_two_older_nights(tmp_path / "backups")
    app.config["UPLOAD_DIR"] = str(tmp_path / "mnt-empty")
    refused = run(app, "files", "mark-lost", first, "--note", NOTE)
    assert refused.exit_code == 1 and "none of the 3 files" in refused.output and "mounted" in refused.output
    every = [a.stored_name for a in db.session.query(Attachment)]
    refused = run(app, "files", "mark-lost", *every, "--note", NOTE)  # each one named: still the share
    assert refused.exit_code == 1 and "--none-left" in refused.output
    assert db.session.query(Attachment).filter(Attachment.lost_at.is_not(None)).count() == 0
    checked = run(app, "files", "mark-lost", *every, "--note", NOTE, "--none-left")  # the operator looked
    assert checked.exit_code == 0 and db.session.query(Attachment).filter(Attachment.lost_at.is_not(None)).count() == 3


def test_an_answer_is_not_sent_for_approval_with_a_lost_draft_file_and_a_lost_sent_one_leaves_the_mail(
        app, client, clock, seeded, smtp, tmp_path):
    """A unit removes a lost draft file before the draft goes on; a file the citizen already holds that is
    lost later leaves a revised answer's mail without it, instead of failing it for ever."""
    from feedback_app.services import outbox, staff
    from feedback_app.services.cases import find
    case = drafted_with_files(seeded)
    apply_event(case, "request_changes", seeded["leader"], {"note": "Bổ sung căn cứ pháp lý của câu trả lời"})
    (draft,) = [a for a in find(case.code).attachments if a.kind == "reply"]
    (tmp_path / "uploads" / draft.stored_name).unlink()
    assert run(app, "files", "mark-lost", draft.stored_name, "--note", NOTE, "--none-left").exit_code == 0
    case = find(case.code)
    with pytest.raises(staff.StaffInputError) as refused:
        staff.submit_draft(case, seeded["QLCN"], "Trả lời đã bổ sung căn cứ.", [], case.version)
    assert "Công văn trả lời số 12.pdf của dự thảo đã bị mất" in str(refused.value)
    assert find(case.code).state == "forwarded"
    # the staff API is held to the same rule as the case page
    token = {"Authorization": f"Bearer {new_token(seeded['QLCN'])}"}
    by_api = client.post(f"/api/v1/feedback/{case.code}/events/submit_draft", headers=token,
                         json={"reply": "Trả lời đã bổ sung căn cứ.", "version": case.version})
    assert by_api.status_code == 422 and "Công văn trả lời số 12.pdf" in by_api.json["errors"]["attachments"]
    assert find(case.code).state == "forwarded"
    staff.remove_draft_file(case, seeded["QLCN"], draft.id, case.version)
    staff.submit_draft(find(case.code), seeded["QLCN"], "Trả lời đã bổ sung căn cứ.", [], find(case.code).version)
    apply_event(find(case.code), "approve", seeded["leader"])
    assert outbox.flush().failed == 0
    (mail,) = [m for m in smtp.inbox.wait_for(2) if "Trả lời" in m["Subject"]]
    assert "Trả lời đã bổ sung căn cứ." in mail.get_body(("plain",)).get_content()

    # sent with the answer, then lost: a revision's mail goes without it (and does not name it)
    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    outbox.flush()
    (sent,) = [a for a in find(case.code).attachments if a.kind == "reply"]
    (tmp_path / "uploads" / sent.stored_name).unlink()
    assert run(app, "files", "mark-lost", sent.stored_name, "--note", NOTE, "--none-left").exit_code == 0
    apply_event(find(case.code), "return_answer", seeded["office"], {"reason": "Chưa nêu rõ căn cứ pháp lý để công khai"})
    staff.submit_draft(find(case.code), seeded["QLCN"], "Câu trả lời đã hoàn thiện.", [], find(case.code).version)
    apply_event(find(case.code), "approve", seeded["leader"])
    assert outbox.flush().failed == 0
    (revised,) = [m for m in smtp.inbox.wait_for(9) if "Câu trả lời đã hoàn thiện." in m.get_body(("plain",)).get_content()]
    assert "Công văn trả lời số 12.pdf" not in revised.get_body(("plain",)).get_content()
    assert not [p for p in revised.walk() if p.get_filename()]


def test_staff_and_the_citizen_see_a_lost_file_named_as_lost_not_a_dead_link(app, client, clock, seeded, tmp_path):
    case = drafted_with_files(seeded)
    apply_event(case, "approve", seeded["leader"])
    assert case.state == State.ANSWERED.value
    (reply,) = [a for a in case.attachments if a.kind == "reply"]
    (tmp_path / "uploads" / reply.stored_name).unlink()
    assert run(app, "files", "mark-lost", reply.stored_name, "--note", NOTE, "--none-left").exit_code == 0
    download = f"/van-phong/tep/{reply.id}"

    sign_in(client, seeded["office"])
    page = client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    files = page[page.index('id="reply-files"'):]
    files = files[:files.index("</ul>")]
    assert "Công văn trả lời số 12.pdf" in files and "tệp đã bị mất, ghi nhận ngày" in files and NOTE in files
    assert "<a " not in files and download not in page

    citizen = app.test_client()
    look_up(citizen, case.code, "0905123456")
    status = citizen.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    listed = status[status.index('id="reply-files"'):]
    listed = listed[:listed.index("</ul>")]
    assert "Công văn trả lời số 12.pdf" in listed and "tệp này đã bị mất; xin liên hệ cơ quan để được gửi lại" in listed
    assert "<a " not in listed and NOTE not in status  # the note is for staff
    english = citizen.get(f"/tra-cuu/{case.code}?lang=en").get_data(as_text=True)
    assert "this file has been lost; please contact the department" in english
