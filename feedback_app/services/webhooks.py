"""The state-change webhook: so that the department can mirror case status into the national PAKN
system (plan item 23; QĐ 31/2021/QĐ-TTg Art 43.2b asks that cases from every channel be entered there).

Like the mail outbox, a delivery is first a row written in the same transaction as the change that
caused it (``queue_delivery``, called from ``services.cases.audit``), then POSTed by
``deliver_webhooks(now)`` with retries and exponential backoff. The body is signed with HMAC-SHA256
over the exact bytes sent: header ``X-Pakn-Signature: sha256=<hex>``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from workflows.clock import CLOCK

from ..extensions import db
from ..models import Feedback, Transition, WebhookDelivery
from .outbox import exponential_backoff

SIGNATURE_HEADER = "X-Pakn-Signature"


def sign(secret: str, body: bytes) -> str:
    """The header value for ``body``: ``sha256=<hex HMAC-SHA256 of the body with the secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhooks_enabled() -> bool:
    """Whether state changes are offered to a webhook (``WEBHOOK_URL``), each by a row of its own."""
    return bool(current_app.config.get("WEBHOOK_URL"))


def queue_delivery(case: Feedback, row: Transition) -> WebhookDelivery | None:
    """Store the delivery of one state change (no commit: the caller's transaction)."""
    if not webhooks_enabled():
        return None
    if row.from_state == row.to_state and row.event != "receive":
        return None  # a deadline fact, not a state change
    with db.session.no_autoflush:  # a flush here would move the version check out of apply_event's try
        unit = case.unit.code if case.unit else None
    payload = {"event": row.event, "code": case.code, "from": row.from_state, "to": row.to_state,
               "at": row.at.isoformat(), "unit": unit, "due_date": case.due_date.isoformat() if case.due_date else None}
    delivery = WebhookDelivery(transition=row, feedback=case, status="pending", attempts=0,
                               next_attempt_at=row.at, payload=json.dumps(payload, ensure_ascii=False))
    db.session.add(delivery)
    return delivery


def _post(url: str, secret: str, body: bytes, timeout: float) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "pakn-webhook/1",
        SIGNATURE_HEADER: sign(secret, body)})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "unexpected status", response.headers, None)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … capped at one day."""
    return exponential_backoff(attempts, current_app.config["WEBHOOK_BACKOFF_SECONDS"], 86400)


def deliver_webhooks(now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """POST the deliveries that are due; each outcome is committed on its own. Returns counts."""
    now = now or CLOCK.now()
    url, secret = current_app.config.get("WEBHOOK_URL"), current_app.config.get("WEBHOOK_SECRET")
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not url or not (secret or "").strip():  # never unsigned (settings_check stops an app started so)
        return counts
    # a case's changes in the order they happened: one waiting for a retry holds back the later ones (the
    # payload has no sequence the receiver could restore it by); an earlier one due now comes first in
    # this run, and holds them back if it fails
    earlier = aliased(WebhookDelivery)
    waiting_before = (select(earlier.id).where(earlier.feedback_id == WebhookDelivery.feedback_id,
                                               earlier.status == "pending", earlier.next_attempt_at > now,
                                               earlier.id < WebhookDelivery.id)
                      .exists())
    due = db.session.execute(select(WebhookDelivery).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now, ~waiting_before)
        .order_by(WebhookDelivery.id).limit(limit)).scalars().all()
    held: set[int] = set()  # the cases whose change failed in this run
    for delivery in due:
        if delivery.feedback_id in held:
            continue
        delivery.attempts += 1
        try:
            _post(url, secret, delivery.payload.encode("utf-8"), current_app.config["WEBHOOK_TIMEOUT"])
        except (OSError, ValueError) as exc:  # URLError/HTTPError are OSErrors
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if delivery.attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
                delivery.status = "failed"
                counts["failed"] += 1
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                counts["retry"] += 1
                if delivery.feedback_id is not None:
                    held.add(delivery.feedback_id)
        else:
            delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
            counts["sent"] += 1
        db.session.commit()
    return counts
