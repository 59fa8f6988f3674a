"""The case service on a real database: every event writes its audit row, moves the due date, and a
stale version or a conflicting writer is refused without a double transition."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Attachment, Feedback, OutboxMail, Transition, WebhookDelivery
from feedback_app.services.cases import CITIZEN, StaleCase, Submission, apply_event, receive
from workflows.lifecycle import ActorNotAllowed, InvalidEventArguments, TransitionNotAllowed

SUBMISSION = Submission(full_name="Nguyễn Văn An", address="Số 12 đường Lê Lợi, Quảng Ngãi", phone="0905123456",
                        email="an@example.com", title="Thời hạn giải quyết thủ tục",
                        content="Đề nghị cho biết thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ KH&CN.",
                        consent_publish=True)


def test_receive_gives_a_code_a_due_date_an_audit_row_and_a_mail(app, clock, seeded):
    clock.set("2024-02-07T10:00:00+07:00")  # Wednesday before Tết 2024 (8-14 Feb off)
    case = receive(SUBMISSION)
    assert case.code == "PAKN.20240207.0001"
    assert case.state == "received" and case.version == 1
    assert case.due_date == date(2024, 2, 21) and case.due_step == "classify"
    assert "Điều 9.1d" in case.due_basis
    assert receive(SUBMISSION).code == "PAKN.20240207.0002"
    rows = db.session.execute(select(Transition).where(Transition.feedback_id == case.id)).scalars().all()
    assert [(r.event, r.to_state) for r in rows] == [("receive", "received")]
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.key == f"received:{case.code}")).scalar_one()
    assert mail.recipients == "an@example.com" and case.code in mail.body_text


def test_a_submission_writes_its_three_rows_in_one_statement_on_postgresql_and_they_read_back_whole(
        app, clock, seeded):
    """rows.insert_family: the case, its audit row and its receipt mail, with the columns' defaults,
    linked to the case; one round trip on PostgreSQL, three INSERTs elsewhere."""
    from sqlalchemy import event

    writes = []
    listen = ("before_cursor_execute", lambda conn, cursor, statement, *_: writes.append(statement))
    event.listen(db.engine, *listen)
    try:
        case = receive(SUBMISSION)
    finally:
        event.remove(db.engine, *listen)
    inserts = [w for w in writes if "INSERT" in w and "INTO counters" not in w]  # not the code block
    assert len(inserts) == (1 if db.engine.dialect.name == "postgresql" else 3)
    ids = case.id, case.transitions[0].id
    db.session.expire_all()
    stored = db.session.get(Feedback, ids[0])
    (row,) = stored.transitions
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.feedback_id == stored.id)).scalar_one()
    assert (row.id, row.event, row.actor_label, row.at) == (ids[1], "receive", "Người gửi", stored.received_at)
    assert (stored.state, stored.version, stored.paused_days, stored.language) == ("received", 1, 0, "vi")
    assert stored.created_at is not None and mail.created_at is not None
    assert (mail.status, mail.attempts, mail.key) == ("pending", 0, f"received:{stored.code}")
    # stored as the ORM stores them (on SQLite, text in its format): a query by the same instant finds them
    assert db.session.scalars(select(Feedback.id).where(Feedback.received_at == stored.received_at)).all() == [stored.id]
    assert db.session.scalars(select(Transition.id).where(Transition.at == row.at)).all() == [row.id]
    assert db.session.scalars(select(OutboxMail.id).where(OutboxMail.created_at == mail.created_at)).all() == [mail.id]


def test_a_submission_s_rows_are_committed_before_they_join_the_session(app, clock, seeded):
    """rows.insert_family(alone=True): on SQLite the commit follows the three INSERTs at once, so that
    the file's writer lock is not held while the rows are handed to the session; on PostgreSQL their
    one statement committed them. Either way another connection sees all three rows by the time the
    case joins the session."""
    from sqlalchemy import event

    from feedback_app.services import submissions

    app.config.update(CALENDAR_CACHE_SECONDS=3600)
    receive(SUBMISSION)  # a process's first submission reads the calendar in the session's transaction
    seen = []

    def attached(session, obj):
        if isinstance(obj, Feedback):
            with db.engine.connect() as other:
                def stored(model, column):
                    return other.execute(select(func.count()).select_from(model).where(column == obj.id)).scalar()
                seen.append((stored(Feedback, Feedback.id), stored(Transition, Transition.feedback_id),
                             stored(OutboxMail, OutboxMail.feedback_id)))
    event.listen(db.session, "after_attach", attached)
    try:
        case = submissions.submit(SUBMISSION)
    finally:
        event.remove(db.session, "after_attach", attached)
    assert seen == [(1, 1, 1)] and case.id is not None and case.transitions[0].event == "receive"


def test_a_committed_submission_leaves_its_audit_row_and_mail_out_of_the_session_but_not_one_tied_to_the_case(
        app, clock, seeded):
    """rows.insert_family(alone=True) hands the case to the session, not its children (their transaction
    is over); a child tied to the case through the relationship would join with it and be written
    twice, so that is refused."""
    from feedback_app.services.rows import insert_family

    case = receive(SUBMISSION)
    assert case in db.session and not db.session.new and not db.session.dirty
    assert [t.event for t in case.transitions] == ["receive"]  # loaded from the database when asked

    tied = Feedback(**SUBMISSION.as_stored(), language="vi", received_at=clock.now(), state="received",
                    code="PAKN.20240304.9999")
    row = Transition(event="receive", from_state="received", to_state="received", actor_label=CITIZEN.full_name,
                     at=clock.now(), public=True)
    row.feedback = tied  # the relationship, where receive() sets feedback_id alone
    with pytest.raises(RuntimeError, match="Transition joined the session with its parent"):
        insert_family(tied, [row], link="feedback_id", alone=True)
    db.session.rollback()


@pytest.mark.postgres_only
@pytest.mark.parametrize("webhook,attachment", [(None, False), ("http://127.0.0.1:9/hook", False), (None, True)])
def test_on_postgresql_a_submission_with_nothing_else_to_write_is_committed_by_its_one_statement(
        app, clock, seeded, webhook, attachment):
    """rows.insert_family(alone=True): no BEGIN before the statement, so no transaction is open after
    it (PostgreSQL committed it); a webhook's delivery row or an attachment must share the case's
    transaction instead."""
    from sqlalchemy import event

    from feedback_app.services import submissions

    app.config.update(WEBHOOK_URL=webhook, CALENDAR_CACHE_SECONDS=3600)
    receive(SUBMISSION)  # a process's first submission reads the calendar in the session's transaction
    files = [submissions.CheckedFile("a.pdf", "pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")] if attachment else []
    after_insert = []

    def record(conn, cursor, statement, *_):
        if "INSERT INTO feedback" in statement:
            after_insert.append(conn.connection.driver_connection.info.transaction_status.name)
    event.listen(db.engine, "after_cursor_execute", record)
    try:
        case = submissions.submit(SUBMISSION, files)
    finally:
        event.remove(db.engine, "after_cursor_execute", record)
    assert after_insert == (["INTRANS"] if webhook or attachment else ["IDLE"])
    with db.engine.connect() as other:
        def stored(model):
            return other.execute(select(func.count()).select_from(model).where(model.feedback_id == case.id)).scalar()
        assert (stored(Transition), stored(OutboxMail)) == (1, 1)
        assert stored(WebhookDelivery) == (1 if webhook else 0)
        assert stored(Attachment) == (1 if attachment else 0)


def test_full_path_to_publication_with_audit(app, clock, seeded):
    case = receive(SUBMISSION)
    office, leader, unit = seeded["office"], seeded["leader"], seeded["QLKH"]
    apply_event(case, "classify", office, {"category": "TTHC"})
    apply_event(case, "forward", office, {"unit": "QLKH", "note": "xử lý"})
    assert case.unit.code == "QLKH" and case.due_step == "answer"
    # 15 working days from forwarding on Mon 4 Mar 2024, and never after 20 from receipt
    assert case.due_date == date(2024, 3, 25)
    apply_event(case, "submit_draft", unit, {"reply": "Thời hạn là 10 ngày làm việc."})
    apply_event(case, "request_changes", leader, {"note": "Ghi rõ căn cứ"})
    apply_event(case, "submit_draft", unit, {"reply": "Theo Quyết định ..., thời hạn là 10 ngày làm việc."})
    apply_event(case, "approve", leader)
    assert case.state == "answered" and case.answered_on_time is True and case.due_step == "publish"
    apply_event(case, "publish", office)
    assert case.state == "published" and case.due_date is None
    assert "Nguyễn Văn An" not in (case.public_question or "") + (case.public_answer or "")
    trail = db.session.execute(select(Transition.event, Transition.from_state, Transition.to_state, Transition.actor_id)
                               .where(Transition.feedback_id == case.id).order_by(Transition.id)).all()
    assert [t[:3] for t in trail] == [
        ("receive", "received", "received"), ("classify", "received", "classified"),
        ("forward", "classified", "forwarded"), ("submit_draft", "forwarded", "under_review"),
        ("request_changes", "under_review", "forwarded"), ("submit_draft", "forwarded", "under_review"),
        ("approve", "under_review", "answered"), ("publish", "answered", "published")]
    assert trail[-2][3] == leader.id and trail[-1][3] == office.id
    assert db.session.execute(select(OutboxMail).where(OutboxMail.key == f"answered:{case.code}")).scalar_one()


def test_request_info_stops_the_clock_and_provide_info_resumes_it(app, clock, seeded):
    case = receive(SUBMISSION)  # Mon 4 Mar 2024: due Mon 11 Mar
    assert case.due_date == date(2024, 3, 11)
    clock.set("2024-03-06T09:00:00+07:00")  # 2 working days used
    apply_event(case, "request_info", seeded["office"], {"missing": "Số điện thoại"})
    assert case.state == "awaiting_info" and case.due_step == "citizen_info"
    clock.set("2024-03-12T09:00:00+07:00")  # the citizen answers 4 working days later
    apply_event(case, "provide_info", CITIZEN, {"note": "Đã bổ sung số điện thoại"})
    # 3 working days of the office's 5 remain, counted from 12 Mar: Fri 15 Mar
    assert case.state == "received" and case.due_step == "classify" and case.due_date == date(2024, 3, 15)


@pytest.mark.parametrize("event,args,error", [
    ("forward", {"unit": "QLKH"}, TransitionNotAllowed),
    ("classify", {"category": "NOPE"}, InvalidEventArguments),
    ("refuse", {"reason": "because"}, InvalidEventArguments),
])
def test_refused_events_change_nothing(app, clock, seeded, event, args, error):
    case = receive(SUBMISSION)
    with pytest.raises(error):
        apply_event(case, event, seeded["office"], args)
    db.session.rollback()
    assert db.session.get(Feedback, case.id).state == "received"
    assert db.session.execute(select(func.count()).select_from(Transition)).scalar() == 1


def test_unit_cannot_act_on_another_units_case(app, clock, seeded):
    case = receive(SUBMISSION)
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    with pytest.raises(ActorNotAllowed):
        apply_event(case, "submit_draft", seeded["TDC"], {"reply": "Trả lời: thời hạn là 10 ngày."})


def test_stale_version_is_refused(app, clock, seeded):
    case = receive(SUBMISSION)
    read_at = case.version
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"}, expected_version=read_at)
    with pytest.raises(StaleCase):
        apply_event(case, "forward", seeded["office"], {"unit": "QLKH"}, expected_version=read_at)
    assert case.state == "classified"


def test_concurrent_writer_loses_on_the_version_column(app, clock, seeded):
    """Two sessions read the same case; the second commit is refused by optimistic locking."""
    case = receive(SUBMISSION)
    code = case.code
    other = db.session.session_factory()  # a second, independent session
    theirs = other.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    theirs.title = "changed in between"
    with pytest.raises(Exception) as info:
        other.commit()
    other.rollback()
    other.close()
    assert "StaleData" in type(info.value).__name__
    db.session.expire_all()
    assert db.session.get(Feedback, case.id).title == SUBMISSION.title


@pytest.mark.postgres_only
def test_a_submission_not_yet_committed_does_not_hold_up_the_next_one_on_postgres(app, clock):
    """The day's number is taken in its own short transaction: a second submission gets the next number
    at once while the first is still open, and the first, rolled back, leaves a gap."""
    app.config["CODE_BLOCK_SIZE"] = 1  # every number from the database (tests/test_code_blocks.py: blocks)
    import threading

    clock.set("2024-03-04T09:00:00+07:00")
    first = receive(SUBMISSION, commit=False)  # open transaction: the case row is written, not committed
    assert first.code == "PAKN.20240304.0001"
    second: dict[str, str] = {}

    def submit_again():
        with app.app_context():
            try:
                second["code"] = receive(SUBMISSION).code
            finally:
                db.session.remove()

    thread = threading.Thread(target=submit_again)
    thread.start()
    thread.join(10)
    assert second == {"code": "PAKN.20240304.0002"}  # did not wait for the first transaction
    db.session.rollback()
    assert db.session.execute(select(Feedback.code).order_by(Feedback.code)).scalars().all() == ["PAKN.20240304.0002"]
    assert receive(SUBMISSION).code == "PAKN.20240304.0003"  # 0001 stays a gap
