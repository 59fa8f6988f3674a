"""The stored outbox delivered to a real SMTP server on loopback: the receipt mail carries the code."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import OutboxMail
from feedback_app.services import outbox
from feedback_app.services.outbox import deliver_due
from tests.test_public_submit import post


def test_the_receipt_mail_with_the_tracking_code_reaches_a_real_smtp_server(client, clock, smtp):
    # anyone can type anyone's address: what they typed must not reach it as the department's words
    lure = "Xác minh tài khoản thuế tại https://evil.example/vn trong 24 giờ"
    assert post(client, full_name="Quý khách https://evil.example/x", title=lure).status_code == 303
    code = db.session.execute(select(OutboxMail)).scalar_one().feedback.code
    assert deliver_due().sent == 1
    [message] = smtp.inbox.wait_for(1)
    assert message["X-Envelope-To"] == "an@example.com"
    assert code in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert code in body and f"/tra-cuu?code={code}" in body
    assert "evil.example" not in body and "Quý khách https" not in body
    row = db.session.execute(select(OutboxMail)).scalar_one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert deliver_due().sent == 0 and len(smtp.inbox.messages) == 1  # never sent twice


def test_an_smtp_outage_counts_no_attempt_and_the_mail_goes_once_the_server_is_back(app, client, clock, smtp):
    """The server down is no mail's fault: however long it lasts (a weekend), nothing fails for good; the
    server is tried again every few minutes, and the mail goes once it answers."""
    app.config.update(OUTBOX_BACKOFF_SECONDS=60, OUTBOX_MAX_ATTEMPTS=3)
    post(client)
    smtp.stop()
    assert deliver_due().sent == 0
    row = db.session.execute(select(OutboxMail)).scalar_one()
    assert row.status == "pending" and row.attempts == 0 and "SMTP" in row.last_error
    assert row.next_attempt_at == clock.now() + outbox.SERVER_DOWN_RETRY
    assert deliver_due().sent == 0 and row.attempts == 0  # not yet due
    for _ in range(5):  # more than OUTBOX_MAX_ATTEMPTS tries, over two days
        clock.advance(hours=10)
        assert deliver_due().failed == 0
    assert (row.status, row.attempts) == ("pending", 0)
    # and it is seen: /healthz's wait grows from when the mail was written, the admin's list names it
    from feedback_app.services.health import oldest_due_mail_seconds
    assert oldest_due_mail_seconds() >= 50 * 3600
    assert outbox.db.session.execute(outbox.failing_query()).scalars().all() == [row]
    smtp.start()
    clock.advance(seconds=outbox.SERVER_DOWN_RETRY.total_seconds())
    assert deliver_due().sent == 1 and len(smtp.inbox.wait_for(1)) == 1
    assert (row.status, row.last_error) == ("sent", None)


def rfc2047(message, name: str) -> str:
    """A header as a reader that follows RFC 2047 decodes it (whitespace between encoded-words dropped)."""
    from email.header import decode_header, make_header
    raw = next(value for key, value in message.raw_items() if key == name)
    return str(make_header(decode_header(raw)))


# Subjects that Flask-Mail's own encoding delivered without a space ("Sởthông", "đềlời"): it left the
# space between two encoded-words, where RFC 2047 tells every reader to drop it.
LONG_SUBJECTS = [
    "Phản ánh, kiến nghị PAKN.20240304.0001: câu trả lời đã được hoàn thiện, thay thế câu trả lời gửi ngày "
    "05/03/2024 của Sở Khoa học và Công nghệ tỉnh Quảng Ngãi",
    "Phản ánh, kiến nghị PAKN.20240304.0001: tỉnh Công trả không và thông nghị Sở thông tin trả",
    "Phản ánh, kiến nghị PAKN.20240304.0001: sung đề thay tỉnh của nhận ánh trả Phản bổ đề thông ngày nghị "
    "thông đề lời học nghị thế Công lỗi Ngãi Sở lại báo lại",
    "Đề nghị bổ sung thông tin cho PAKN.20240304.0001",
    "Reminder PAKN.20240304.0001",
]


def test_a_long_vietnamese_subject_and_senders_name_arrive_with_every_space(app, clock, smtp):
    sender = "Phản ánh kiến nghị Sở Khoa học và Công nghệ tỉnh Quảng Ngãi <pakn@skhcn.example.gov.vn>"
    app.config["MAIL_DEFAULT_SENDER"] = sender
    db.session.add_all(OutboxMail(key=f"subject-test:{i}", kind="digest", recipients="lanhdao@example.com",
                                  subject=subject, body_text="Nội dung.", status="pending", attempts=0,
                                  next_attempt_at=clock.now()) for i, subject in enumerate(LONG_SUBJECTS))
    db.session.commit()
    assert deliver_due().sent == len(LONG_SUBJECTS)
    received = smtp.inbox.wait_for(len(LONG_SUBJECTS))
    assert sorted(str(m["Subject"]) for m in received) == sorted(LONG_SUBJECTS)
    # as a reader that follows RFC 2047 decodes it (Python's address parser keeps the folding space
    # between two encoded-words, so it reads the words right with a second space between two of them)
    assert {rfc2047(m, "From") for m in received} == {sender}


def test_any_subject_survives_its_encoding(app):
    """Property: whatever the words (Vietnamese, ASCII, punctuation, spaces doubled), the subject and
    the sender's name a reader decodes are the ones written, and no header line passes 78 characters."""
    from email import message_from_bytes, policy

    from hypothesis import given, settings, strategies as st

    from feedback_app.services.outbox import _Message
    words = st.sampled_from("Phản ánh, kiến nghị PAKN.20240304.0001: câu trả lời đã được hoàn thiện thay thế "
                            "gửi ngày 05/03/2024 của Sở Khoa học và Công nghệ Quảng Ngãi ươ ữ Đ a".split())

    @settings(max_examples=300, deadline=None)
    @given(st.lists(words, min_size=1, max_size=40), st.sampled_from([" ", "  "]))
    def check(parts, gap):
        subject = gap.join(parts)
        name = " ".join(w for w in subject.replace(",", " ").replace(":", " ").split())  # a name, no punctuation
        raw = _Message(subject=subject, recipients=["x@example.com"], body="b",
                       sender=f"{name} <pakn@example.com>").as_bytes()
        header = raw.split(b"\n\n", 1)[0]
        read = message_from_bytes(raw, policy=policy.default)
        assert str(read["Subject"]) == subject
        assert rfc2047(read, "From") == f"{name} <pakn@example.com>"
        assert max(len(line.rstrip(b"\r")) for line in header.split(b"\n")) <= 78

    check()


def test_a_long_ascii_subject_arrives_without_a_space_in_front(app):
    """The property test above found it: an ASCII subject longer than its line was folded by Python, and
    a reader decoded it with a leading space."""
    from email import message_from_bytes, policy

    from feedback_app.services.outbox import _Message
    subject = "PAKN.20240304.0001: PAKN.20240304.0001: PAKN.20240304.0001: 05/03/2024"
    raw = _Message(subject=subject, recipients=["x@example.com"], body="b", sender="pakn <pakn@example.com>").as_bytes()
    assert str(message_from_bytes(raw, policy=policy.default)["Subject"]) == subject


def test_after_an_outage_a_cases_mails_arrive_in_the_order_they_were_written(app, client, clock, smtp, seeded):
    """The receipt, retried with a longer backoff than the mail written after it, still arrives first."""
    from feedback_app.services.cases import apply_event
    smtp.stop()
    assert post(client).status_code == 303
    receipt = db.session.execute(select(OutboxMail)).scalar_one()
    deliver_due()  # the server down: the receipt is tried again in a few minutes
    assert receipt.attempts == 0 and receipt.next_attempt_at == clock.now() + outbox.SERVER_DOWN_RETRY
    apply_event(receipt.feedback, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ"})
    smtp.start()
    assert deliver_due().sent == 0  # the request is due, but waits for the receipt being retried
    clock.advance(seconds=outbox.SERVER_DOWN_RETRY.total_seconds())
    assert deliver_due().sent == 2
    first, second = smtp.inbox.wait_for(2)
    assert "Đã tiếp nhận" in str(first["Subject"]) and "bổ sung" in str(second["Subject"])


def test_a_mail_held_on_purpose_keeps_its_hold_and_holds_nothing_back(app, client, clock, smtp, seeded):
    """An automatic apology letter waits APOLOGY_GRACE_HOURS for the staff to write its reason: the case's
    newer mail (here the answer, approved meanwhile) goes now, the letter at the end of its hold."""
    from feedback_app.services.cases import apply_event
    assert post(client).status_code == 303
    assert deliver_due().sent == 1  # the receipt
    receipt = db.session.execute(select(OutboxMail)).scalar_one()
    held = OutboxMail(key="letter:held", kind="apology", recipients="an@example.com", subject="Phiếu xin lỗi",
                      body_text="b", feedback_id=receipt.feedback_id, next_attempt_at=clock.now() + timedelta(hours=4))
    db.session.add(held)
    db.session.commit()
    apply_event(receipt.feedback, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ"})
    assert deliver_due().sent == 1 and held.status == "pending" and held.attempts == 0
    assert "bổ sung" in str(smtp.inbox.wait_for(2)[1]["Subject"])
    clock.advance(hours=4)
    assert deliver_due().sent == 1 and held.status == "sent"


def test_a_newer_mail_claimed_with_an_older_one_that_fails_is_put_back_unsent(app, client, clock, smtp, seeded):
    from feedback_app.services.cases import apply_event
    assert post(client).status_code == 303
    receipt = db.session.execute(select(OutboxMail)).scalar_one()
    receipt.attachment_ref = "replies:0"  # a file it cannot find: this attempt fails, the next may not
    db.session.commit()
    apply_event(receipt.feedback, "request_info", seeded["office"], {"missing": "Số điện thoại liên hệ"})
    request = db.session.execute(select(OutboxMail).where(OutboxMail.id != receipt.id)).scalar_one()
    result = deliver_due()
    assert (result.sent, result.retried) == (0, 1) and receipt.attempts == 1
    assert (request.status, request.attempts, request.next_attempt_at) == ("pending", 0, clock.now())
    receipt.attachment_ref = None
    db.session.commit()
    clock.advance(hours=1)
    assert deliver_due().sent == 2
    first, second = smtp.inbox.wait_for(2)
    assert "Đã tiếp nhận" in str(first["Subject"]) and "bổ sung" in str(second["Subject"])
