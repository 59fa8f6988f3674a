"""The stored outbox: a mail is first a row, written in the same transaction as the change that
caused it, then delivered by a job (``deliver_due``) with retries. Nothing here commits."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from workflows.clock import CLOCK

from ..extensions import db
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
