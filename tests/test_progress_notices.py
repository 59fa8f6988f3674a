"""Progress notices to the citizen while a case is still open after its answer's due date: every
``progress_notice_days`` (7) working days after that date (brief, "Decisions for pakn"; QĐ 574/QĐ-TTg,
QĐ 852/QĐ-BNV), by the deadline sweep, once each, across weekends and holidays, never after the answer.

Forwarded Monday 4 March 2024, answer due Monday 25 March: notices on Wednesday 3/4, Friday 12/4,
Wednesday 24/4 (after Giỗ Tổ Hùng Vương, 18/4) and Tuesday 7/5 (after 29/4 - 1/5)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import CitizenNotice, DeadlineNotice, OutboxMail, Transition
from feedback_app.services import citizen_notices
from feedback_app.services.cases import apply_event
from feedback_app.services.outbox import deliver_due
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import SUBMISSION, count, forwarded_case, in_parallel, sign_in

NOTICE_DAYS = [date(2024, 4, 3), date(2024, 4, 12), date(2024, 4, 24), date(2024, 5, 7)]


def sweep_on(day: date, hour: int = 8):
    return sweep(parse_instant(f"{day.isoformat()}T{hour:02d}:00:00+07:00"))


def progress_days() -> list[date]:
    return list(db.session.execute(select(DeadlineNotice.due_date).where(DeadlineNotice.kind == "progress")
                                   .order_by(DeadlineNotice.due_date)).scalars())


def owed_progress(given: bool = False) -> list[CitizenNotice]:
    query = select(CitizenNotice).where(CitizenNotice.kind == "progress").order_by(CitizenNotice.id)
    db.session.expire_all()
    return list(db.session.execute(query if given else query.where(CitizenNotice.given_on.is_(None))).scalars())


def progress_mails() -> list[OutboxMail]:
    return list(db.session.execute(select(OutboxMail).where(OutboxMail.kind == "progress")
                                   .order_by(OutboxMail.id)).scalars())


def test_a_late_case_gets_a_progress_notice_every_seven_working_days_across_weekends_and_holidays(
        app, clock, seeded, smtp):
    case = forwarded_case(seeded)
    sent_on = []
    day = date(2024, 3, 25)
    while day <= date(2024, 5, 10):  # a sweep every calendar day, weekends and holidays included
        for hour in (0, 8, 16):
            if sweep_on(day, hour).progress:
                sent_on.append(day)
        day += timedelta(days=1)
    assert sent_on == NOTICE_DAYS
    assert progress_days() == NOTICE_DAYS
    mails = progress_mails()
    assert [m.key for m in mails] == [f"progress:{case.code}:{d.isoformat()}" for d in NOTICE_DAYS]
    clock.set("2024-05-10T09:00:00+07:00")
    assert deliver_due().sent >= len(NOTICE_DAYS)
    delivered = [m for m in smtp.inbox.wait_for(len(NOTICE_DAYS) + 2) if "tiến độ" in m["Subject"]]
    assert len(delivered) == len(NOTICE_DAYS)
    message = delivered[0]
    assert message["X-Envelope-To"] == "an@example.com" and case.code in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "vẫn đang được" in body and "xem xét, xử lý" in body
    assert "Tình trạng hiện nay: Đang xử lý" in body and "Phòng Quản lý Khoa học" in body
    assert "Hạn trả lời ban đầu: 25/03/2024" in body
    assert "Ngày hẹn trả kết quả (phiếu xin lỗi số 001/PXL): 01/04/2024" in body
    assert "Ngày hẹn này đã qua" in body and "Lãnh đạo Sở" in body  # 1/4 passed and was escalated
    assert f"/tra-cuu?code={case.code}" in body
    assert "7 ngày làm việc một lần" in body
    notes = db.session.execute(select(Transition).where(Transition.event == "progress_notice")).scalars().all()
    assert len(notes) == len(NOTICE_DAYS) and all(t.public and t.actor_label == "Hệ thống" for t in notes)


def test_no_progress_notice_once_the_answer_is_sent(app, clock, seeded):
    case = forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))
    assert sweep_on(date(2024, 4, 3)).progress == 1
    clock.set("2024-04-05T09:00:00+07:00")
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Thời hạn giải quyết là 30 ngày."})
    assert sweep_on(date(2024, 4, 12)).progress == 1  # awaiting the leader's approval: still open
    clock.set("2024-04-15T09:00:00+07:00")
    apply_event(case, "approve", seeded["leader"])
    for day in (date(2024, 4, 24), date(2024, 5, 7), date(2024, 6, 3)):
        assert sweep_on(day).progress == 0
    assert progress_days() == NOTICE_DAYS[:2]


def test_a_sweep_run_twice_or_after_a_downtime_sends_only_the_latest_missed_notice_once(app, clock, seeded):
    forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))
    result = sweep_on(date(2024, 4, 25))  # down from 26/3 until after the third notice day
    assert result.progress == 1
    assert progress_days() == [date(2024, 4, 24)]
    for hour in (9, 10, 23):
        again = sweep_on(date(2024, 4, 25), hour)
        assert (again.progress, again.skipped) == (0, 0)
    assert len(progress_mails()) == 1 and count(Transition, Transition.event == "progress_notice") == 1
    assert sweep_on(date(2024, 5, 7)).progress == 1


def test_a_letter_written_late_is_not_repeated_by_a_notice_the_same_day(app, clock, seeded):
    """The first sweep after a downtime writes the letter (its mail held for the reason): a notice day
    that passed before it is news the letter gives, and the next notice follows the schedule."""
    forwarded_case(seeded)
    result = sweep_on(date(2024, 4, 25))  # down since before the answer's due date (25/3)
    assert (result.letters, result.progress) == (1, 0)
    assert progress_days() == [] and progress_mails() == []
    assert sweep_on(date(2024, 5, 7)).progress == 1 and progress_days() == [date(2024, 5, 7)]


def test_the_unit_s_own_promise_is_named_and_still_ahead(app, clock, seeded):
    case = forwarded_case(seeded)
    clock.set("2024-03-20T10:00:00+07:00")
    apply_event(case, "extend", seeded["QLKH"], {"reason": "Cần lấy ý kiến Sở Tài chính.", "new_date": "2024-04-05"})
    assert sweep_on(date(2024, 4, 2)).progress == 0
    assert sweep_on(date(2024, 4, 3)).progress == 1  # 7 working days after the first due date, 25/3
    [mail] = progress_mails()
    assert "Hạn trả lời ban đầu: 25/03/2024" in mail.body_text
    assert "(phiếu xin lỗi số 001/PXL): 05/04/2024" in mail.body_text
    assert "đã qua" not in mail.body_text


def test_a_case_returned_to_hcth_after_its_due_date_still_gets_its_notices(app, clock, seeded):
    case = forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))
    clock.set("2024-03-27T09:00:00+07:00")
    apply_event(case, "return_to_office", seeded["QLKH"], {"reason": "Không thuộc thẩm quyền của phòng"})
    assert sweep_on(date(2024, 4, 3)).progress == 1
    [mail] = progress_mails()
    assert "Tình trạng hiện nay: Đã phân loại" in mail.body_text


def test_without_an_e_mail_hcth_owes_the_latest_notice_by_phone_and_nobody_to_tell_is_owed_none(
        app, clock, seeded):
    case = forwarded_case(seeded, submission=replace(SUBMISSION, email=None))
    # a sender who left neither a phone nor an address nor an e-mail cannot be told: nothing owed
    forwarded_case(seeded, submission=replace(SUBMISSION, email=None, phone=None, address=""))
    sweep_on(date(2024, 3, 26))
    assert sweep_on(NOTICE_DAYS[0]).progress == 1
    assert progress_mails() == [] and progress_days() == NOTICE_DAYS[:1]
    (first,) = owed_progress()
    assert first.key == f"progress:{case.code}:2024-04-03" and first.subject.startswith("Thông báo tiến độ xử lý")
    assert "Hạn trả lời ban đầu: 25/03/2024" in first.body_text

    # not given by the next notice day: the newer one replaces it, HCTH calls once
    assert sweep_on(NOTICE_DAYS[1]).progress == 1
    (second,) = owed_progress()
    assert second.key == f"progress:{case.code}:2024-04-12"
    clock.set("2024-04-12T10:00:00+07:00")
    citizen_notices.record_given(second.id, "phone", NOTICE_DAYS[1], seeded["office"])
    assert sweep_on(NOTICE_DAYS[2]).progress == 1  # a notice given stays on record
    assert [(n.key[-10:], n.given_how) for n in owed_progress(given=True)] == [("2024-04-12", "phone"),
                                                                             ("2024-04-24", None)]
    assert progress_days() == NOTICE_DAYS[:3]


def test_the_interval_is_configurable_and_zero_turns_the_notices_off(app, clock, seeded):
    app.config["PAKN_DEADLINES"] = {"progress_notice_days": 5}
    forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))
    assert sweep_on(date(2024, 3, 29)).progress == 0
    assert sweep_on(date(2024, 4, 1)).progress == 1  # 25/3 + 5 working days
    assert "5 ngày làm việc một lần" in progress_mails()[0].body_text
    app.config["PAKN_DEADLINES"] = {"progress_notice_days": 0}
    assert sweep_on(date(2024, 6, 3)).progress == 0


def test_the_notice_is_in_the_audit_trail_with_its_label_for_staff_and_citizen(app, client, clock, seeded):
    case = forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))
    sweep_on(date(2024, 4, 3))
    clock.set("2024-04-03T10:00:00+07:00")
    sign_in(client, seeded["office"])
    staff = client.get(f"/van-phong/ho-so/{case.code}").get_data(as_text=True)
    assert "Thông báo tiến độ cho người gửi (quá hạn trả lời)" in staff
    assert client.post("/tra-cuu", data={"code": case.code, "contact": SUBMISSION.phone}).status_code == 303
    public = client.get(f"/tra-cuu/{case.code}").get_data(as_text=True)
    steps = public[public.index('id="steps"'):]
    assert "Thông báo tiến độ xử lý" in steps and not re.search(r"\bprogress_notice\b", steps)


@pytest.mark.postgres_only
def test_two_sweeps_in_parallel_on_postgresql_send_each_progress_notice_once(app, clock, seeded):
    cases = [forwarded_case(seeded) for _ in range(20)]
    sweep_on(date(2024, 3, 26))
    at = parse_instant("2024-04-03T08:00:00+07:00")
    results = in_parallel(app, lambda: sweep(at, batch=7))
    assert sum(r.progress for r in results) == len(cases)
    db.session.expire_all()
    assert count(DeadlineNotice, DeadlineNotice.kind == "progress") == len(cases)
    assert count(OutboxMail, OutboxMail.kind == "progress") == len(cases)
    assert sweep(at).progress == 0


def test_a_sweep_reads_the_letters_of_its_overdue_cases_in_one_query_not_one_per_case(app, clock, seeded):
    from sqlalchemy import event
    for _ in range(12):
        forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))  # twelve letters
    assert sweep_on(NOTICE_DAYS[0]).progress == 12
    statements = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert sweep_on(NOTICE_DAYS[0], hour=16).progress == 0  # the same day again: nothing to send
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    letters = [s for s in statements if "apology_letters" in s]
    assert len(letters) <= 3, letters  # the progress pass: one query per batch, not twelve


def test_the_sync_export_since_a_moment_carries_a_case_whose_only_news_is_a_progress_notice(
        app, client, clock, seeded):
    """The progress notice is a public step of the history the export sends, written without changing the
    case itself (its ``updated_at`` stays): the national system must still get the case again."""
    from flask import g

    from feedback_app.models import ApiToken
    from feedback_app.auth import token_hash

    case = forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))  # the apology letter: the case changes
    changed = case.updated_at
    assert sweep_on(date(2024, 4, 3)).progress == 1
    db.session.refresh(case)
    assert case.updated_at == changed  # the notice did not touch the case
    db.session.add(ApiToken(user=seeded["office"], token_hash=token_hash("sync-tok")))
    db.session.commit()
    g.pop("api_user", None)
    lines = client.get("/api/v1/export?since=2024-04-02T00:00:00%2B07:00",
                       headers={"Authorization": "Bearer sync-tok"}).get_data(as_text=True).splitlines()
    (line,) = [json.loads(x) for x in lines]
    assert line["code"] == case.code and line["history"][-1]["event"] == "progress_notice"
    g.pop("api_user", None)
    later = client.get("/api/v1/export?since=2024-04-04T00:00:00%2B07:00", headers={"Authorization": "Bearer sync-tok"})
    assert later.get_data(as_text=True) == ""


def test_the_sync_export_carries_a_case_again_when_its_automatic_letter_becomes_public(app, client, clock, seeded):
    """The letter and its step show from the end of its grace period (its mail leaves), when no row of the
    case changes: a mirror polling during the grace period still gets them, on its next poll."""
    from flask import g

    from feedback_app.auth import token_hash
    from feedback_app.models import ApiToken

    case = forwarded_case(seeded)
    sweep_on(date(2024, 3, 26))  # the letter, made at 08:00; public at 12:00 (4 office hours later)
    db.session.add(ApiToken(user=seeded["office"], token_hash=token_hash("sync-tok")))
    db.session.commit()

    def export(since: str) -> list[dict]:
        g.pop("api_user", None)
        body = client.get(f"/api/v1/export?since={since}", headers={"Authorization": "Bearer sync-tok"})
        return [json.loads(x) for x in body.get_data(as_text=True).splitlines()]

    clock.set("2024-03-26T11:00:00+07:00")
    (line,) = export("2024-03-26T07:00:00%2B07:00")  # the poll during the grace period
    assert line["letters"] == [] and "apology_letter" not in [row["event"] for row in line["history"]]
    assert export("2024-03-26T11:00:00%2B07:00") == []  # nothing new yet
    clock.set("2024-03-26T12:30:00+07:00")
    (line,) = export("2024-03-26T11:00:00%2B07:00")  # the next poll: the letter is out
    assert line["code"] == case.code and [x["number"] for x in line["letters"]] == ["001/PXL"]
    assert line["history"][-1]["event"] == "apology_letter"
    assert export("2024-03-26T12:30:00%2B07:00") == []  # and only once
