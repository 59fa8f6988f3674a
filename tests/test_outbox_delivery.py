"""The stored outbox delivered to a real SMTP server on loopback: the receipt mail carries the code."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import OutboxMail
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


def test_an_smtp_outage_is_retried_with_backoff_then_marked_failed(app, client, clock, smtp):
    app.config.update(OUTBOX_BACKOFF_SECONDS=60, OUTBOX_MAX_ATTEMPTS=3)
    post(client)
    smtp.stop()
    assert deliver_due().sent == 0
    row = db.session.execute(select(OutboxMail)).scalar_one()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert deliver_due().sent == 0 and row.attempts == 1  # not yet due
    clock.advance(seconds=60)
    deliver_due()
    assert row.attempts == 2 and row.next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=120)
    deliver_due()
    assert (row.status, row.attempts) == ("failed", 3)
    smtp.start()
    clock.advance(days=1)
    assert deliver_due().sent == 0 and smtp.inbox.messages == []
