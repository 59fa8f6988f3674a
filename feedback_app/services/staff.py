"""What staff work on: the queues, the case list with filters (pages and API), likely duplicates,
reply drafts with attachments, and publication after HCTH reviewed the masked preview.

State changes still go only through ``cases.apply_event``; the functions here that write
(``mark_duplicate``, ``save_draft``, ``submit_draft``, ``publish``) check the version the user
read, so a second writer gets ``StaleCase`` rather than overwriting."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterable

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, and_, false, func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from workflows.clock import CLOCK
from workflows.lifecycle import AT_UNIT_STATES, N_, LifecycleError, Role, State

from ..extensions import db
from ..models import Attachment, DeadlineNotice, Feedback, Unit
from ..planner import sorted_without_index
from ..text import fold, nfc
from . import publication
from .submissions import SubmissionRejected, check_files
from .cases import StaleCase, apply_event, audit, find
from .files import write_new
from .sweep import overdue_on

INTAKE_STATES = (State.RECEIVED.value, State.AWAITING_INFO.value)


class StaffInputError(ValueError):
    """Bad input from staff: ``message`` a msgid, its ``%(name)s`` from ``params``, ``field`` the input."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message, self.field, self.params = message, field, params


# A file of the draft marked lost for good (``files.mark_lost``): the answer would go out without it.
LOST_DRAFT_FILE = N_("Tệp %(name)s của dự thảo đã bị mất; hãy xóa tệp này khỏi dự thảo (và đính kèm lại nếu có "
                     "bản khác) trước khi trình.")


# --- lists ---------------------------------------------------------------------------------------

def by_due_date(query: Select) -> Select:
    """Overdue first, then the nearest due date, then the cases with none, each the oldest first. The
    overdue cases (``sweep.overdue_on``) are among those due before today, so they come first in order of due
    date by themselves: sorted so, PostgreSQL reads a page through ``ix_feedback_due`` (a million cases:
    1 ms) instead of sorting every case by an expression of today's date (0.8 s, bench/pages.py)."""
    return query.order_by(Feedback.due_date.asc().nulls_last(), Feedback.received_at, Feedback.id)


def awaiting_direction() -> int:
    """The escalated cases the leader has not yet directed (NĐ 61/2018 Art 19.9: the promised date missed,
    no second one), for the leader's landing page; read among the overdue, through the due-date index."""
    return db.session.execute(select(func.count()).select_from(Feedback).where(
        overdue_on(CLOCK.today()), Feedback.escalated_at.is_not(None), Feedback.directed_at.is_(None))).scalar_one()


def newest_first(query: Select) -> Select:
    """The most recently received first (the finished cases, which have no due date to sort by)."""
    return query.order_by(Feedback.received_at.desc(), Feedback.id.desc())


def handled_by_unit(unit: Unit):
    """The cases ``unit`` handles: HCTH (the office) also those it never forwarded or got back, which have
    no unit, as the register, the report and the dashboard count them."""
    if unit.is_office:
        return or_(Feedback.unit_id == unit.id, Feedback.unit_id.is_(None))
    return Feedback.unit_id == unit.id


def case_query(user, *, states: Iterable[str] | None = None, unit: Unit | None = None,
               overdue: bool | None = None) -> Select:
    """The cases ``user`` may see, filtered. A unit user sees only its own unit's cases, the admin
    none (serialize.staff_may_see)."""
    query = select(Feedback)
    if user.role == Role.ADMIN.value:
        query = query.where(false())
    if user.role == Role.UNIT.value:
        query = query.where(Feedback.unit_id == user.unit_id)
    if states:
        query = query.where(Feedback.state.in_(list(states)))
    if unit is not None:
        query = query.where(handled_by_unit(unit))
    if overdue is True:
        query = query.where(overdue_on(CLOCK.today()))
    elif overdue is False:
        query = query.where(~overdue_on(CLOCK.today()))
    return query


# An answer waits for publication only if the citizen agreed to it (the publish event's guard);
# without consent the case is done once its answer is sent, so it shows with the finished cases.
_CONSENTED = Feedback.consent_publish.is_(True)
AWAITING_PUBLICATION = and_(Feedback.state == State.ANSWERED.value, _CONSENTED)
FINISHED = or_(Feedback.state.in_([State.REFUSED.value, State.TRANSFERRED.value, State.PUBLISHED.value]),
               and_(Feedback.state == State.ANSWERED.value, ~_CONSENTED))


def intake_query(user) -> Select:
    """HCTH's intake queue: new cases and cases waiting for the citizen, oldest first (NĐ 20/2008 Art 9.1)."""
    # read through ix_feedback_state_received and sorted, not by walking every case in order of receipt
    return case_query(user, states=INTAKE_STATES).order_by(sorted_without_index(Feedback.received_at), Feedback.id)


# The unit's list of open cases narrowed to whom they are assigned (services.assignment): the
# ``cua`` query argument of the unit's workspace, and its label.
HANDLED_BY = {"toi": N_("Giao cho tôi"), "chua": N_("Chưa phân công")}


# The unit holds the case: working on it, gathering its basis, or its draft with the leader.
UNIT_HOLDS = (*(s.value for s in AT_UNIT_STATES), State.UNDER_REVIEW.value)


def unit_query(user, handled_by: str | None = None) -> Select:
    """The unit's open cases: overdue first, then by due date; ``handled_by`` (``HANDLED_BY``) those
    assigned to ``user``, or to nobody yet."""
    query = case_query(user, states=UNIT_HOLDS)
    if handled_by == "toi":
        query = query.where(Feedback.assignee_id == user.id)
    elif handled_by == "chua":
        query = query.where(Feedback.assignee_id.is_(None))
    return with_trail(by_due_date(query)).options(joinedload(Feedback.assignee))


def with_trail(query: Select) -> Select:
    """The page's audit rows read with it in one query, not one per case: a list's markers read them
    (``Feedback.changes_requested``)."""
    return query.options(selectinload(Feedback.transitions))


class IdsFirstPage(SelectPagination):
    """A page read in two steps: the ids of the page (the query's order, offset and limit, the key alone),
    then those rows with the query's options, in that order. Sorting every finished case with all its
    columns, the long texts included, to skip most of them took seconds at 200,000 cases on SQLite
    (``GET /api/v1/feedback?per_page=100&page=2000``); sorting the keys does not. Counted first, a page
    beyond the last reads no rows."""

    def _query_items(self) -> list:
        query, session = self._query_args["select"], self._query_args["session"]
        if self._query_args["count_first"]:
            self._total = super()._query_count()
            if self._query_offset >= self._total:
                return []
        key = inspect(query.column_descriptions[0]["entity"]).primary_key
        if len(query.column_descriptions) != 1 or len(key) != 1:
            return super()._query_items()
        ids = list(dict.fromkeys(session.execute(query.with_only_columns(key[0], maintain_column_froms=True)
                                                 .limit(self.per_page).offset(self._query_offset)).scalars()))
        if not ids:
            return []
        rows = session.execute(query.order_by(None).where(key[0].in_(ids))).unique().scalars()
        found = {inspect(row).identity[0]: row for row in rows}
        return [found[i] for i in ids if i in found]

    def _query_count(self) -> int:
        total = getattr(self, "_total", None)
        return super()._query_count() if total is None else total


def paginate(query: Select, page: int, per_page: int | None = None, *, count: bool = True) -> IdsFirstPage:
    """A page of ``query`` (``IdsFirstPage``); ``count=False`` when the caller knows the total and sets
    ``total`` itself."""
    per_page = per_page or current_app.config["PER_PAGE"]
    return IdsFirstPage(select=query, session=db.session(), page=max(1, page), per_page=per_page, error_out=False,
                        max_per_page=100, count=count, count_first=count)


def overdue_step(case: Feedback) -> str | None:
    """The step whose date ``case.overdue_since`` is (the sweep's overdue mark): a case may miss its
    classification date, then the whole case's limit its letter names, and the page says which."""
    if case.overdue_since is None:
        return None
    return db.session.execute(select(DeadlineNotice.step).where(
        DeadlineNotice.feedback_id == case.id, DeadlineNotice.kind == "overdue",
        DeadlineNotice.due_date == case.overdue_since).limit(1)).scalar()


def working_days_left(case: Feedback, calendar) -> int | None:
    """Working days from today to the due date (negative when late), for "time left to classify"."""
    if case.due_date is None:
        return None
    return calendar.count_working_days(CLOCK.today(), case.due_date)


# --- likely duplicates --------------------------------------------------------------------------

SIMILAR_WINDOW_DAYS = 365
SIMILAR_SCAN = 500
SIMILAR_MIN_SCORE = 0.2

# Words that most letters to the department share whatever they are about: function words, forms of
# address, the petition's own formulas ("đề nghị Sở hướng dẫn", "thủ tục", "hồ sơ"). Counted, they made
# two unrelated letters worded alike score higher than two about the same X-ray licence. Compared with
# their marks, before folding: "đăng" (ký), "đo" (lường), "chợ" and "sở" (hữu) are no "đang", "do",
# "cho", "Sở".
COMMON_SYLLABLES = frozenset("""
    và của là có cho đề nghị kiến phản ánh sở tôi chúng chị anh em ông bà xin kính gửi cảm ơn biết thủ tục
    hồ sơ các những được không chưa này vì tại trong đến với theo về từ đã đang sẽ thì mà như hay cũng rất
    nhiều một hoặc nhưng nên bị do ra vào lên hiện việc khi nếu còn trên dưới sau trước hướng dẫn tỉnh
""".split())
_SYLLABLE = re.compile(r"[^\W_]+")


def words(text: str) -> set[str]:
    """Folded words of two letters or more, but the ``COMMON_SYLLABLES``: "Học phí" and "hoc phi" are
    the same words."""
    return {folded for w in _SYLLABLE.findall(nfc(text).lower())
            if w not in COMMON_SYLLABLES and len(folded := fold(w)) > 1}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# A match this close is proposed in the duplicate form's field; a weaker one is only listed, so that one
# click does not link two unrelated cases.
SIMILAR_PROPOSE_SCORE = 0.5


@dataclass(frozen=True)
class Similar:
    case: Feedback
    score: float

    @property
    def strong(self) -> bool:
        return self.score >= SIMILAR_PROPOSE_SCORE


def likely_duplicates(case: Feedback, limit: int = 5) -> list[Similar]:
    """Earlier cases of the last year whose folded title and content share most words with this one
    (Jaccard over word sets). Cheap: it reads at most ``SIMILAR_SCAN`` recent cases."""
    mine = words(f"{case.title} {case.content}")
    since = case.received_at - timedelta(days=SIMILAR_WINDOW_DAYS)
    rows = db.session.execute(
        select(Feedback).where(Feedback.id != case.id, Feedback.received_at <= case.received_at,
                               Feedback.received_at >= since)
        .order_by(Feedback.received_at.desc()).limit(SIMILAR_SCAN)).scalars()
    found = [Similar(other, jaccard(mine, words(f"{other.title} {other.content}"))) for other in rows]
    found = [s for s in found if s.score >= SIMILAR_MIN_SCORE]
    return sorted(found, key=lambda s: -s.score)[:limit]


def mark_duplicate(case: Feedback, earlier_code: str, actor, expected_version: int | None) -> Feedback:
    """Link ``case`` to the earlier case it repeats (no rule in NĐ 20/2008: link it and answer by
    reference, see the domain brief). The state does not change; the audit row records who linked it."""
    from .cases import find
    earlier = find(earlier_code)
    if earlier is None:
        raise StaffInputError(N_("Không có phản ánh, kiến nghị trước đó với mã này."), "duplicate_of")
    if earlier.id == case.id:
        raise StaffInputError(N_("Đây là mã của chính phản ánh, kiến nghị này; vui lòng nhập mã của phản ánh, "
                                 "kiến nghị nhận trước."), "duplicate_of")
    if earlier.received_at > case.received_at:
        raise StaffInputError(N_("Chỉ đánh dấu trùng với phản ánh, kiến nghị nhận trước."), "duplicate_of")
    if earlier.duplicate_of_id == case.id:
        raise StaffInputError(N_("Phản ánh, kiến nghị kia đã được đánh dấu trùng với phản ánh, kiến nghị này."),
                              "duplicate_of")
    _check_version(case, expected_version)
    case.duplicate_of = earlier
    audit(case, "mark_duplicate", case.state, case.state, actor, note=f"Trùng với {earlier.code}", public=False)
    _commit()
    return case


# --- reply drafts and attachments ---------------------------------------------------------------

def _check_version(case: Feedback, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != case.version:
        raise StaleCase()


def _commit() -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise StaleCase() from None


def _store_files(case: Feedback, files: Iterable[FileStorage], kind: str) -> list[Path]:
    """Check and write the uploaded files, adding their rows to the session; returns the paths written
    (the caller removes them if its transaction fails). The citizen's own checks
    (``submissions.check_files``): the content decides the kind and the type the file is served with,
    never the name or the browser's word, since a reply's files reach the citizen by mail and on the
    status page."""
    files = [f for f in files if f and f.filename]
    existing = sum(1 for a in case.attachments if a.kind == kind)
    if existing + len(files) > current_app.config["MAX_ATTACHMENTS"]:
        raise StaffInputError(N_("Quá số tệp đính kèm cho phép."), "attachments")
    try:
        checked = check_files(files)
    except SubmissionRejected as exc:
        raise StaffInputError(exc.errors["attachments"], "attachments") from None
    written = []
    for f in checked:
        stored, path = write_new(f.data, f.extension)
        written.append(path)
        db.session.add(Attachment(feedback=case, kind=kind, original_name=f.original_name, stored_name=stored,
                                  content_type=f.content_type, size=len(f.data), created_at=CLOCK.now()))
    return written


def _discard(paths: list[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _may_draft(case: Feedback, user, expected_version: int | None) -> None:
    """The unit may work on the draft of the case as the form read it. The version first: a form sent
    again after its own action (a second tab, a resend) is told that it was recorded, not refused for
    the state that action made."""
    from workflows import lifecycle
    _check_version(case, expected_version)
    lifecycle.check(case, "submit_draft", user, today=CLOCK.today(), arguments=False)


def _draft_text(reply: str | None) -> str | None:
    return (reply or "").strip() or None


def draft_is(case: Feedback, reply: str | None) -> bool:
    """The stored draft is ``reply``: saving it again would change nothing."""
    return case.reply_text == _draft_text(reply)


def save_draft(case: Feedback, user, reply: str, files: Iterable[FileStorage],
               expected_version: int | None) -> Feedback:
    """Keep the unit's draft reply and its attachments without sending it for review yet."""
    _may_draft(case, user, expected_version)
    written = []
    try:
        written = _store_files(case, files, "reply")
        case.reply_text = _draft_text(reply)
        if written:  # a file added moves the version, as one taken off does (remove_draft_file)
            _touch(case)
        _commit()
    except Exception:
        db.session.rollback()
        _discard(written)
        raise
    return case


def draft_holds(case: Feedback, reply: str | None, files: Iterable[FileStorage]) -> bool:
    """The stored draft is ``reply`` with each of ``files`` among its files (by name and size): the same
    "Lưu dự thảo" sent again after it was saved (a double click, Back then save), not new files to add."""
    if not draft_is(case, reply):
        return False
    try:
        checked = check_files([f for f in files if f and f.filename])
    except SubmissionRejected:
        return False
    held = {(a.original_name, a.size) for a in removable_draft_files(case)}
    return all((f.original_name, len(f.data)) in held for f in checked)


def removable_draft_files(case: Feedback) -> list[Attachment]:
    """The files of the unit's draft that no answer sent to the citizen carries (files.reply_files)."""
    if case.state != State.FORWARDED.value:
        return []
    return [a for a in case.attachments if a.kind == "reply" and a.sent_at is None]


def remove_draft_file(case: Feedback, user, attachment_id: int, expected_version: int | None) -> str:
    """Take a file off the unit's draft before it goes for review: a wrong file (another citizen's
    letter, an internal note) must not reach the citizen with the answer. A file of an answer the
    citizen already holds stays. Returns the file's name.

    The row goes, the file stays on disk: ``flask backup`` dumps the database, then copies the files,
    so a file deleted between the two would leave a restored database naming a file it does not have."""
    _may_draft(case, user, expected_version)
    attachment = next((a for a in removable_draft_files(case) if a.id == attachment_id), None)
    if attachment is None:
        raise StaffInputError(N_("Tệp này không thuộc dự thảo đang soạn hoặc đã gửi cho người dân cùng câu trả lời."),
                              "attachments")
    name = attachment.original_name
    case.attachments.remove(attachment)
    db.session.delete(attachment)
    _touch(case)
    _commit()
    return name


def _touch(case: Feedback) -> None:
    """The case changed though no column of its own did (a draft's file added or taken off): its version
    moves, so that a form from before is stale, and ``/api/v1/export?since`` sees the change."""
    case.updated_at = CLOCK.now()
    flag_modified(case, "updated_at")  # written even when the clock stands still (PAKN_NOW, tests)


def submit_draft(case: Feedback, user, reply: str, files: Iterable[FileStorage],
                 expected_version: int | None):
    """Store the attachments and fire ``submit_draft`` in one transaction."""
    _may_draft(case, user, expected_version)
    lost = [a.original_name for a in removable_draft_files(case) if a.lost_at is not None]
    if lost:  # the answer would go out without a file it was drafted with
        raise StaffInputError(LOST_DRAFT_FILE, "attachments", name=", ".join(lost))
    written = []
    try:
        written = _store_files(case, files, "reply")
        return apply_event(case, "submit_draft", user, {"reply": reply}, expected_version=expected_version)
    except Exception:
        db.session.rollback()
        _discard(written)
        raise


# --- publication --------------------------------------------------------------------------------

def save_preview(case: Feedback, user, texts: dict[str, str], expected_version: int | None) -> Feedback:
    """HCTH's reviewed public copy, stored as HCTH wrote it except for the citizen's own data, which is
    masked again (``publication.save_preview``): HCTH may restore what pakn only guessed."""
    from workflows import lifecycle
    lifecycle.check(case, "publish", user, {}, CLOCK.today())
    _check_version(case, expected_version)
    publication.save_preview(case, texts.get("title", ""), texts.get("question", ""), texts.get("answer", ""))
    _commit()
    return case


def publish(case: Feedback, user, texts: dict[str, str] | None, expected_version: int | None):
    """Save the reviewed copy (if given) and fire ``publish`` in one transaction: the public sees
    exactly the copy HCTH saw (NĐ 20/2008 Art 19; QĐ 31/2021 Art 46)."""
    _check_version(case, expected_version)
    try:
        if texts is not None:
            publication.save_preview(case, texts.get("title", ""), texts.get("question", ""),
                                     texts.get("answer", ""))
        return apply_event(case, "publish", user, {}, expected_version=expected_version)
    except StaleDataError:  # the preview's autoflush met a newer version
        db.session.rollback()
        raise StaleCase() from None
    except Exception:
        db.session.rollback()
        raise



def act(case: Feedback, event: str, user, args: dict, *, files: Iterable[FileStorage] = (),
        texts: dict[str, str] | None = None, expected_version: int | None = None):
    """One action on a case, from its page or the staff API alike, so that neither skips a rule: a draft
    goes for review with its files and not without one of them (``submit_draft``), publication with the
    reviewed copy (``publish``), every other event straight through the lifecycle."""
    if event == "submit_draft":
        return submit_draft(case, user, args.get("reply") or "", files, expected_version)
    if event == "publish":
        return publish(case, user, texts, expected_version)
    return apply_event(case, event, user, args, expected_version=expected_version)


# --- filing many finished cases at once ------------------------------------------------------------

@dataclass
class Filed:
    """What ``archive_many`` did: the codes filed, and those not, each with why (a msgid)."""
    done: list[str]
    refused: list[tuple[str, str]]


def archive_many(user, picked: Iterable[tuple[str, int]], reference: str, note: str | None = None) -> Filed:
    """File the finished cases ``picked`` ((code, the version the list showed)) under one ``reference`` of the
    department's records (NĐ 20/2008 Art 9.1, 14.2e: a box or file holds many), each through the lifecycle
    (``archive``) in its own transaction: one case changed meanwhile, or already filed, leaves the others
    filed and is named."""
    filed = Filed([], [])
    for code, version in dict(picked).items():  # a code picked twice is filed once
        case = find(code)
        if case is None:
            filed.refused.append((code, N_("Không có phản ánh, kiến nghị này.")))
            continue
        try:
            apply_event(case, "archive", user, {"reference": reference, "note": note}, expected_version=version)
        except StaleCase:
            db.session.rollback()
            if (again := find(code)).archived_at is not None and again.archive_ref == reference.strip():
                filed.done.append(code)  # the same list sent twice (a double click): filed by the first
            else:
                filed.refused.append((code, StaleCase.message))
        except LifecycleError as exc:
            db.session.rollback()
            filed.refused.append((code, exc.why))
        else:
            filed.done.append(code)
    return filed
