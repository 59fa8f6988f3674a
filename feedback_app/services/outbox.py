"""The stored outbox: a mail is first a row, written in the same transaction as the change that
caused it (``enqueue``, which never commits), then delivered by a job (``deliver_due``) with retries
and exponential backoff.

Delivery claims rows before sending: on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED``, and on
every database with a compare-and-set ``UPDATE`` that pushes ``next_attempt_at`` forward (a lease)
and counts the attempt, committed before the SMTP conversation. Two workers therefore never send one
row twice; a worker that dies after claiming only delays the row until its lease ends. A crash
between the SMTP server's "250 OK" and marking the row sent is the one window left: the retry
then carries the same ``Message-ID`` (derived from the row's unique key), so the receiving side
sees one message, not two. Attachments (``attachment_ref`` = ``letter:<id>`` or ``replies:<case id>``)
are read or rendered when sent.
"""
from __future__ import annotations

import base64
import hashlib
import re
import smtplib
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.policy import SMTP, compat32
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import exists as sql_exists, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from workflows.clock import CLOCK, local_date

from ..extensions import db, mail as flask_mail
from ..models import ApologyLetter, Feedback, OutboxMail
from .files import attachment_path, mailable, reply_files

LEASE_SECONDS = 300
MAX_BACKOFF_SECONDS = 6 * 3600
# The mail server unreachable (down, a network cut): no mail's fault, so no mail's attempt; the batch is
# tried again this much later, for as long as it takes (a weekend's outage must not fail every mail)
SERVER_DOWN_RETRY = timedelta(minutes=5)
SERVER_DOWN = "SMTP: "  # how such a mail's last_error begins (the admin's failing list finds them by it)


def exists(key: str) -> bool:
    return db.session.execute(select(OutboxMail.id).where(OutboxMail.key == key)).first() is not None


def keys_taken(keys: Collection[str]) -> set[str]:
    """Which of ``keys`` a stored mail has, in one query (a batch's, instead of one ``exists`` each)."""
    if not keys:
        return set()
    return set(db.session.execute(select(OutboxMail.key).where(OutboxMail.key.in_(keys))).scalars())


def compose(key: str, kind: str, recipients: list[str] | str, subject: str, template: str,
            feedback: Feedback | None = None, attachment_ref: str | None = None, **context) -> OutboxMail | None:
    """A mail rendered from ``templates/mail/<template>.txt``, not yet stored (None without a recipient).
    ``key`` names the cause: the unique key refuses a second mail for the same cause."""
    recipients = [r for r in ([recipients] if isinstance(recipients, str) else recipients) if r]
    if not recipients:
        return None
    context.setdefault("feedback", feedback)
    return OutboxMail(key=key, kind=kind, recipients=", ".join(recipients), subject=subject,
                      body_text=render_mail(template, **context), attachment_ref=attachment_ref,
                      feedback_id=getattr(feedback, "id", None), status="pending", attempts=0,
                      next_attempt_at=CLOCK.now())


def enqueue(key: str, kind: str, recipients: list[str] | str, subject: str, template: str,
            feedback: Feedback | None = None, attachment_ref: str | None = None, *,
            taken: Collection[str] | None = None, expires_at: datetime | None = None,
            **context) -> OutboxMail | None:
    """Store a mail (see ``compose``) in the caller's transaction, unless one for the same cause exists.
    ``taken``: the keys in use, when the caller looked up a whole batch's at once (``keys_taken``); else
    this one is looked up. ``expires_at``: a staff mail not worth sending after then (``expire_stale``)."""
    mail = compose(key, kind, recipients, subject, template, feedback, attachment_ref, **context)
    if mail is None or (key in taken if taken is not None else exists(key)):
        return None
    mail.feedback = feedback
    mail.expires_at = expires_at
    db.session.add(mail)
    return mail


def expire_stale(now: datetime) -> int:
    """Mark ``expired`` the pending mails past their ``expires_at`` (the mail server was down until after
    the date a reminder was about, the day a digest summed up): sent now they would mislead. A citizen's
    mail never expires. Commits; returns how many."""
    # not one a worker holds (its lease, next_attempt_at, is ahead): that one settles as sent or retried
    stale = (OutboxMail.status == "pending", OutboxMail.expires_at.is_not(None), OutboxMail.expires_at <= now,
             OutboxMail.next_attempt_at <= now)
    if db.session.execute(select(OutboxMail.id).where(*stale).limit(1)).first() is None:
        db.session.rollback()  # nothing to write: no write lock taken on SQLite, every 30 seconds
        return 0
    done = db.session.execute(update(OutboxMail).where(*stale)
                              .values(status="expired", next_attempt_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    if done.rowcount:
        current_app.logger.info("outbox: %s mails expired unsent (their date passed while they waited)", done.rowcount)
    return done.rowcount


def enqueue_each(key: str, kind: str, recipients: list[str], subject: str, template: str,
                 feedback: Feedback | None = None, **context) -> list[OutboxMail]:
    """One mail per address (the same text): a wrong address fails and is retried alone, and nobody
    learns who else was told. ``key`` names the cause; each row's key adds its address's digest."""
    queued = []
    for address in dict.fromkeys(a.strip().lower() for a in recipients if a and a.strip()):
        digest = hashlib.sha256(address.encode()).hexdigest()[:16]
        mail = enqueue(f"{key}:{digest}", kind, address, subject, template, feedback, **context)
        if mail is not None:
            queued.append(mail)
    return queued


def link(endpoint: str, **values) -> str:
    """An absolute link for a mail, built on ``PUBLIC_BASE_URL`` (never on the host of the request
    that caused the mail, nor missing when a job or a command causes it)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def render_mail(template: str, **context) -> str:
    """The text of ``templates/mail/<template>.txt``. Mails see ``config`` and ``today`` and what the
    caller passes, not the pages' context processors (navigation, locale, nonces), which cost a
    submission more than the template itself."""
    context = {"config": current_app.config, "today": CLOCK.today(), **context}
    return current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context)


# --- delivery --------------------------------------------------------------------------------

@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    unreachable: str | None = None  # the mail server could not be reached (its error): nothing was tried
    expired: int = 0  # staff mails past their date, not sent (flush: expire_stale)

    def summary(self) -> str:
        down = f"; mail server unreachable: {self.unreachable}" if self.unreachable else ""
        stale = f", expired {self.expired}" if self.expired else ""
        return f"sent {self.sent}, to retry {self.retried}, failed {self.failed}{stale}{down}"


def tried(mail=None):
    """SQL: the mail was tried and did not go: it failed attempts, or found the mail server unreachable
    (which counts no attempt but leaves its error). A mail never tried has neither: held on purpose
    until its time (an automatic apology letter's grace period) or just written."""
    mail = mail if mail is not None else OutboxMail
    return or_(mail.attempts > 0, mail.last_error.is_not(None))


def exponential_backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    """The wait before the next attempt: base, 2×base, 4×base … after ``attempts`` tries, capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


def backoff(attempts: int) -> timedelta:
    """60 s, 120 s, 240 s … (``OUTBOX_BACKOFF_SECONDS`` doubled per attempt), at most 6 hours."""
    return exponential_backoff(attempts, int(current_app.config.get("OUTBOX_BACKOFF_SECONDS", 60)),
                               MAX_BACKOFF_SECONDS)


def message_id(key: str) -> str:
    """The same Message-ID for every attempt of one mail: a retry after a crash is not a new message."""
    domain = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1].partition("@")[2] or "pakn.local"
    return f"<pakn.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due rows for this worker and commit the claim before any SMTP.

    A case's mails to one reader go in the order they were written: a mail waits while an older one of its
    case to the same recipients is being retried and not due yet (in flight, waiting out its backoff, or
    for the mail server to come back), so the citizen never gets the answer before the receipt, and the
    unit's mail never waits for a citizen's mailbox; both due, they are claimed
    together and sent by id (``deliver_due`` puts the newer back if the older fails). An older mail *held* on purpose
    (never tried, due later: an automatic apology letter's grace period, ``APOLOGY_GRACE_HOURS``) holds
    nothing back and is never pulled forward: its hold is the staff's time to write the reason."""
    on_postgres = db.engine.dialect.name == "postgresql"
    older = aliased(OutboxMail)
    # the order matters to one reader: a mail to the unit or the leader never waits for the citizen's
    retried_before = (sql_exists().where(older.feedback_id == OutboxMail.feedback_id, older.id < OutboxMail.id,
                                     older.recipients == OutboxMail.recipients,
                                     older.status == "pending", tried(older), older.next_attempt_at > now)
                      .correlate(OutboxMail))
    due = (select(OutboxMail.id, OutboxMail.next_attempt_at)
           .where(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now,
                  or_(OutboxMail.feedback_id.is_(None), ~retried_before))
           .order_by(OutboxMail.id).limit(limit))  # by id: a limit never keeps a newer mail and drops an older
    if on_postgres:
        due = due.with_for_update(skip_locked=True, of=OutboxMail)
    claimed = []
    for mail_id, read_at in db.session.execute(due).all():
        # compare-and-set: only if nobody claimed it since we read it (a claim moves next_attempt_at)
        taken = db.session.execute(
            update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == "pending",
                                     OutboxMail.next_attempt_at == read_at)
            .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS), attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            claimed.append(mail_id)
    db.session.commit()
    return claimed


def _attachments(ref: str | None) -> list[tuple[str, str, bytes]]:
    """``letter:<id>`` → the letter's full PDF (for the citizen it is addressed to); ``replies:<case id>``
    → the files of the case's approved answer, read from UPLOAD_DIR (a missing file is an error: the
    mail is retried, then marked failed, rather than sent without it)."""
    if not ref:
        return []
    kind, _, ident = ref.partition(":")
    if kind == "letter" and ident.isdigit():
        letter = db.session.get(ApologyLetter, int(ident))
        if letter is not None:
            from ..letters import letter_filename, render_letter_pdf
            return [(letter_filename(letter), "application/pdf", render_letter_pdf(letter))]
    if kind == "replies" and ident.isdigit():
        case = db.session.get(Feedback, int(ident))
        if case is not None:
            from .submissions import display_name  # as stored by an older version too: a line break ends a header
            return [(display_name(a.original_name), a.content_type, attachment_path(a).read_bytes())
                    for a in mailable(reply_files(case))]
    raise ValueError(f"unknown attachment {ref!r}")


def encoded_words(text: str, always: bool = False) -> str:
    """``text`` as RFC 2047 encoded-words that each hold whole characters and their own spaces, one per
    line; ASCII text stays as it is.

    Flask-Mail encodes a subject or a sender's name with ``email.header.Header``, and Python folds long
    headers again when it writes them: both cut a long Vietnamese text between two words and leave the
    space *between* two encoded-words, where RFC 2047 (6.2) tells every reader to drop it (a fifth of
    generated subjects arrived as "Sởthông", a long sender's name as "C ông"). Each word here is short
    enough that its line, "Subject: " included, stays within 78 characters, which Python then sends as
    it is. ``always``: ASCII text too (a long sender's name, which Python would fold inside a word)."""
    if text.isascii() and not always:
        return text
    words, chunk = [], ""
    # whole words with the space after them, so that a reader that keeps the folding space between two
    # encoded-words (Python's own address parser does) adds a space where there is one, never inside a word
    for word in re.findall(r"\S+\s*|\s+", text):
        if chunk and len((chunk + word).encode()) > 39:  # 52 base64 characters
            words.append(chunk)
            chunk = ""
        for ch in word:  # a word too long for one encoded-word is cut between its characters
            if chunk and len((chunk + ch).encode()) > 39:
                words.append(chunk)
                chunk = ""
            chunk += ch
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode('ascii')}?=" for w in words)


class _Message(Message):
    """Flask-Mail's message with the subject and the sender's name written by ``encoded_words``."""

    def _message(self):
        msg = super()._message()
        name, address = parseaddr(self.sender)
        msg.policy = compat32  # headers stored as written; Flask-Mail's SMTP policy writes the message
        # an ASCII subject longer than its line ("Subject: " + 69) is encoded too: folded by Python, a reader
        # got it back with a space in front (found by tests/test_outbox_delivery.py's property test)
        msg.replace_header("Subject", encoded_words(self.subject, always=len(self.subject) > 69))
        if name and (not name.isascii() or len(self.sender) > 70):
            msg.replace_header("From", f"{encoded_words(name, always=True)}\r\n <{address}>")
        msg.policy = SMTP
        return msg


def _message(row: OutboxMail) -> Message:
    msg = _Message(subject=row.subject, recipients=[r.strip() for r in row.recipients.split(",") if r.strip()],
                   body=row.body_text, html=row.body_html, sender=current_app.config.get("MAIL_DEFAULT_SENDER"))
    msg.msgId = message_id(row.key)
    for filename, content_type, data in _attachments(row.attachment_ref):
        msg.attach(filename, content_type, data)
    return msg


_BAD_ADDRESS = re.compile(rb"^\s*5\.1\.\d+")  # RFC 3463: 5.1.x, a mailbox or domain that does not exist


def refused_for_good(exc: Exception) -> bool:
    """The mail server said every recipient's address does not exist (5xx with the enhanced status 5.1.x:
    "550 5.1.1 User unknown"): trying again cannot deliver it, and the citizen should be told another way at
    once, not after a day of retries. Every other refusal is retried: a 4xx (a full mailbox, greylisting),
    and the relay's own 5xx (5.7.x "relay access denied", 530 "authentication required"), which a fixed
    configuration cures for every mail at once."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and bool(exc.recipients) and all(
        code >= 500 and bool(_BAD_ADDRESS.match(message if isinstance(message, bytes) else str(message).encode()))
        for code, message in exc.recipients.values())


def _failed(row: OutboxMail, error: str, now: datetime, result: DeliveryResult, for_good: bool = False) -> None:
    row.last_error = error[:2000]
    if for_good or row.attempts >= int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", 12)):
        row.status = "failed"
        result.failed += 1
        if row.feedback_id is not None:  # a citizen not reached by mail is told by phone or post
            from . import citizen_notices  # which writes its mails through this module
            citizen_notices.mail_failed(row, now)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        result.retried += 1
    result.errors.append(f"{row.key}: {error}")


class _TimedConnection(Connection):
    """Flask-Mail's connection with ``MAIL_TIMEOUT`` on its socket: Flask-Mail opens it without one, so a
    mail server that accepts and never answers would hold the outbox worker (and the scheduler) for good."""

    def configure_host(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _connection() -> Connection:
    """An SMTP connection from the configuration as it is now (Flask-Mail freezes it at init_app).
    Sending is real in every environment unless ``MAIL_SUPPRESS_SEND`` says otherwise: the tests
    point the app at a real SMTP server on loopback."""
    return _TimedConnection(flask_mail.init_mail(current_app.config, current_app.debug, testing=False))


def _request_reached(row: OutboxMail) -> None:
    """The citizen's days to answer a request for information count from its delivery: the case's due
    date moves (``citizen_notices.request_reached``), after the mail's own outcome is stored, so that a
    failure here (a lock, a lost connection) never sends the mail twice; the day is read again from
    ``sent_at`` wherever a refusal for no answer is judged."""
    from . import citizen_notices
    try:
        citizen_notices.request_reached(row.key, local_date(row.sent_at))
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("outbox: %s delivered, its case's due date not moved: %s", row.key, exc)


def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryResult:
    """Send what is due now (at most ``limit`` mails), one SMTP connection for the batch."""
    now = now or CLOCK.now()
    result = DeliveryResult()
    ids = _claim(now, limit)
    if not ids:
        return result
    rows = db.session.execute(select(OutboxMail).where(OutboxMail.id.in_(ids)).order_by(OutboxMail.id)).scalars().all()
    try:
        connection = _connection().__enter__()
    except (OSError, smtplib.SMTPException, socket.error) as exc:
        # released uncounted: they wait for the server, however long it is down; each only if it still holds
        # this worker's lease (an admin's retry, another worker, may have moved it while the server was awaited)
        leased = [(row.id, row.next_attempt_at) for row in rows]
        db.session.rollback()
        result.retried += _release(leased, now + SERVER_DOWN_RETRY, last_error=f"{SERVER_DOWN}{exc}"[:2000])
        result.unreachable = f"{type(exc).__name__}: {exc}"
        db.session.commit()
        current_app.logger.warning("outbox: SMTP unavailable (%s); %s", exc, result.summary())
        return result
    leases = {row.id: row.next_attempt_at for row in rows}  # as claimed: read again, the database may be gone
    unsettled = None  # what the database did not take: (the mail sent, the rest of the claim), written at the end
    try:
        # (case, recipients) whose older mail failed just now: their newer ones wait for it
        held_back: set[tuple[int, str]] = set()
        for n, row in enumerate(rows):
            if (row.feedback_id, row.recipients) in held_back:
                row.attempts, row.next_attempt_at = row.attempts - 1, now  # not tried: released, unsent
                try:
                    db.session.commit()
                except StaleDataError:  # withdrawn or rewritten meanwhile: nothing of this worker's to release
                    db.session.rollback()
                except SQLAlchemyError as exc:
                    unsettled = _database_gone(exc, [(i, leases[i]) for i in list(leases)[n + 1:]])
                    break
                continue
            try:
                if not _renew_lease(row.id, leases, now):  # another worker took it, or a correction rewrote it
                    continue
            except SQLAlchemyError as exc:
                unsettled = _database_gone(exc, [(i, leases[i]) for i in list(leases)[n:]])
                break
            try:
                connection.send(_message(row))
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                _failed(row, f"{type(exc).__name__}: {exc}", now, result, for_good=refused_for_good(exc))
                if row.feedback_id is not None and row.status == "pending":
                    held_back.add((row.feedback_id, row.recipients))
            else:
                if row.last_error is not None and row.feedback_id is not None:  # it had failed before
                    from . import citizen_notices
                    citizen_notices.mail_delivered(row)
                row.status, row.sent_at, row.last_error = "sent", CLOCK.now(), None
                result.sent += 1
            # what went, to tell a mail merely re-timed meanwhile (an admin's retry) from one rewritten
            sent = (row.id, row.recipients, row.subject, row.body_text) if row.status == "sent" else None
            try:
                db.session.commit()  # each outcome is stored as soon as it is known
            except StaleDataError:  # changed while being sent: rewritten (services.corrections), withdrawn, retried
                db.session.rollback()
                if sent is None or not _mark_sent_unless_rewritten(sent):
                    current_app.logger.info("outbox: a mail was withdrawn or rewritten while it was being sent")
                continue
            except SQLAlchemyError as exc:  # the mail went; the database, locked or gone, did not take it
                unsettled = _database_gone(exc, [(i, leases[i]) for i in list(leases)[n + 1:]], sent=sent)
                break
            if sent and row.kind == "request_info":
                _request_reached(row)
    finally:
        try:
            connection.__exit__(None, None, None)
        except (OSError, smtplib.SMTPException):
            pass
    if unsettled is not None:
        _settle(*unsettled, now)
    current_app.logger.info("outbox: %s", result.summary())
    return result


def _renew_lease(mail_id: int, leases: dict[int, datetime], now: datetime) -> bool:
    """This worker's lease on the mail, renewed just before it is sent, if it still holds the lease this
    worker gave it (``leases``): a batch of slow mails outlasts the lease of its claim, and a second worker
    (``flask outbox flush``, another scheduler) may claim a mail whose lease ran out. False: the mail is no
    longer this worker's (taken, rewritten or withdrawn meanwhile)."""
    renewed = max(now, CLOCK.now()) + timedelta(seconds=LEASE_SECONDS)
    taken = db.session.execute(update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == "pending",
                                                        OutboxMail.next_attempt_at == leases[mail_id])
                               .values(next_attempt_at=renewed).execution_options(synchronize_session=False))
    db.session.commit()
    if taken.rowcount != 1:
        current_app.logger.info("outbox: mail %s was taken by another worker, or changed, before it was sent", mail_id)
        return False
    leases[mail_id] = renewed
    return True


def _mark_sent_unless_rewritten(sent: tuple[int, str, str, str]) -> bool:
    """The mail ``sent`` (id, recipients, subject, body as they went) marked sent, if it still says that: a
    mail only re-timed meanwhile (an admin's "Gửi lại") does not go twice; one a correction rewrote stays
    pending and goes to the corrected address. Commits; False when it was rewritten or withdrawn."""
    mail_id, recipients, subject, body = sent
    marked = db.session.execute(update(OutboxMail).where(
        OutboxMail.id == mail_id, OutboxMail.status != "sent", OutboxMail.recipients == recipients,
        OutboxMail.subject == subject, OutboxMail.body_text == body)
        .values(status="sent", sent_at=CLOCK.now(), last_error=None).execution_options(synchronize_session=False))
    db.session.commit()
    return marked.rowcount == 1


def _database_gone(exc: SQLAlchemyError, rest: list[tuple[int, datetime]], sent: tuple | None = None):
    """The database refused a write in the middle of a batch (a lock held past its timeout, a restart):
    nothing more is sent; the mail sent and the rest of the claim (id, lease) are written down at the end
    (``_settle``)."""
    db.session.rollback()
    current_app.logger.warning("outbox: the database refused a write (%s); the batch stops", exc.__class__.__name__)
    return sent, rest


# The waits between attempts to write down a batch the database refused (about 15 s in all)
SETTLE_WAITS = (0.5, 1, 2, 4, 8)


def _settle(sent: tuple | None, rest: list[tuple[int, datetime]], now: datetime) -> None:
    """After the database refused a write: the mail the server took is marked sent, so that it does not go
    twice when its lease ends; the claimed mails not tried are released (due now, the attempt not counted),
    instead of waiting out the lease. Tried a few times; failing still, the leases end as after a crash."""
    for wait in (0, *SETTLE_WAITS):
        time.sleep(wait)
        try:
            if sent is not None:
                _mark_sent_unless_rewritten(sent)  # (a correction meanwhile: the corrected one goes)
            _release(rest, now)
            db.session.commit()
            return
        except SQLAlchemyError:
            db.session.rollback()
    current_app.logger.error("outbox: the database refused the batch's outcome; its mails are retried when "
                             "their leases end (a mail sent may then go twice, with the same Message-ID)")


def _release(claimed: list[tuple[int, datetime]], due: datetime, **values) -> int:
    """Give back claimed mails not tried (the attempt of the claim not counted), due again at ``due``, each only
    if it still holds this worker's lease (``next_attempt_at`` as claimed: nobody took, retried or expired it
    meanwhile), with ``values`` set too. Returns how many; the caller commits."""
    released = 0
    for mail_id, lease in claimed:
        released += db.session.execute(update(OutboxMail).where(
            OutboxMail.id == mail_id, OutboxMail.status == "pending", OutboxMail.next_attempt_at == lease)
            .values(attempts=OutboxMail.attempts - 1, next_attempt_at=due, **values)
            .execution_options(synchronize_session=False)).rowcount
    return released


def flush(now: datetime | None = None, batch: int = 100) -> DeliveryResult:
    """Deliver everything due now, batch after batch (``flask outbox flush``, the scheduler's job), once the
    staff mails past their date are set aside (``expire_stale``)."""
    total = DeliveryResult(expired=expire_stale(now or CLOCK.now()))
    while True:
        part = deliver_due(now, limit=batch)
        total.sent, total.retried, total.failed = total.sent + part.sent, total.retried + part.retried, \
            total.failed + part.failed
        total.errors += part.errors
        total.unreachable = part.unreachable
        # the server unreachable: the next batch would only wait out MAIL_TIMEOUT again
        if part.unreachable or part.sent + part.retried + part.failed < batch:
            return total


# --- the admin's view ------------------------------------------------------------------------

def failing_query():
    """Mails that failed for good, that keep failing (retried at least twice), or that wait for a mail
    server that cannot be reached (no attempt counted, its error kept)."""
    waiting_for_server = OutboxMail.last_error.startswith(SERVER_DOWN)
    return (select(OutboxMail).where((OutboxMail.status == "failed")
                                     | ((OutboxMail.status == "pending")
                                        & ((OutboxMail.attempts >= 2) | waiting_for_server)))
            .order_by(OutboxMail.next_attempt_at.desc(), OutboxMail.id.desc()))


def counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())


def retry(mail_id: int) -> OutboxMail | None:
    """An admin asks for one more try now: back to pending, attempts reset. Commits."""
    row = db.session.get(OutboxMail, mail_id)
    if row is None or row.status == "sent":
        return None
    row.status, row.attempts, row.next_attempt_at = "pending", 0, CLOCK.now()
    db.session.commit()
    return row
