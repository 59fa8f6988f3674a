"""The database model. Times are stored in UTC; due dates are local calendar dates.

The schema is created by Alembic migrations (``migrations/``), never by ``create_all()`` outside tests.
``Feedback.state`` is written only by ``workflows.lifecycle`` (through ``services.cases``).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (CheckConstraint, ColumnElement, Date, DateTime, ForeignKey, Index, Integer, Select, String,
                        Text, UniqueConstraint, exists, func, select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from workflows.clock import CLOCK
from workflows.deadlines import EXTENSION_BASIS, Due, Step
from workflows.lifecycle import N_, OPEN_STATES, Role, State, answer_returned

from . import search_index
from .extensions import db


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always handed back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use workflows.clock.CLOCK.now()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return CLOCK.now()


ROLE_VALUES = tuple(r.value for r in (Role.OFFICE, Role.UNIT, Role.LEADER, Role.ADMIN))
STATE_VALUES = tuple(s.value for s in State)
STEP_VALUES = tuple(s.value for s in Step)
# How a case reached the department (NĐ 20/2008 Art 6–7; QĐ 31/2021 Art 39–46), with its label.
CHANNEL_LABELS = {
    "web": N_("Cổng thông tin điện tử"), "api": N_("Ứng dụng kết nối (API)"), "email": N_("Thư điện tử"), "post": N_("Bưu chính"),
    "phone": N_("Điện thoại"), "in_person": N_("Trực tiếp"), "national": N_("Hệ thống quốc gia"),
}
CHANNELS = tuple(CHANNEL_LABELS)
# The citizen sent it themselves (online, in Biểu 06's words): received when it arrived, not entered by HCTH.
PORTAL_CHANNELS = ("web", "api")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Unit(db.Model):
    """A room or centre of the department (phòng, đơn vị)."""

    __tablename__ = "units"
    # one office (HCTH) at most, also when two admins create it at once (migration 0028)
    __table_args__ = (Index("ux_units_one_office", "is_office", unique=True, sqlite_where=text("is_office"),
                            postgresql_where=text("is_office")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    is_office: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    users: Mapped[list["User"]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Category(db.Model):
    """How HCTH classifies a case; internal targets per category are shorter than the law, never longer."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    classify_target_days: Mapped[int | None] = mapped_column(Integer)
    answer_target_days: Mapped[int | None] = mapped_column(Integer)
    # A field no longer used is offered to HCTH no more; the cases classified in it keep it (migration 0034)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLE_VALUES), name="role"),
        CheckConstraint("role <> 'unit' OR unit_id IS NOT NULL", name="unit_has_unit"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Part of the id in every signed session cookie (get_id): signing out or a new password moves it on,
    # and every cookie issued before, a copied one included, then signs nobody in.
    session_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit | None] = relationship(back_populates="users")
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        from flask import current_app, has_app_context
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Sign out every browser of this user (the session cookie is signed, not stored: its id goes stale)."""
        self.session_version = (self.session_version or 0) + 1

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class SignInFailure(db.Model):
    """Wrong passwords for one e-mail as typed, from one client address (services.accounts.authenticate).

    Kept per address, not per account, so that nobody elsewhere can lock a member of staff out by
    typing wrong passwords on purpose; kept for e-mails that are no account as well, so that the lock
    does not tell which e-mails are accounts."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (UniqueConstraint("email", "address", name="uq_sign_in_failure"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


def unit_staff(unit_id) -> tuple[ColumnElement[bool], ...]:
    """SQL conditions: a user is an active user of the unit ``unit_id`` (a column or a value), who can act
    on a case forwarded to it (services.assignment offers them as its officers)."""
    return User.unit_id == unit_id, User.active, User.role == "unit"


def staffed(unit_id) -> ColumnElement[bool]:
    """SQL: the unit ``unit_id`` has an active user of its own (``unit_staff``)."""
    return exists().where(*unit_staff(unit_id))


class AdminEvent(db.Model):
    """The administration's own trail (services.admin_log): who changed an account, an API token, a
    unit, a field or the working-day calendar, when, and what changed. The cases' trail is Transition."""

    __tablename__ = "admin_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))  # the user's name then, or the command's
    action: Mapped[str] = mapped_column(String(40), index=True)  # a key of services.admin_log.ACTIONS
    subject: Mapped[str] = mapped_column(String(300))  # whom or what: an e-mail, a unit's or a field's code, a day
    details: Mapped[str | None] = mapped_column(Text)  # what changed, in Vietnamese, as the case trail's notes


class ApiToken(db.Model):
    """A staff API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


# The condition of ix_feedback_revising, written into a query's SQL rather than bound: a statement
# PostgreSQL runs with a generic plan (psycopg prepares it after a few runs) cannot know that a parameter
# matches the index's condition, and would read ix_feedback_due instead.
REVISING = text(f"due_step = '{Step.REVISE.value}'")


class Feedback(db.Model):
    """One citizen's feedback or petition (phản ánh, kiến nghị): a case."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_in("state", STATE_VALUES), name="state"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(f"due_step IS NULL OR {_in('due_step', STEP_VALUES)}", name="due_step"),
        # The sweep reads only what is due through this index (due date, state); the dashboard counts
        # the overdue cases of the department's steps inside it (migration 0011).
        Index("ix_feedback_due", "due_date", "state", "due_step"),
        Index("ix_feedback_target", "target_date", "state"),  # reminders follow the internal target
        Index("ix_feedback_state_unit", "state", "unit_id"),
        Index("ix_feedback_received_at", "received_at"),
        Index("ix_feedback_state_received", "state", "received_at"),  # HCTH's intake queue, oldest first
        # A citizen calls about their case: staff look it up by the phone or e-mail it was sent with
        # (services.staff_search, migration 0030)
        Index("ix_feedback_phone", "phone"),
        Index("ix_feedback_email", "email"),
        # A submission's key (the API's Idempotency-Key, the portal form's key): a retried or double-sent
        # submission finds its case instead of making a second one (migration 0012). Partial: the
        # submissions without a key write nothing to it.
        Index("ux_feedback_submission_key", "submission_key", unique=True,
              sqlite_where=text("submission_key IS NOT NULL"), postgresql_where=text("submission_key IS NOT NULL")),
        # The answers HCTH returned for revision (QĐ 31/2021 Art 46), which the leader's dashboard counts
        # apart (reports.overview): a few cases, found without reading every case at a unit (migration
        # 0033). Partial: a submission, at the classify step, writes nothing to it.
        Index("ix_feedback_revising", "state", sqlite_where=REVISING, postgresql_where=REVISING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    # What the citizen sent (NĐ 20/2008 Art 7.1: name, address, phone or postal address, content)
    submitter_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str | None] = mapped_column(String(500))
    consent_publish: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    language: Mapped[str] = mapped_column(String(8), default="vi", server_default="vi")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submission_key: Mapped[str | None] = mapped_column(String(100))  # see ux_feedback_submission_key
    # with a key: the submission as first stored (Submission.digest), which a correction by HCTH keeps
    submission_digest: Mapped[str | None] = mapped_column(String(64))

    # Where it is now
    state: Mapped[str] = mapped_column(String(20), default=State.RECEIVED.value)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    # the PAKN's own code on the national system, for one HCTH entered from it (QĐ 31/2021/QĐ-TTg Art 43):
    # the answer is entered back under it there
    national_code: Mapped[str | None] = mapped_column(String(40), index=True)
    # regulation / behaviour (workflows.lifecycle.SUBJECTS), set when HCTH classifies the case
    subject: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}  # optimistic locking: a stale write is refused

    # The current step's deadline: ``due_days`` working days after ``due_start`` (see workflows.deadlines)
    due_step: Mapped[str | None] = mapped_column(String(16))
    due_start: Mapped[date | None] = mapped_column(Date)
    due_days: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_basis: Mapped[str | None] = mapped_column(String(400))
    target_date: Mapped[date | None] = mapped_column(Date)  # internal target, never after due_date
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    extension_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    overdue_since: Mapped[date | None] = mapped_column(Date)  # the due date that was missed
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    directed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the leader's latest ``direct``

    # Outcomes
    info_requested: Mapped[str | None] = mapped_column(Text)
    # The outbox key of the latest request for information, shared by its mail or, for a citizen
    # without an e-mail, its notice (CitizenNotice): whether and when it reached the citizen
    # (services.citizen_notices.info_answer_due)
    info_request_key: Mapped[str | None] = mapped_column(String(200))
    refusal_reason: Mapped[str | None] = mapped_column(String(40))
    refusal_note: Mapped[str | None] = mapped_column(Text)
    transferred_to: Mapped[str | None] = mapped_column(String(300))
    reply_text: Mapped[str | None] = mapped_column(Text)      # draft, then the approved answer
    # The answer the citizen holds: the text the leader last approved and mailed. It differs from
    # reply_text while HCTH has returned the answer for revision (return_answer, QĐ 31/2021 Art 46)
    # and the unit drafts anew; the status page keeps showing this one until the revision is approved.
    answer_text: Mapped[str | None] = mapped_column(Text)
    # answered_at is the first answer's (reports read it, see reports/queries.py); a revised answer's
    # approval is revised_at, the last one's (None until an answer is revised)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_on_time: Mapped[bool | None] = mapped_column()
    answered_due_date: Mapped[date | None] = mapped_column(Date)  # the answer's first due date (reports; 0014)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # refused or transferred (reports)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # filed in the department's records once nothing is left to do (lifecycle ``archive``; NĐ 20/2008
    # Art 9.1, 14.2e): when, and the file's reference there (số, ký hiệu hồ sơ)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archive_ref: Mapped[str | None] = mapped_column(String(100))
    public_title: Mapped[str | None] = mapped_column(String(300))    # redacted, as HCTH approved it
    public_question: Mapped[str | None] = mapped_column(Text)
    public_answer: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str | None] = mapped_column(Text)  # folded (no diacritics) public words, for search
    # The order of publication (gap-free, services.sequences): the public list's order and the key of
    # the full-text index (feedback_app/search_index.py: the FTS5 rowid on SQLite, seq on PostgreSQL)
    published_seq: Mapped[int | None] = mapped_column(Integer)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    # The unit's officer who handles it (chuyên viên xử lý; the register's "handler", domain brief §5):
    # set by the unit (services.assignment.assign), cleared when the case leaves the unit or the officer the
    # unit's work. Not a state: the lifecycle does not read it.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[Category | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    duplicate_of: Mapped["Feedback | None"] = relationship(remote_side=[id])
    assignee: Mapped[User | None] = relationship()
    transitions: Mapped[list["Transition"]] = relationship(
        back_populates="feedback", order_by="Transition.id", cascade="all, delete-orphan")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="feedback", order_by="Attachment.id", cascade="all, delete-orphan")
    letters: Mapped[list["ApologyLetter"]] = relationship(
        back_populates="feedback", order_by="ApologyLetter.id", cascade="all, delete-orphan")
    rating: Mapped["Rating | None"] = relationship(back_populates="feedback", uselist=False,
                                                   cascade="all, delete-orphan")
    citizen_notices: Mapped[list["CitizenNotice"]] = relationship(
        back_populates="feedback", order_by="CitizenNotice.id", cascade="all, delete-orphan")

    @property
    def due(self) -> Due | None:
        if self.due_date is None:
            return None
        return Due(Step(self.due_step), self.due_start, self.due_days, self.due_date, self.due_basis or "")

    @due.setter
    def due(self, value: Due | None) -> None:
        self.due_step = value.step.value if value else None
        self.due_start = value.start if value else None
        self.due_days = value.days if value else None
        self.due_date = value.date if value else None
        self.due_basis = value.basis if value else None

    @property
    def due_is_promised(self) -> bool:
        """The due date is the one an apology letter promised (NĐ 61/2018 Art 19.9), not a count."""
        return self.due_basis == EXTENSION_BASIS

    @property
    def answer_letter(self) -> "ApologyLetter | None":
        """The apology letter of the answer step: at most one, since the date is moved only once
        (NĐ 61/2018 Art 19.9; a second miss is escalated, not given a second letter)."""
        return next((x for x in self.letters if x.step == Step.ANSWER.value), None)

    @property
    def is_open(self) -> bool:
        """The department still owes the citizen an answer (not so while an answer already sent is
        being revised before publication)."""
        return State(self.state) in OPEN_STATES and not self.answer_returned

    @property
    def answer_returned(self) -> bool:
        """HCTH returned the sent answer for revision and it is not approved again yet (lifecycle.answer_returned)."""
        return answer_returned(self)

    @property
    def answer_sent_at(self) -> datetime | None:
        """When the answer the citizen holds (``answer_text``) was approved and mailed."""
        return self.revised_at or self.answered_at

    @property
    def return_reason(self) -> str | None:
        """Why HCTH last returned the answer (the ``return_answer`` audit row's note), for the unit."""
        return next((t.note for t in reversed(self.transitions) if t.event == "return_answer"), None)

    @property
    def handed_back(self) -> "Transition | None":
        """The unit's return of the case to HCTH (``return_to_office``: not the unit's to answer), while HCTH
        has it to route again: the audit row of the case's last change of state, when that was the return.
        Its note is the unit's reason, its actor the unit's officer."""
        if self.state != State.CLASSIFIED.value:
            return None
        move = next((t for t in reversed(self.transitions) if t.from_state != t.to_state), None)
        return move if move is not None and move.event == "return_to_office" else None

    @property
    def changes_requested(self) -> "Transition | None":
        """The request for changes (``request_changes``: the leader's, or HCTH's) that sent the draft
        back to the unit, while the unit has it: the audit row of the case's last change of state, when
        that was one. Its note is what the unit must change, its actor who asked."""
        if self.state != State.FORWARDED.value:
            return None
        move = next((t for t in reversed(self.transitions) if t.from_state != t.to_state), None)
        return move if move is not None and move.event == "request_changes" else None

    def personal_data(self) -> list[str]:
        """What the redaction must remove from anything shown to the public."""
        return [v for v in (self.submitter_name, self.address, self.phone, self.email) if v]

    def __repr__(self) -> str:
        return f"<Feedback {self.code} {self.state}>"


# Reports (issue 6): the cases not yet settled at a date, and the publications of a period.
Index("ix_feedback_settled", func.coalesce(Feedback.answered_at, Feedback.closed_at), Feedback.received_at)
Index("ix_feedback_published_at", Feedback.published_at)
Index("ix_feedback_published_seq", Feedback.published_seq, unique=True)  # the public list, newest first
search_index.attach(Feedback.__table__)  # the full-text index of the published answers, per database


class Transition(db.Model):
    """The audit trail: one row per state change or deadline fact (who, when, from, to, why)."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))  # the user's name, "citizen" or "system"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    feedback: Mapped[Feedback] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class Attachment(db.Model):
    __tablename__ = "attachments"
    # kind: ``submission``, the files sent with the PAKN; ``supplement``, the files the citizen sent with
    # supplementary information HCTH asked for (``provide_info``), dated by ``created_at``; ``reply``, the
    # unit's files of the answer. Staff tell the citizen's later files from the original ones by it.
    __table_args__ = (CheckConstraint("kind IN ('submission', 'supplement', 'reply')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="submission")
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A unit's file: when the approval that mailed it to the citizen was given (None: still a draft's).
    # Recorded, not inferred from created_at: a file of a revision's draft must not count as sent.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Lost for good (a disk error, in no backup either), marked by ``flask files mark-lost``: the backup
    # goes on without it, and pages name it as lost instead of linking to nothing. The note says what was
    # looked at (which backups), for whoever asks about the file later.
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lost_note: Mapped[str | None] = mapped_column(String(400))

    feedback: Mapped[Feedback] = relationship(back_populates="attachments")


class ApologyLetter(db.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (TT 01/2018/TT-VPCP Mẫu 04; NĐ 61/2018 Art 19.9).
    Each missed due date gets exactly one letter: unique (case, step, missed date)."""

    __tablename__ = "apology_letters"
    __table_args__ = (
        UniqueConstraint("feedback_id", "step", "missed_due_date", name="uq_letters_once_per_miss"),
        UniqueConstraint("year", "number", name="uq_letters_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    missed_due_date: Mapped[date] = mapped_column(Date)
    new_due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    signer_title: Mapped[str] = mapped_column(String(200))
    automatic: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    feedback: Mapped[Feedback] = relationship(back_populates="letters")

    @property
    def reference(self) -> str:
        return f"{self.number:03d}/PXL"

    @classmethod
    def first_missed(cls) -> Select:
        """(feedback_id, missed): per case, the answer's first due date, the one its first letter says was
        (or was about to be) missed; the SQL twin of ``services.cases.first_answer_due_date``."""
        return (select(cls.feedback_id, func.min(cls.missed_due_date).label("missed"))
                .where(cls.step == Step.ANSWER.value).group_by(cls.feedback_id))


class DeadlineNotice(db.Model):
    """What an approaching or missed deadline caused (reminder, overdue mark, escalation), stored
    once per (case, step, kind, due date) so that a job run twice does nothing twice."""

    __tablename__ = "deadline_notices"
    # ix_deadline_notices_kind_due: the report reads the overdue marks of the steps due by a period's
    # last day (reports.queries.build_report), not every notice of every case
    __table_args__ = (UniqueConstraint("feedback_id", "step", "kind", "due_date", name="uq_deadline_notice"),
                      Index("ix_deadline_notices_kind_due", "kind", "due_date"))
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMail(db.Model):
    """A mail to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'expired')", name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # what caused it: never two mails for one cause
    kind: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachment_ref: Mapped[str | None] = mapped_column(String(200))  # e.g. "letter:12", rendered when sent
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a staff mail worth reading only until then (a reminder of a date, a day's digest): not sent after it
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    feedback: Mapped[Feedback | None] = relationship()

    # ``next_attempt_at`` is also the lease of the worker sending the mail (services.outbox): every write
    # of a row read before is made only if it still holds what was read (StaleDataError otherwise), so a
    # worker whose lease ran out, or that sent a mail a correction rewrote meanwhile, never marks it sent
    __mapper_args__ = {"version_id_col": next_attempt_at, "version_id_generator": False}


class CitizenNotice(db.Model):
    """What a citizen who gave no e-mail address is owed instead of a mail: NĐ 20/2008 Art 7.1 asks
    for a phone number "(or a postal address)", so HCTH enters such a PAKN and must tell its sender
    by phone or by post what the others read in their mail (the receipt with the tracking code, a
    request for information, a refusal, a transfer, an apology letter, the answer, a progress notice).
    Written in the same transaction as its cause, with the mail's key and the mail's text (or when a
    citizen's mail failed for good); then HCTH records how, on which day and who gave it."""

    __tablename__ = "citizen_notices"
    __table_args__ = (
        CheckConstraint("given_how IN ('phone', 'post')", name="given_how"),
        CheckConstraint("(given_how IS NULL) = (given_on IS NULL)", name="given_together"),
        Index("ix_citizen_notices_owed", "given_at", "owed_from"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the key the mail would have had
    kind: Mapped[str] = mapped_column(String(32))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    attachment_ref: Mapped[str | None] = mapped_column(String(200))  # as OutboxMail's: what to enclose
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # from when it is owed (an automatic apology letter's reason may still be written until then)
    owed_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    given_how: Mapped[str | None] = mapped_column(String(8))  # phone, post
    given_on: Mapped[date | None] = mapped_column(Date)        # the day it was told or posted
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when that was recorded
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    given_by_label: Mapped[str | None] = mapped_column(String(200))

    feedback: Mapped[Feedback] = relationship(back_populates="citizen_notices")


class Rating(db.Model):
    """The citizen's satisfaction with the answer: once per case."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score IN (1, 2, 3)", name="score"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int] = mapped_column(Integer)  # 3 very satisfied, 2 satisfied, 1 not satisfied
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    feedback: Mapped[Feedback] = relationship(back_populates="rating")


class CalendarDay(db.Model):
    """A local override of the working-day calendar: a day off or a make-up working day the
    government announced that the ``holidays`` package does not know yet."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('off', 'work')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Counter(db.Model):
    """Sequences (tracking codes per day, letter numbers per year) and the calendar's change marks."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class WebhookDelivery(db.Model):
    """One state change to POST to the configured webhook, written in the same transaction as the
    change (like ``OutboxMail``) and delivered with retries by ``services.webhooks``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index("ix_webhook_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # one delivery per transition: the unique key
    transition_id: Mapped[int] = mapped_column(ForeignKey("transitions.id", ondelete="CASCADE"), unique=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, fixed when the change happened
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    transition: Mapped[Transition] = relationship()
    feedback: Mapped[Feedback | None] = relationship()


class ReportSnapshot(db.Model):
    """A period's report as HCTH closed it (*chốt số liệu*) when it was sent to the province (plan,
    chapter III): the figures are stored, so that the report and its downloads give the same
    numbers ever after, even where a later event would move a case to another unit's row."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("period_start", "period_end", name="uq_report_snapshot_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(40))
    figures: Mapped[str] = mapped_column(Text)  # the report's JSON (``Report.as_dict``) when it was closed
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_by_label: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = ["Unit", "Category", "User", "ApiToken", "Feedback", "Transition", "Attachment", "ApologyLetter",
           "DeadlineNotice", "OutboxMail", "CitizenNotice", "WebhookDelivery", "Rating", "CalendarDay", "Counter",
           "ReportSnapshot", "UTCDateTime", "func"]
