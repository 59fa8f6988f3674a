"""The outbox against a real SMTP server on loopback: outages, retries with backoff, no duplicates."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from feedback_app.extensions import db
from feedback_app.models import OutboxMail
from feedback_app.services import outbox
from feedback_app.services.cases import apply_event, receive
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import SUBMISSION, forwarded_case, in_parallel, sign_in


def rows(**where) -> list[OutboxMail]:
    query = select(OutboxMail).order_by(OutboxMail.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMail, name) == value)
    return db.session.execute(query).scalars().all()


def test_smtp_down_while_cases_go_overdue_then_up_every_mail_arrives_exactly_once(app, clock, seeded, smtp):
    smtp.stop()
    for i in range(3):
        forwarded_case(seeded, submission=replace(SUBMISSION, email=f"dan{i}@example.com"))
    assert sweep(parse_instant("2024-03-26T00:01:00+07:00")).letters == 3
    clock.set("2024-03-26T11:31:00+07:00")  # the letters' grace period (4 office hours from 07:30) is over
    down = outbox.flush()
    # 3 receipts, 3 to the unit, 3 letters, 3 asking the unit for the letters' reasons (they also say the
    # case went overdue and what the letter promised: they never expire)
    expected = len(rows())
    assert expected == 12 and down.sent == 0 and down.retried == expected and down.expired == 0
    # the server's fault, not a mail's: no attempt counted, however long it lasts (a weekend)
    assert all(r.attempts == 0 and "SMTP" in r.last_error for r in rows(status="pending"))
    assert outbox.flush().retried == 0  # nothing is due again before the server is tried again
    for _ in range(3):
        clock.advance(days=1)
        assert outbox.flush().failed == 0
    assert len(rows(status="pending")) == expected and all(r.attempts == 0 for r in rows(status="pending"))
    smtp.start()
    clock.advance(seconds=outbox.SERVER_DOWN_RETRY.total_seconds())
    up = outbox.flush()
    assert up.sent == expected
    assert outbox.flush().sent == 0
    clock.advance(days=1)
    assert outbox.flush().sent == 0
    received = smtp.inbox.wait_for(expected)
    assert len(received) == expected
    assert len({m["Message-ID"] for m in received}) == expected
    assert all(r.sent_at is not None for r in rows(status="sent")) and len(rows(status="sent")) == expected
    apology = [m for m in received if "Phiếu xin lỗi" in m["Subject"] and m["To"].startswith("dan")]
    assert len(apology) == 3
    attachment = next(part for part in apology[0].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF") and attachment.get_filename().startswith("phieu-xin-loi-2024-")


def test_a_mail_server_that_never_answers_is_given_up_on_after_mail_timeout(app, clock, seeded):
    """A server that takes the connection and never greets (a stuck relay) costs MAIL_TIMEOUT, not the
    outbox worker: the mail waits for its next attempt."""
    receive(SUBMISSION)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever reads or writes
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=1)
        started = time.monotonic()
        result = outbox.flush()
        took = time.monotonic() - started
    assert result.sent == 0 and result.retried == 1
    assert took < 5, took
    assert rows()[0].status == "pending" and "timed out" in rows()[0].last_error


def test_a_staff_mail_past_its_date_when_the_server_comes_back_expires_a_citizens_goes(app, client, clock, seeded,
                                                                                     smtp):
    """Two days without a mail server: the leader's digest of Tuesday would mislead on Thursday; the citizen's
    letter and receipt still go, and so does the holder's mail about the letter (it says the case went
    overdue and what the letter promised, whenever it arrives)."""
    smtp.stop()
    case = forwarded_case(seeded)  # the answer due Monday 25 March 2024
    clock.set("2024-03-18T09:00:00+07:00")
    receive(replace(SUBMISSION, email="b@example.com"))  # HCTH's classification due 25 March too: the digest's
    assert sweep(parse_instant("2024-03-26T08:00:00+07:00")).letters == 1
    clock.set("2024-03-28T09:00:00+07:00")
    smtp.start()
    result = outbox.flush()
    status = {m.kind: m.status for m in rows()}
    assert status["digest"] == "expired" and status["letter_reason"] == "sent"
    assert status["apology"] == "sent" and status["received"] == "sent"
    assert result.expired == 1 and "expired 1" in result.summary()
    got = [m["Subject"] for m in smtp.inbox.wait_for(result.sent)]
    assert not any("Tổng hợp" in s for s in got) and case.code
    sign_in(client, seeded["admin"])  # the admin's page counts it
    assert "Hết hạn, không gửi (thư nhắc việc quá ngày): 1" in client.get("/quan-tri/thu-di").get_data(as_text=True)


def test_a_reminder_expires_after_the_legal_date_not_the_fields_earlier_target(app, clock, seeded, smtp):
    """A field's own target (its internal date) comes before the legal one: until the legal date passes no
    overdue mark says anything, so the reminder still goes."""
    from feedback_app.models import OutboxMail as Mail
    case = forwarded_case(seeded)  # legal date Monday 25 March 2024
    outbox.flush()
    case.target_date = date(2024, 3, 15)
    db.session.commit()
    smtp.stop()
    sweep(parse_instant("2024-03-14T08:00:00+07:00"))
    (reminder,) = db.session.execute(select(Mail).where(Mail.kind == "reminder")).scalars().all()
    clock.set("2024-03-19T09:00:00+07:00")  # the target gone by, the legal date not
    smtp.start()
    outbox.flush()
    db.session.refresh(reminder)
    assert reminder.status == "sent"


def test_a_mail_moved_by_someone_else_while_the_server_was_awaited_is_left_to_them(app, clock, seeded, smtp,
                                                                                   monkeypatch):
    """The server unreachable: each claimed mail is released only if it still holds this worker's lease (an
    admin's retry, another worker, expiry may have moved it meanwhile); no error, the others released."""
    for i in range(3):
        receive(replace(SUBMISSION, email=f"dan{i}@example.com"))
    first = rows()[0]
    smtp.stop()

    def moved_then_refused():
        with db.engine.begin() as other:  # another process's write, while this one waited for the server
            other.execute(update(OutboxMail).where(OutboxMail.id == first.id)
                          .values(next_attempt_at=clock.now() + timedelta(hours=1)))
        raise ConnectionRefusedError(111, "Connection refused")
    monkeypatch.setattr(outbox, "_connection", moved_then_refused)
    result = outbox.flush()
    assert result.unreachable and result.retried == 2
    db.session.expire_all()
    assert [(m.attempts, m.last_error is not None) for m in rows()] == [(1, False), (0, True), (0, True)]
    assert rows()[0].next_attempt_at == clock.now() + timedelta(hours=1)
    assert {m.id for m in db.session.execute(outbox.failing_query()).scalars()} == {m.id for m in rows()[1:]}


def test_a_retry_keeps_the_message_id_so_a_crash_after_sending_is_no_new_message(app, clock, seeded, smtp):
    case = receive(SUBMISSION)
    mail = rows()[0]
    assert outbox.message_id(mail.key) == outbox.message_id(f"received:{case.code}")
    assert outbox.message_id(mail.key).endswith("@skhcn.example.gov.vn>")
    # the crash: sent, but not marked; the row comes back when the worker's lease ends
    assert outbox.flush().sent == 1
    mail.status = "pending"
    db.session.commit()
    assert outbox.flush().sent == 0
    clock.advance(seconds=outbox.LEASE_SECONDS)
    assert outbox.flush().sent == 1
    first, second = smtp.inbox.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]


def test_backoff_doubles_and_a_mail_fails_for_good_after_the_maximum_attempts(app, clock, seeded, smtp):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=60)
    smtp.refuse("an@example.com", 451)  # "mailbox full, try again later", each time
    receive(SUBMISSION)
    start = clock.now()
    outbox.flush()
    assert rows()[0].next_attempt_at == start + timedelta(seconds=60)
    clock.advance(seconds=60)
    outbox.flush()
    assert rows()[0].next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=120)
    result = outbox.flush()
    assert result.failed == 1 and rows()[0].status == "failed" and rows()[0].attempts == 3
    clock.advance(days=2)
    assert outbox.flush().failed == 0


def test_a_mailbox_the_server_says_does_not_exist_fails_at_once_and_holds_back_no_staff_mail(
        app, clock, seeded, smtp):
    """550: trying again for a day cannot deliver it, and the citizen is owed a phone call or a letter now;
    the unit's mail of the same case goes meanwhile (the order matters to one reader only)."""
    smtp.refuse("an@example.com", 550)
    case = forwarded_case(seeded)
    result = outbox.flush()
    receipt = rows(key=f"received:{case.code}")[0]
    assert (receipt.status, receipt.attempts) == ("failed", 1) and "550" in receipt.last_error
    assert result.failed == 1 and result.sent == len(rows()) - 1
    assert [m["X-Envelope-To"] for m in smtp.inbox.wait_for(result.sent)] == [
        m.recipients for m in rows() if m.status == "sent"]


def test_the_relays_own_refusal_is_retried_not_taken_for_a_wrong_address(app, clock, seeded, smtp):
    """554 5.7.1 (relay access denied) or 530: a configuration that is fixed once cures every mail; only an
    address that does not exist (5.1.x) fails at once."""
    import smtplib
    relay = smtplib.SMTPRecipientsRefused({"an@example.com": (554, b"5.7.1 <an@example.com>: Relay access denied")})
    login = smtplib.SMTPRecipientsRefused({"an@example.com": (530, b"5.7.0 Authentication required")})
    gone = smtplib.SMTPRecipientsRefused({"an@example.com": (550, b"5.1.1 <an@example.com>: User unknown")})
    assert not outbox.refused_for_good(relay) and not outbox.refused_for_good(login)
    assert outbox.refused_for_good(gone)


def test_the_cli_says_the_mail_server_is_unreachable_and_tries_one_connection(app, clock, seeded, smtp, monkeypatch):
    for i in range(5):
        receive(replace(SUBMISSION, email=f"dan{i}@example.com"))
    smtp.stop()
    opened = []
    connect = outbox._connection
    monkeypatch.setattr(outbox, "_connection", lambda: opened.append(1) or connect())
    result = app.test_cli_runner().invoke(args=["outbox", "flush"])
    assert result.exit_code == 1 and "mail server unreachable" in result.output
    assert opened == [1]
    assert outbox.flush(batch=2).retried == 0 and len(opened) == 1  # nothing due again for 5 minutes
    clock.advance(seconds=outbox.SERVER_DOWN_RETRY.total_seconds())
    again = outbox.flush(batch=2)  # three batches due: one connection tried, not one per batch
    assert again.unreachable and again.retried == 2 and len(opened) == 2


def test_a_citizens_mailbox_refusing_for_now_holds_back_their_later_mails_not_the_units(app, clock, seeded, smtp):
    smtp.refuse("an@example.com", 451)
    case = receive(SUBMISSION)
    outbox.flush()
    assert rows(key=f"received:{case.code}")[0].status == "pending"
    apply_event(case, "request_info", seeded["office"], {"missing": "Số, ngày của văn bản liên quan"})
    apply_event(case, "provide_info", seeded["office"], {"note": "Người gửi báo qua điện thoại: Công văn 12"})
    apply_event(case, "classify", seeded["office"], {"category": "TTHC"})
    apply_event(case, "forward", seeded["office"], {"unit": "QLKH"})
    clock.advance(seconds=30)
    outbox.flush()  # the citizen's newer mail waits for their receipt, still in its backoff; the unit's goes
    citizen = rows(recipients="an@example.com")
    assert len(citizen) >= 2 and {m.status for m in citizen} == {"pending"}
    unit_mail = [m for m in rows() if m.recipients != "an@example.com"]
    assert unit_mail and {m.status for m in unit_mail} == {"sent"}
    smtp.accept("an@example.com")
    clock.advance(minutes=5)
    outbox.flush()
    got = [m["Subject"] for m in smtp.inbox.messages if m["X-Envelope-To"] == "an@example.com"]
    assert len(got) == len(citizen) and "Đã tiếp nhận" in got[0]  # the receipt first


def test_the_admin_sees_failing_mails_with_their_error_and_retries_one(app, client, clock, seeded, smtp):
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    smtp.refuse("an@example.com", 451)
    case = receive(SUBMISSION)
    outbox.flush()
    mail = rows()[0]
    assert mail.status == "failed"
    sign_in(client, seeded["office"])
    assert client.get("/quan-tri/thu-di").status_code == 403
    sign_in(client, seeded["admin"])
    assert 'href="/quan-tri/thu-di"' in client.get("/quan-tri/nguoi-dung").get_data(as_text=True)  # in the menu
    html = client.get("/quan-tri/thu-di").get_data(as_text=True)
    assert mail.key in html and "SMTP" in html and "Gửi lại" in html and f"received:{case.code}" in html
    # the admin sees no case: with the code there, the citizen's address would be all the lookup asks for
    assert "an@example.com" not in html and "a…n@example.com" in html
    assert client.get("/quan-tri/thu-di?page=abc").status_code == 200
    response = client.post(f"/quan-tri/thu-di/{mail.id}/gui-lai")
    assert response.status_code == 302
    db.session.refresh(mail)
    assert (mail.status, mail.attempts) == ("pending", 0)
    smtp.accept("an@example.com")
    assert outbox.flush().sent == 1 and len(smtp.inbox.wait_for(1)) == 1
    assert client.post("/quan-tri/thu-di/99999/gui-lai").status_code == 302


def test_a_slow_batch_whose_lease_ran_out_sends_each_mail_once(app, clock, seeded, smtp, monkeypatch):
    """A slow mail server: the batch outlasts the lease of its claim, and a second worker (``flask outbox
    flush``, another scheduler) claims what is left. The first renews its lease before each mail, so it
    leaves what the second took; every mail arrives once."""
    for i in range(3):
        receive(replace(SUBMISSION, email=f"dan{i}@example.com"))
    composed, other = outbox._message, []

    def slowly(row):
        if row.recipients == "dan0@example.com":
            clock.advance(seconds=200)
        if row.recipients == "dan1@example.com":  # the third mail's lease (claim + 300 s) is over
            clock.advance(seconds=150)
            second = threading.Thread(target=lambda: other.append(run_in_context(app, outbox.flush)))
            second.start()
            second.join(30)
        return composed(row)

    monkeypatch.setattr(outbox, "_message", slowly)
    first = outbox.deliver_due()
    assert [r.sent for r in other] == [1] and first.sent == 2
    received = smtp.inbox.wait_for(3)
    assert sorted(m["To"] for m in received) == ["dan0@example.com", "dan1@example.com", "dan2@example.com"]
    assert all(r.status == "sent" for r in rows())


def test_a_database_that_refuses_the_record_of_a_sent_mail_loses_neither_it_nor_the_batch(
        app, clock, seeded, smtp, monkeypatch):
    """The database locked past its timeout just as a mail went: the mail is written down as sent once the
    database takes it again (not sent twice when its lease ends), and the batch's other mails are released
    at once for the next run, not held for the lease."""
    from sqlalchemy.exc import OperationalError
    for i in range(3):
        receive(replace(SUBMISSION, email=f"dan{i}@example.com"))
    monkeypatch.setattr(outbox, "SETTLE_WAITS", (0.01,))
    commit, refused = db.session.commit, []

    def locked_once():
        if not refused and any(m.status == "sent" for m in db.session.dirty if isinstance(m, OutboxMail)):
            refused.append(True)
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        return commit()

    monkeypatch.setattr(db.session, "commit", locked_once)
    result = outbox.deliver_due()
    monkeypatch.undo()
    assert refused and result.sent == 1
    assert [(r.status, r.attempts) for r in rows()] == [("sent", 1), ("pending", 0), ("pending", 0)]
    assert rows()[1].next_attempt_at <= clock.now()  # due again now, not after the lease
    assert outbox.flush().sent == 2
    assert sorted(m["To"] for m in smtp.inbox.wait_for(3)) == [f"dan{i}@example.com" for i in range(3)]


def test_a_receipt_rewritten_by_a_correction_while_it_is_sent_goes_to_the_corrected_address(
        app, clock, seeded, smtp, monkeypatch):
    """HCTH corrects a mistyped address while the receipt is on its way to it: the mail the server took is
    not recorded as the corrected one sent; the corrected address gets the code at the next run."""
    from feedback_app.services.cases import find
    from feedback_app.services.corrections import correct_intake
    code = receive(replace(SUBMISSION, email="dan@exmaple.com")).code

    def correct():  # what goes to the typo, while a clerk corrects it in another request
        fresh = find(code)
        correct_intake(fresh, seeded["office"], replace(SUBMISSION, email="dan@example.com"), None, fresh.version)
    deliver_while(app, monkeypatch, correct)
    (mail,) = rows()
    assert (mail.status, mail.recipients) == ("pending", "dan@example.com")
    assert outbox.flush().sent == 1
    assert [m["To"] for m in smtp.inbox.wait_for(2)] == ["dan@exmaple.com", "dan@example.com"]


def test_an_admins_retry_of_a_mail_being_sent_does_not_send_it_twice(app, clock, seeded, smtp, monkeypatch):
    """The admin presses "Gửi lại" on a failing mail just as the worker sends it: the mail went, it is marked
    sent (its text unchanged), and the next run sends nothing."""
    receive(SUBMISSION)
    (mail,) = rows()
    deliver_while(app, monkeypatch, lambda: outbox.retry(mail.id))
    assert rows()[0].status == "sent"
    assert outbox.flush().sent == 0 and len(smtp.inbox.wait_for(1)) == 1


def deliver_while(app, monkeypatch, work) -> None:
    """One delivery run during which, as each mail is composed to be sent, ``work`` runs in another request."""
    composed = outbox._message

    def meanwhile(row):
        message = composed(row)
        thread = threading.Thread(target=lambda: run_in_context(app, work))
        thread.start()
        thread.join(30)
        return message

    monkeypatch.setattr(outbox, "_message", meanwhile)
    outbox.deliver_due()
    monkeypatch.undo()


def run_in_context(app, work):
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def test_the_cli_flushes_the_outbox(app, clock, seeded, smtp):
    receive(SUBMISSION)
    out = app.test_cli_runner().invoke(args=["outbox", "flush"])
    assert out.exit_code == 0 and "sent 1" in out.output
    assert smtp.inbox.wait_for(1)[0]["To"] == "an@example.com"
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    smtp.refuse("an@example.com", 451)
    receive(SUBMISSION)
    given_up = app.test_cli_runner().invoke(args=["outbox", "flush"])  # a cron job is told: exit status 1
    assert given_up.exit_code == 1 and "failed 1" in given_up.output


@pytest.mark.postgres_only
def test_two_workers_never_send_one_mail_twice(app, clock, seeded, smtp):
    for i in range(30):
        receive(replace(SUBMISSION, email=f"dan{i}@example.com"))
    sent = in_parallel(app, lambda: outbox.flush(batch=4).sent)
    assert sum(sent) == 30
    received = smtp.inbox.wait_for(30)
    assert len(received) == 30 and len({m["To"] for m in received}) == 30


def test_the_failing_mail_page_speaks_english_on_request(app, client, clock, seeded, smtp):
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    smtp.refuse("an@example.com")
    receive(SUBMISSION)
    outbox.flush()
    sign_in(client, seeded["admin"])
    from flask_babel import refresh
    refresh()  # the test's app context outlives requests: forget the locale the mails were written in
    html = client.get("/quan-tri/thu-di?lang=en").get_data(as_text=True)
    assert "Failing mail" in html and "Retry" in html and "Pending: 0 · Sent: 0 · Failed: 1" in html


def test_the_failing_mail_page_masks_a_citizens_address_but_not_staffs():
    from feedback_app.admin.outbox import shown_recipients
    staff = {"qlkh@skhcn.example.gov.vn"}
    assert shown_recipients("an@example.com", staff) == "a…n@example.com"
    assert shown_recipients("QLKH@skhcn.example.gov.vn, b@gmail.com", staff) == "QLKH@skhcn.example.gov.vn, …@gmail.com"


def test_the_mail_servers_refusal_shown_to_the_admin_masks_the_address_it_names(app, client, clock, seeded, smtp):
    """A refusal's text is keyed by the address refused: beside the case's code it would be all the public
    lookup asks for."""
    app.config.update(OUTBOX_MAX_ATTEMPTS=1)
    smtp.refuse("an@example.com")
    receive(SUBMISSION)
    outbox.flush()
    assert "an@example.com" in rows()[0].last_error  # kept whole for the logs and the database
    sign_in(client, seeded["admin"])
    html = client.get("/quan-tri/thu-di").get_data(as_text=True)
    assert "SMTPRecipientsRefused" in html and "an@example.com" not in html and "a…n@example.com" in html
