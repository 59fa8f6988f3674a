"""What the public portal and the public API do: check a submission (NĐ 20/2008/NĐ-CP Art 7.1 and,
for electronic PAKN, Art 7.4 as amended by NĐ 92/2017: Vietnamese, clear content, name, address,
phone or e-mail, attachments in allowed formats), store it with its attachments in one go, let the
citizen look a case up by code plus contact (Art 12.2), supply missing information and rate the answer.

Attachments are checked by their content (``filetype`` reads the magic bytes), never by their name,
and stored outside the web root under a generated name.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Iterable, NamedTuple

import filetype
from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflows.lifecycle import N_, UNSAFE_CHARS, State

from ..extensions import db
from ..models import Attachment, Feedback, Rating, Transition
from ..text import fold
from .cases import CITIZEN, Submission, apply_event, find, receive
from .files import write_new

# What a citizen may attach (Art 7.4: "tệp đính kèm theo định dạng cho phép"): the detected kind,
# and the file name endings that kind may carry.
ALLOWED_KINDS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "gif": ("gif",),
    "webp": ("webp",),
    "heic": ("heic",),
    "doc": ("doc",),
    "docx": ("docx",),
    "xls": ("xls",),
    "xlsx": ("xlsx",),
    "odt": ("odt",),
    "ods": ("ods",),
    "rtf": ("rtf",),
}
ALLOWED_EXTENSIONS = tuple(sorted({e for exts in ALLOWED_KINDS.values() for e in exts}))
ATTACHMENT_ACCEPT = ",".join("." + e for e in ALLOWED_EXTENSIONS)  # a file input's ``accept``
ACCEPTED_TYPES = N_("PDF, ảnh (JPG, PNG, GIF, WebP, HEIC), Word, Excel, OpenDocument, RTF")  # ALLOWED_KINDS in words

# Vietnamese letters that plain ASCII does not have; a Vietnamese text in Unicode (TCVN 6909:2001,
# required by Art 7.4) carries them in most of its words.
_VI_LETTERS = set("àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Vietnam's numbering since the renumbering of 2017-2018: a mobile number is 0 and 9 digits (03, 05, 07,
# 08, 09…), a fixed line 0, its area code 2x(x) and the subscriber's digits, 11 in all; +84 or 84 for the 0.
_PHONE = re.compile(r"(?:\+?84|0)(?:[35789]\d{8}|2\d{9})")
_OLD_PHONE = re.compile(r"(?:\+84|0)\d{8,10}")  # the rule of before, for the cases stored under it
# A number as someone reads it out: with its 0, 84 or +84 (the rule of before included), or without it
_SPOKEN_PHONE = re.compile(r"(?:\+?84|0)(\d{8,10})|([35789]\d{8}|2\d{9})")
MIN_CONTENT_CHARS = 20
MIN_CONTENT_WORDS = 5
MIN_VIETNAMESE_SHARE = 0.2


class SubmissionRejected(ValueError):
    """Bad input: ``errors`` maps a field name to a message in the user's language."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Upload:
    """An attachment as received, before it is checked."""

    filename: str
    stream: IO[bytes]


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    extension: str
    content_type: str
    data: bytes


# --- the content rules (NĐ 20/2008 Art 7.1) ---------------------------------------------------

def looks_vietnamese(text: str) -> bool:
    """True when enough words carry Vietnamese letters (Art 7.1: "sử dụng tiếng Việt";
    Art 7.4: tiếng Việt có dấu, Unicode TCVN 6909:2001)."""
    words = _WORD.findall(text.lower())
    if not words:
        return False
    marked = sum(1 for w in words if _VI_LETTERS.intersection(w))
    return marked / len(words) >= MIN_VIETNAMESE_SHARE


def is_clear_content(text: str) -> bool:
    """Art 7.1 asks for "nội dung rõ ràng": at least a sentence, not a few characters or one
    repeated letter."""
    words = _WORD.findall(text)
    # more than 3 distinct letters once folded ("ÁÁÁ aaa" has 1): folding each distinct character
    # once gives the same letters as folding the whole text, at a fraction of the cost
    return (len(text.strip()) >= MIN_CONTENT_CHARS and len(words) >= MIN_CONTENT_WORDS
            and len(set(fold("".join(set(text))).replace(" ", ""))) > 3)


def identity_missing(case: Feedback) -> list[str]:
    """What a case lacks of Art 7.1's "họ tên, địa chỉ, số điện thoại (hoặc địa chỉ thư tín)" (the
    address given is the postal one), as labels: the case page names them, not the whole rule."""
    wanted = ((case.submitter_name, N_("họ tên")), (case.address, N_("địa chỉ")))
    # without a letter ("12345", "🏠🏠🏠") there is nobody to answer, nowhere to write: the portal refuses it
    return [label for value, label in wanted if not has_letter(value)]


def has_letter(text: str | None) -> bool:
    """A name, an address or a title says something only with a letter in it (not "12345", "🏠🏠🏠")."""
    return any(c.isalpha() for c in text or "")


def art7_shortfalls(case: Feedback) -> list[str]:
    """The refusal reasons (``lifecycle.REFUSAL_REASONS``) of NĐ 20/2008 Art 7.1 that a case HCTH
    entered as it arrived fails: the portal refuses such a submission at once, but a letter, a call or a
    visit is received and entered in the register first, then refused with its reason (Art 9.1). None
    proposed once HCTH asked the sender for what is missing: they have their days to complete it, and a
    refusal after them is for no answer."""
    if case.state != State.RECEIVED.value:
        return []
    shortfalls = []
    if identity_missing(case):
        shortfalls.append("missing_identity")
    if not looks_vietnamese(case.content or ""):
        shortfalls.append("not_vietnamese")
    elif not is_clear_content(case.content or ""):
        shortfalls.append("unclear_content")
    return shortfalls


def normalise_phone(value: str) -> str | None:
    """A Vietnamese phone number as digits (``0905123456``, ``+84905123456``, ``02553822123``), or None if it
    is not one."""
    digits = _phone_digits(value)
    return digits if _PHONE.fullmatch(digits) else None


def stored_phones(value: str) -> list[str]:
    """The forms in which a case may store the phone number ``value``, typed or read out as anyone does
    ("0905 123 456", "+84 905.123.456", "905123456"): a case keeps the number as its sender wrote it
    (``normalise_phone``: 0…, 84… or +84…), so a lookup tries all three. Empty when ``value`` is no phone
    number."""
    number = _SPOKEN_PHONE.fullmatch(_phone_digits(value))
    if number is None:
        return []
    national = number[1] or number[2]
    return [f"0{national}", f"84{national}", f"+84{national}"]


def _phone_digits(value: str | None) -> str:
    """A phone number as typed without its spaces, dots, dashes and brackets."""
    return re.sub(r"[\s.\-()]", "", value or "")


# --- attachments --------------------------------------------------------------------------------

def display_name(filename: str | None) -> str:
    """The name to show for an uploaded file: its last part only (``/`` and ``\\`` both separate, so
    "../../etc/passwd.pdf" or "C:\\x\\a.pdf" keep only the file's own name), without control
    characters, its line breaks, tabs and other white space one space each (a line break in a name would
    end a header line: the download's Content-Disposition, a mail's attachment part), at most 255
    characters. It is only ever shown (escaped) and offered as the download name: the file itself is
    stored under a generated name."""
    name = " ".join(UNSAFE_CHARS.sub("", (filename or "").replace("\\", "/")).split("/")[-1].split())
    return name.lstrip(".").strip()[:255] or "tep"


def check_files(uploads: Iterable[Upload], held: int = 0) -> list[CheckedFile]:
    """Read and check every attachment; raise ``SubmissionRejected`` on the first field-level problem.
    ``held``: files already accepted with the same form, counted against the number allowed. Nothing is
    written to disk here."""
    checked, refused = sort_files(uploads, held)
    if refused:
        raise SubmissionRejected({"attachments": refused[0]})
    return checked


def sort_files(uploads: Iterable[Upload], held: int = 0) -> tuple[list[CheckedFile], list[str]]:
    """(the attachments that pass, a message for each one refused): a form keeps its good files while
    the sender replaces a bad one. Past the number allowed (``held`` included), the files are refused."""
    config = current_app.config
    uploads = [u for u in uploads if u is not None and (u.filename or "").strip()]
    room = max(config["MAX_ATTACHMENTS"] - held, 0)
    refused = []
    if len(uploads) > room:
        refused.append(gettext("Chỉ được gửi tối đa %(n)d tệp đính kèm.", n=config["MAX_ATTACHMENTS"]))
        uploads = uploads[:room]
    checked = []
    for upload in uploads:
        try:
            checked.append(_check_file(upload, config["MAX_ATTACHMENT_BYTES"]))
        except SubmissionRejected as exc:
            refused.append(exc.errors["attachments"])
    return checked, refused


def _check_file(upload: Upload, limit: int) -> CheckedFile:
    name = display_name(upload.filename)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise SubmissionRejected({"attachments": gettext(
            "Tệp %(name)s vượt quá dung lượng cho phép (%(mb)s MB).", name=name, mb=_megabytes(limit))})
    if not data:
        raise SubmissionRejected({"attachments": gettext("Tệp %(name)s rỗng.", name=name)})
    kind = filetype.guess(data)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind is None or kind.extension not in ALLOWED_KINDS or extension not in ALLOWED_KINDS[kind.extension]:
        # the content decides: a program renamed to .pdf is refused
        raise SubmissionRejected({"attachments": gettext(
            "Tệp %(name)s không đúng định dạng cho phép: %(types)s.", name=name, types=gettext(ACCEPTED_TYPES))})
    return CheckedFile(name, kind.extension, kind.mime, data)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def attachments_rule() -> str:
    """What the files of a form may be, as its hint says (checked on the content by ``check_files``):
    the citizen's and the unit's alike."""
    config = current_app.config
    return gettext("Tối đa %(n)d tệp, mỗi tệp không quá %(mb)s MB: %(types)s.", n=config["MAX_ATTACHMENTS"],
                   mb=_megabytes(config["MAX_ATTACHMENT_BYTES"]), types=gettext(ACCEPTED_TYPES))


def _store(case: Feedback, files: list[CheckedFile], kind: str = "submission") -> list[Path]:
    """Write the citizen's checked files and add them to the case as ``kind`` (``Attachment.kind``);
    returns the paths written (``_discard`` them if the transaction fails)."""
    written: list[Path] = []
    for f in files:
        stored, path = write_new(f.data, f.extension)
        written.append(path)
        case.attachments.append(Attachment(kind=kind, original_name=f.original_name, stored_name=stored,
                                           content_type=f.content_type, size=len(f.data)))
    return written


def _discard(written: list[Path]) -> None:
    for path in written:
        path.unlink(missing_ok=True)


def submit(submission: Submission, files: list[CheckedFile] = (), **receipt) -> Feedback:
    """Register a checked submission with its attachments: all of it or nothing (a failed commit
    removes the files already written). ``receipt``: ``received_at`` and ``actor`` of a PAKN HCTH
    enters (``cases.receive``)."""
    files, written = list(files), []
    session = db.session()
    # the caller shows what was just written (code, due date): keep it rather than read it back
    session.expire_on_commit = False
    try:
        # without attachments, the rows ``receive`` writes are all there is: it commits them itself
        # (on PostgreSQL, without a webhook, in the one statement that writes them)
        case = receive(submission, commit=not files, **receipt)
        if files:
            written = _store(case, files)
            db.session.commit()
    except Exception:
        db.session.rollback()
        _discard(written)
        raise
    finally:
        session.expire_on_commit = True
    return case


# A submission's key: a UUID or a token, visible ASCII characters (feedback.submission_key holds 100).
SUBMISSION_KEY = re.compile(r"[\x21-\x7e]{1,100}")


class KeyReused(ValueError):
    """A submission key that came before with a different submission."""


# The API's header that carries a submission's key (the IETF draft "The Idempotency-Key HTTP Header Field").
IDEMPOTENCY_KEY = "Idempotency-Key"


def form_key(value: str | None) -> str | None:
    """A form's hidden key as sent, or None if missing or not a key (a tampered form is not refused:
    it only loses the protection against sending twice)."""
    return value if value and SUBMISSION_KEY.fullmatch(value) else None


def new_submission_key() -> str:
    """The key of one rendering of the portal's form (a hidden field)."""
    return secrets.token_urlsafe(18)


def submit_once(submission: Submission, files: list[CheckedFile] = (), **receipt) -> tuple[Feedback, bool]:
    """``submit`` for a sender who may send a submission again with the same ``submission.key``: an
    API client after a timeout or a 503 that left it unsure whether the first one was stored (its
    Idempotency-Key), a citizen who clicked twice or reloaded the page (the form's key). Returns (the
    case, whether this call made it); the same key with a different submission raises ``KeyReused``.
    Two requests with one key at once: the database's unique index lets one case in, and the other
    request answers with it. ``receipt``: as for ``submit``."""
    if not submission.key:
        return submit(submission, files, **receipt), True
    earlier = _made_with_key(submission)
    if earlier is not None:
        return earlier, False
    try:
        return submit(submission, files, **receipt), True
    except IntegrityError:  # submit rolled back; was it the key, taken meanwhile?
        earlier = _made_with_key(submission)
        if earlier is None:
            raise
        return earlier, False


def made_with_key(key: str) -> Feedback | None:
    """The case a submission with this key made, if any."""
    return db.session.execute(select(Feedback).where(Feedback.submission_key == key)).scalar_one_or_none()


def made_by(case: Feedback, submission: Submission) -> bool:
    """``case`` is what ``submission`` made: the same fields as first stored, whatever HCTH corrected since."""
    if case.submission_digest:
        return case.submission_digest == submission.digest()
    # stored before migration 0036
    return all(getattr(case, name) == value for name, value in submission.as_stored().items())


def _made_with_key(submission: Submission) -> Feedback | None:
    case = made_with_key(submission.key)
    if case is not None and not made_by(case, submission):
        raise KeyReused(submission.key)
    return case


# --- the citizen's own case -------------------------------------------------------------------

def lookup(code: str, contact: str) -> Feedback | None:
    """The case with this code whose phone or e-mail is ``contact`` (Art 12.2: the sender may ask
    about their case; a code alone reveals nothing, since codes are guessable)."""
    contact = (contact or "").strip()
    if not contact:
        return None
    case = find(code)
    if case is None:
        return None
    if case.email and contact.lower() == case.email.lower():
        return case
    # a number of today's plan, or one of a case stored under the looser rule of before
    phone = _phone_digits(contact)
    if (_PHONE.fullmatch(phone) or _OLD_PHONE.fullmatch(phone)) and case.phone and _same_phone(phone, case.phone):
        return case
    return None


def _same_phone(a: str, b: str) -> bool:
    def national(p: str) -> str:
        p = re.sub(r"\D", "", p)
        return "0" + p[2:] if p.startswith("84") else p
    return national(a) == national(b)


class PublicStep(NamedTuple):
    at: datetime
    event: str


def public_steps(case: Feedback) -> list[PublicStep]:
    """The steps the citizen sees. Receipt is dated when the department received the case: for a
    letter or a call HCTH entered later, the audit row's own time is when it was typed in."""
    from .letters import public_at, public_transitions  # not at the top: letters → outbox → submissions
    return [PublicStep(case.received_at if t.event == "receive" else public_at(t, case), t.event)
            for t in public_transitions(case)]


class Supplement(NamedTuple):
    at: datetime
    text: str


def citizen_supplements(case: Feedback) -> list[Supplement]:
    """The information the citizen sent through the portal when asked (``provide_info`` without a
    member of staff: HCTH's own record of a call is a staff note), for the citizen to read again."""
    return [Supplement(t.at, t.note) for t in case.transitions
            if t.event == "provide_info" and t.actor_id is None and t.note]


class RatingRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


RATING_SCORES = {3: N_("Rất hài lòng"), 2: N_("Hài lòng"), 1: N_("Không hài lòng")}


def has_answer(case: Feedback) -> bool:
    """The citizen holds an answer: sent, published, or sent and returned by HCTH for revision before
    publication (QĐ 31/2021 Art 46), which the answer mail already asked them to rate."""
    return case.state in (State.ANSWERED.value, State.PUBLISHED.value) or case.answer_returned


def can_rate(case: Feedback) -> bool:
    return has_answer(case) and case.rating is None


def rate(case: Feedback, score: int, comment: str | None = None) -> Rating:
    """The citizen's one rating of the answer."""
    if not has_answer(case):
        raise RatingRefused(N_("Chỉ đánh giá được sau khi đã có câu trả lời."))
    if score not in RATING_SCORES:
        raise RatingRefused(N_("Vui lòng chọn một mức đánh giá."))
    exists = db.session.execute(select(Rating.id).where(Rating.feedback_id == case.id)).first()
    if exists:
        raise RatingRefused(N_("Phản ánh, kiến nghị này đã được đánh giá."))
    rating = Rating(feedback=case, score=score, comment=(comment or "").strip() or None)
    db.session.add(rating)
    try:
        db.session.commit()
    except Exception:  # a second request won the race: the unique key refuses the duplicate
        db.session.rollback()
        raise RatingRefused(N_("Phản ánh, kiến nghị này đã được đánh giá.")) from None
    return rating


def rated_as(case: Feedback, score: int, comment: str | None) -> bool:
    """The case's rating is this one: the same form sent twice (a double click, Back then send)."""
    rating = db.session.execute(select(Rating).where(Rating.feedback_id == case.id)).scalar()
    return rating is not None and (rating.score, rating.comment) == (score, (comment or "").strip() or None)


def supplied_as(case: Feedback, note: str | None) -> bool:
    """The case's latest change is the citizen's information ``note``: the same form sent twice."""
    last = db.session.execute(select(Transition).where(Transition.feedback_id == case.id)
                              .order_by(Transition.id.desc()).limit(1)).scalar()
    return (last is not None and last.event == "provide_info" and last.actor_id is None
            and (last.note or "").strip() == (note or "").strip())


def provide_info(case: Feedback, note: str, files: list[CheckedFile] = ()):
    """The citizen answers a request for missing information; the office's clock resumes. The checked
    ``files`` (often the copies of documents HCTH asked for) become the case's ``supplement``
    attachments in the transaction of the ``provide_info`` event: all of it or nothing.

    Their number is checked per answer, as a submission's (``sort_files``: ``MAX_ATTACHMENTS``), not
    against the files the case already has: a citizen who sent the most files with the PAKN must still
    be able to send the copies asked for, and the case's files stay bounded, since each answer needs
    a request from HCTH first (``request_info``)."""
    written = []
    try:
        written = _store(case, list(files), "supplement")
        return apply_event(case, "provide_info", CITIZEN, {"note": note})
    except Exception:
        db.session.rollback()
        _discard(written)
        raise
