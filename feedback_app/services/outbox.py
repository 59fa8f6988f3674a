"""The stored outbox: a mail is first a row, written in the same transaction as the change that
caused it, then delivered by a job (``deliver_due``) with retries. ``enqueue`` does not commit;
``deliver_due`` commits each row it tried."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import select

from workflows.clock import CLOCK

from ..extensions import db, mail
from ..models import Feedback, OutboxMail


def enqueue(key: str, kind: str, recipients: list[str] | str, subject: str, template: str,
            feedback: Feedback | None = None, attachment_ref: str | None = None, **context) -> OutboxMail | None:
    """Store a mail rendered from ``templates/mail/<template>.txt`` (and ``.html`` if present).
    ``key`` names the cause; a second mail for the same cause is not stored."""
    if isinstance(recipients, str):
        recipients = [recipients]
    recipients = [r for r in recipients if r]
    if not recipients:
        return None
    if db.session.execute(select(OutboxMail.id).where(OutboxMail.key == key)).first():
        return None
    context.setdefault("feedback", feedback)
    mail = OutboxMail(key=key, kind=kind, recipients=", ".join(recipients), subject=subject,
                      body_text=render_template(f"mail/{template}.txt", **context),
                      attachment_ref=attachment_ref, feedback=feedback if feedback is not None else None,
                      status="pending", attempts=0, next_attempt_at=CLOCK.now())
    db.session.add(mail)
    return mail


def deliver_due(now=None, limit: int = 100) -> int:
    """Send the pending mails whose time has come through Flask-Mail; returns how many were sent.

    Each row is committed on its own, so a failure does not undo the mails already sent. A failed
    attempt is retried after OUTBOX_BACKOFF_SECONDS × 2^(attempts-1); after OUTBOX_MAX_ATTEMPTS the
    row is marked 'failed' and left for a person to look at.
    """
    now = now or CLOCK.now()
    config = current_app.config
    # The SMTP settings are read at each run (a changed relay applies without a restart); sending is
    # suppressed only when MAIL_SUPPRESS_SEND says so, not merely because the app is under test.
    relay = mail.init_mail(config, current_app.debug)
    rows = db.session.execute(select(OutboxMail).where(OutboxMail.status == "pending",
                                                       OutboxMail.next_attempt_at <= now)
                              .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)).scalars().all()
    sent = 0
    for row in rows:
        message = Message(subject=row.subject, recipients=[r.strip() for r in row.recipients.split(",") if r.strip()],
                          body=row.body_text, html=row.body_html, charset="utf-8")
        row.attempts += 1
        try:
            with Connection(relay) as connection:
                connection.send(message)
        except Exception as exc:  # any SMTP or network error: retry later
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                row.status = "failed"
            else:
                backoff = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (row.attempts - 1)
                row.next_attempt_at = now + timedelta(seconds=backoff)
        else:
            row.status, row.sent_at, row.last_error = "sent", CLOCK.now(), None
            sent += 1
        db.session.commit()
    return sent
