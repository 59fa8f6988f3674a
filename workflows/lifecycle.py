"""The lifecycle of a PAKN case: the one definition of how a case moves, and the only code
that changes ``Feedback.state``.

One ``transitions`` machine is built once (``Machine(model=None)``); a case is bound to it only
for the moment an event is fired on it. The machine's conditions enforce who may fire what;
``fire()`` explains a refusal with a domain error before the machine is even asked, so callers
(views, the API, jobs) get a clear message naming the state, the event and why.

Legal frame (see ../shared/domain-brief.md):
- reception, refusal and classification: NĐ 20/2008/NĐ-CP Art 9.1 (as amended by NĐ 92/2017);
- refusal grounds: NĐ 20/2008 Art 1 (complaints and denunciations are out of scope), Art 7.1, 9.1d;
- handling and answering: NĐ 20/2008 Art 14.2; publication: Art 19, QĐ 31/2021/QĐ-TTg Art 46 (which
  also returns an unsuitable answer to the handling unit before publication: ``return_answer``);
- the one extension with an apology letter: NĐ 61/2018/NĐ-CP Art 19.9;
- archiving a closed case (brief §4 LUU_TRU): NĐ 20/2008 Art 9.1 and Art 14.2e (``archive``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Callable, Iterable, Mapping, Protocol

from transitions import Machine


def N_(message: str) -> str:
    """Mark a UI string for translation without importing Flask-Babel here."""
    return message


class State(StrEnum):
    RECEIVED = "received"            # MOI_TIEP_NHAN
    AWAITING_INFO = "awaiting_info"  # CHO_BO_SUNG: the office's clock stops
    CLASSIFIED = "classified"        # DA_PHAN_LOAI
    REFUSED = "refused"              # KHONG_TIEP_NHAN (terminal)
    TRANSFERRED = "transferred"      # CHUYEN_DI: sent to the competent agency (terminal)
    FORWARDED = "forwarded"          # DANG_XU_LY at a unit
    COLLECTING = "collecting"        # CHUA_DU_CO_SO: not enough basis yet, the unit collects more (Art 14.2b)
    UNDER_REVIEW = "under_review"    # CHO_DUYET: draft reply awaiting the leader
    ANSWERED = "answered"            # DA_TRA_LOI
    PUBLISHED = "published"          # DA_CONG_KHAI (terminal)


STATE_LABELS: dict[State, str] = {
    State.RECEIVED: N_("Mới tiếp nhận"),
    State.AWAITING_INFO: N_("Chờ bổ sung thông tin"),
    State.CLASSIFIED: N_("Đã phân loại"),
    State.REFUSED: N_("Không tiếp nhận"),
    State.TRANSFERRED: N_("Đã chuyển cơ quan có thẩm quyền"),
    State.FORWARDED: N_("Đang xử lý tại đơn vị"),
    State.COLLECTING: N_("Chưa đủ cơ sở, đang thu thập thêm"),
    State.UNDER_REVIEW: N_("Chờ lãnh đạo duyệt"),
    State.ANSWERED: N_("Đã trả lời"),
    State.PUBLISHED: N_("Đã công khai"),
}

TERMINAL_STATES = frozenset({State.REFUSED, State.TRANSFERRED, State.PUBLISHED})
# States in which the department still owes the citizen an answer.
OPEN_STATES = frozenset({State.RECEIVED, State.CLASSIFIED, State.FORWARDED, State.COLLECTING, State.UNDER_REVIEW})
# At the unit, before a draft goes for review: handling (DANG_XU_LY) or collecting more basis (CHUA_DU_CO_SO).
AT_UNIT_STATES = (State.FORWARDED, State.COLLECTING)


class Role(StrEnum):
    OFFICE = "office"    # Phòng Hành chính - Tổng hợp (HCTH): reception, classification, publication
    UNIT = "unit"        # a professional room or centre that drafts the reply
    LEADER = "leader"    # Giám đốc / Phó Giám đốc Sở: approves replies
    ADMIN = "admin"      # manages units, users and the calendar; not part of the workflow
    CITIZEN = "citizen"  # the sender, acting through the public portal
    SYSTEM = "system"    # scheduled jobs


STAFF_ROLES = (Role.OFFICE, Role.UNIT, Role.LEADER, Role.ADMIN)
# The staff roles' names, in the order the user form offers them.
ROLE_LABELS = {
    Role.OFFICE: N_("Văn phòng (HCTH)"),
    Role.UNIT: N_("Đơn vị xử lý"),
    Role.LEADER: N_("Lãnh đạo"),
    Role.ADMIN: N_("Quản trị"),
}


@dataclass(frozen=True)
class RefusalReason:
    code: str
    label: str
    basis: str
    where_instead: str


# NĐ 20/2008 Art 1 (complaints and denunciations are not regulated by it), Art 7.1 and 9.1d.
REFUSAL_REASONS: dict[str, RefusalReason] = {r.code: r for r in (
    RefusalReason("not_vietnamese", N_("Không sử dụng tiếng Việt"), N_("NĐ 20/2008/NĐ-CP, Điều 7.1"),
                  N_("Vui lòng gửi lại phản ánh, kiến nghị bằng tiếng Việt.")),
    RefusalReason("unclear_content", N_("Nội dung không rõ ràng, không cụ thể"), N_("NĐ 20/2008/NĐ-CP, Điều 7.1"),
                  N_("Vui lòng gửi lại với nội dung rõ ràng về quy định hành chính cụ thể.")),
    RefusalReason("missing_identity", N_("Thiếu họ tên, địa chỉ, số điện thoại hoặc địa chỉ liên hệ"),
                  N_("NĐ 20/2008/NĐ-CP, Điều 7.1"),
                  N_("Vui lòng gửi lại kèm họ tên, địa chỉ và số điện thoại hoặc địa chỉ thư tín.")),
    RefusalReason("complaint_or_denunciation", N_("Là khiếu nại, tố cáo"), N_("NĐ 20/2008/NĐ-CP, Điều 1"),
                  N_("Khiếu nại, tố cáo được giải quyết theo Luật Khiếu nại, Luật Tố cáo và Luật Tiếp công dân; "
                     "vui lòng gửi đến cơ quan có thẩm quyền giải quyết khiếu nại, tố cáo.")),
    RefusalReason("no_answer_to_info_request", N_("Không bổ sung thông tin trong thời hạn"),
                  N_("NĐ 20/2008/NĐ-CP, Điều 9.1d"),
                  N_("Vui lòng gửi lại phản ánh, kiến nghị với đầy đủ thông tin.")),
)}


# What a PAKN is about, decided when HCTH classifies it (NĐ 20/2008 Art 9.1b–c, brief §4): an
# administrative regulation (policy, procedure), or the behaviour of an agency or an official applying
# one (Art 5.1; handled under the law that governs it, Art 14.1). Reports count the two apart (brief §5).
SUBJECTS: dict[str, str] = {
    "regulation": N_("Quy định hành chính (quy định, chính sách, thủ tục)"),
    "behaviour": N_("Hành vi hành chính của cơ quan, cán bộ, công chức"),
}
DEFAULT_SUBJECT = "regulation"  # the decree's own matter, when a caller names none


class Actor(Protocol):
    role: str
    unit_id: int | None


class Case(Protocol):
    state: str
    unit_id: int | None
    extension_count: int
    consent_publish: bool
    due_step: str | None
    due_date: date | None
    answered_at: datetime | None  # the first answer sent to the citizen; kept through a return
    archived_at: datetime | None  # filed in the records (``archive``)
    escalated_at: datetime | None  # the promised date missed: the leader decides (NĐ 61/2018 Art 19.9)
    email: str | None  # the citizen's ways to be reached (Art 7.1)
    phone: str | None
    address: str | None


# The unit's and the leader's states while an answer is drafted: with an answer already sent, the revision
# of one HCTH returned (``answer_returned``; the public still reads "answered", api.export.history)
DRAFTING_STATES = (State.FORWARDED.value, State.UNDER_REVIEW.value)


def answer_returned(case: Case) -> bool:
    """HCTH returned the answer the citizen already has for revision (``return_answer``) and the unit
    (or, with its new draft, the leader) has it back: drafting states with an answer already sent."""
    return case.answered_at is not None and case.state in DRAFTING_STATES


# --- errors ---------------------------------------------------------------------------------

class LifecycleError(Exception):
    """A refused event. ``why`` and the ``errors``' values are msgids (Vietnamese UI text), ``params`` the
    values of their ``%(name)s``; ``status`` is the HTTP answer."""

    status = 409

    def __init__(self, event: str, state: str, why: str, errors: Mapping[str, str] | None = None,
                 params: Mapping[str, Any] | None = None):
        self.event, self.state, self.why = event, state, why
        self.errors = dict(errors or {})
        self.params = dict(params or {})
        super().__init__(f"{event} refused in state {state}: {why % self.params if self.params else why}")


class UnknownEvent(LifecycleError):
    status = 404


class TransitionNotAllowed(LifecycleError):
    status = 409


class ActorNotAllowed(LifecycleError):
    status = 403


class InvalidEventArguments(LifecycleError):
    status = 422


# --- the definition -------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What a guard may look at: the case, who acts, the arguments, today's local date, and the facts
    the caller read elsewhere for it (``info_answer_due``: the citizen's last day to answer the
    request for information, counted from the day it reached them; None when it has not;
    ``notices_owed``: how many notices HCTH still owes the citizen by phone or post)."""

    case: Case
    actor: Actor
    args: Mapping[str, Any]
    today: date | None
    facts: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[[Context], str | None]  # returns why the event is refused, or None


def _extend_once(ctx: Context) -> str | None:
    # NĐ 61/2018 Art 19.9: the return date may be moved only once.
    if ctx.case.extension_count:
        return N_("Hạn trả lời chỉ được gia hạn một lần (NĐ 61/2018/NĐ-CP, Điều 19.9).")
    return None


def _extend_before_due(ctx: Context) -> str | None:
    # NĐ 61/2018 Art 19.9: the apology with a new date goes out at least 1 working day before the due date
    # (``last_day_to_extend``, read by the caller on the calendar: on the Saturday, or the holiday, before a
    # Monday's due date it is too late); after it, the automatic letter of the deadline sweep is the safety net.
    due = ctx.case.due_date
    if due is None or ctx.today is None:
        return None
    last = ctx.facts.get("last_day_to_extend") or due - timedelta(days=1)
    if ctx.today > last:
        return N_("Chỉ được gửi phiếu xin lỗi và hẹn lại ngày chậm nhất 01 ngày làm việc trước hạn trả lời "
                  "(NĐ 61/2018/NĐ-CP, Điều 19.9); sau đó phiếu được gửi tự động.")
    return None


def _refused_while_answer_returned(why: str) -> Guard:
    """Refused while the answer is back at the unit for revision (``answer_returned``): the citizen
    already has an answer, so the unit revises it; it neither hands the case back to HCTH as if it had
    never been answered nor promises a new date."""
    def guard(ctx: Context) -> str | None:
        return why if answer_returned(ctx.case) else None
    return guard


_NO_RETURN_ONCE_ANSWERED = _refused_while_answer_returned(N_(
    "Người gửi đã nhận câu trả lời; Văn phòng trả lại câu trả lời để đơn vị hoàn thiện trước khi công khai, "
    "không trả lại Văn phòng."))
# NĐ 20/2008 Art 14.2b weighs whether there is enough basis to handle the PAKN; an answer the citizen
# already holds and HCTH returned for publication is revised, not examined again from the start.
_NO_COLLECTING_ONCE_ANSWERED = _refused_while_answer_returned(N_(
    "Người gửi đã nhận câu trả lời; Văn phòng trả lại để hoàn thiện trước khi công khai, không chuyển sang "
    "thu thập thêm cơ sở."))
# NĐ 61/2018 Art 19.9: the apology letter and its new date are for a result not returned in time; the
# citizen here holds an answer already.
_UNIT_EXTENDS = N_("Đơn vị đang xử lý gia hạn, gửi phiếu xin lỗi.")
_NO_EXTENSION_ONCE_ANSWERED = _refused_while_answer_returned(N_(
    "Người gửi đã nhận câu trả lời; không gia hạn, không gửi phiếu xin lỗi khi hoàn thiện câu trả lời trước "
    "khi công khai (NĐ 61/2018/NĐ-CP, Điều 19.9 chỉ áp dụng khi chưa trả kết quả)."))


def _citizen_agreed_to_publish(ctx: Context) -> str | None:
    if not ctx.case.consent_publish:
        return N_("Người gửi không đồng ý công khai câu trả lời.")
    return None


def _someone_to_ask(ctx: Context) -> str | None:
    # a request for information reaches the citizen by mail, phone or post: a letter without any of them
    # (Art 7.1's name, address and phone or e-mail missing) is refused on that ground, not left waiting
    case = ctx.case
    if not any((way or "").strip() for way in (case.email, case.phone, case.address)):
        return N_("Người gửi không để lại thư điện tử, số điện thoại hay địa chỉ nên không gửi được đề nghị "
                  "bổ sung; xem xét không tiếp nhận theo Nghị định 20/2008/NĐ-CP, Điều 7.1.")
    return None


def _escalated(ctx: Context) -> str | None:
    if ctx.case.escalated_at is None:
        return N_("Chỉ chỉ đạo phản ánh, kiến nghị đã quá ngày hẹn lại và được chuyển Lãnh đạo quyết định.")
    return None


def _not_archived(ctx: Context) -> str | None:
    if ctx.case.archived_at is not None:
        return N_("Hồ sơ đã được lưu trữ.")
    return None


def _nothing_left_to_do(ctx: Context) -> str | None:
    # an answer the citizen agreed to publish is archived once published (Art 19 comes before Art 14.2e)
    if ctx.case.state == State.ANSWERED.value and ctx.case.consent_publish:
        return N_("Câu trả lời đang chờ công khai; lưu trữ hồ sơ sau khi công khai.")
    # the citizen is told the outcome before the file closes (``notices_owed``: what HCTH still owes
    # by phone or post, read by the caller)
    if ctx.facts.get("notices_owed"):
        return N_("Người gửi chưa được báo kết quả (thông báo qua điện thoại, bưu chính chưa ghi nhận đã báo); "
                  "lưu trữ hồ sơ sau khi đã báo.")
    return None


def _known_refusal_reason(ctx: Context) -> str | None:
    if ctx.args.get("reason") not in REFUSAL_REASONS:
        return N_("Lý do không tiếp nhận phải là một trong các lý do theo quy định.")
    return None


def _known_subject(ctx: Context) -> str | None:
    if ctx.args.get("subject") not in (None, "", *SUBJECTS):
        return N_("Loại phản ánh, kiến nghị phải là quy định hành chính hoặc hành vi hành chính.")
    return None


_known_subject.field = "subject"  # the argument it judges (check(): the 422 names it), not classify's first


NOT_ASKED = N_("Lý do này chỉ dùng khi đã yêu cầu bổ sung thông tin mà người gửi không bổ sung.")
NOT_REACHED = N_("Đề nghị bổ sung thông tin chưa đến được người gửi (thư điện tử chưa gửi được, hoặc chưa ghi nhận "
                 "đã báo qua điện thoại, bưu chính); chưa được không tiếp nhận vì lý do này.")
STILL_IN_TIME = N_("Người gửi còn trong thời hạn bổ sung thông tin; chỉ không tiếp nhận vì lý do này sau khi hết hạn.")


def no_answer_refusal(case: Case, today: date | None, info_answer_due: date | None) -> str | None:
    """Why the case may not be refused for not answering the request for information now, or None.
    Brief, "ask the citizen for missing information": the citizen has 5 working days to answer before
    the case may be refused for it; a request that never reached them (a mail that could not be
    delivered, a notice HCTH owes by phone or post and has not given) gave them no days at all, so the
    days count from the day it reached them (``info_answer_due``, the last of them)."""
    if case.state != State.AWAITING_INFO.value or case.due_step != "citizen_info":
        return NOT_ASKED
    if info_answer_due is None:
        return NOT_REACHED
    if today is not None and today <= info_answer_due:
        return STILL_IN_TIME
    return None


def _no_answer_only_after_the_citizen_deadline(ctx: Context) -> str | None:
    if ctx.args.get("reason") != "no_answer_to_info_request":
        return None
    return no_answer_refusal(ctx.case, ctx.today, ctx.facts.get("info_answer_due"))


@dataclass(frozen=True)
class EventSpec:
    name: str
    sources: tuple[State, ...]
    dest: State | None  # None: an internal transition (the state stays)
    roles: frozenset[Role]
    label: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    own_unit_only: bool = False  # a unit may act only on the cases forwarded to it
    # of ``roles``, the one that may act in a state, and what the others are told (403): whoever holds the case
    holders: Mapping[str, tuple[Role, str]] = field(default_factory=dict)
    guards: tuple[Guard, ...] = ()
    argument_guards: tuple[Guard, ...] = ()  # failures are bad input (422), not a bad state (409)
    # free text that someone else acts on or reads in a letter (the unit, HCTH, the citizen): it must
    # say something (``MIN_EXPLANATION_CHARS``), not stand as a one-character placeholder
    explained: tuple[str, ...] = ()
    # the longest a short text may be, what its column holds (Feedback.transferred_to, Feedback.archive_ref)
    max_chars: Mapping[str, int] = field(default_factory=dict)
    # the citizen sees the step (status page, public API): a step of their case's handling, not a
    # hand-off among HCTH, the unit and the leader (a draft, a request for changes, a case handed back)
    public: bool = True

    @property
    def arguments(self) -> tuple[str, ...]:
        return self.required + self.optional


_S = State
EVENTS: dict[str, EventSpec] = {e.name: e for e in (
    EventSpec("request_info", (_S.RECEIVED,), _S.AWAITING_INFO, frozenset({Role.OFFICE}),
              N_("Yêu cầu bổ sung thông tin"), required=("missing",), explained=("missing",),
              guards=(_someone_to_ask,)),
    EventSpec("provide_info", (_S.AWAITING_INFO,), _S.RECEIVED, frozenset({Role.OFFICE, Role.CITIZEN}),
              N_("Đã bổ sung thông tin"), optional=("note",)),
    EventSpec("classify", (_S.RECEIVED,), _S.CLASSIFIED, frozenset({Role.OFFICE}),
              N_("Phân loại, tiếp nhận"), required=("category",), optional=("subject", "note"),
              argument_guards=(_known_subject,)),
    EventSpec("refuse", (_S.RECEIVED, _S.AWAITING_INFO), _S.REFUSED, frozenset({Role.OFFICE}),
              N_("Không tiếp nhận"), required=("reason",), optional=("note",),
              argument_guards=(_known_refusal_reason, _no_answer_only_after_the_citizen_deadline)),
    # brief §4: a classified case goes on to a unit or to the competent agency (CHUYEN_DI), e.g. one a
    # unit handed back as outside the department's competence
    EventSpec("transfer_out", (_S.RECEIVED, _S.CLASSIFIED), _S.TRANSFERRED, frozenset({Role.OFFICE}),
              N_("Chuyển cơ quan có thẩm quyền"), required=("agency",), optional=("note",), max_chars={"agency": 300}),
    EventSpec("forward", (_S.CLASSIFIED,), _S.FORWARDED, frozenset({Role.OFFICE}),
              N_("Chuyển đơn vị xử lý"), required=("unit",), optional=("note",)),
    # NĐ 20/2008 Art 14.2b: the unit judges there is not enough basis yet and keeps collecting (other
    # agencies' opinions, documents, a meeting with the sender, Art 14.2a), then goes on handling it.
    # The deadlines run on: the law stops no clock for it (an apology letter covers a delay, Art 19.9).
    EventSpec("collect_basis", (_S.FORWARDED,), _S.COLLECTING, frozenset({Role.UNIT}),
              N_("Chưa đủ cơ sở, thu thập thêm"), required=("reason",), explained=("reason",), own_unit_only=True,
              guards=(_NO_COLLECTING_ONCE_ANSWERED,)),
    EventSpec("resume_handling", (_S.COLLECTING,), _S.FORWARDED, frozenset({Role.UNIT}),
              N_("Đã đủ cơ sở, tiếp tục xử lý"), optional=("note",), own_unit_only=True),
    EventSpec("return_to_office", (_S.FORWARDED, _S.COLLECTING), _S.CLASSIFIED, frozenset({Role.UNIT}),
              N_("Trả lại Văn phòng"), required=("reason",), explained=("reason",), own_unit_only=True,
              guards=(_NO_RETURN_ONCE_ANSWERED,), public=False),
    EventSpec("submit_draft", (_S.FORWARDED,), _S.UNDER_REVIEW, frozenset({Role.UNIT}),
              N_("Trình dự thảo trả lời"), required=("reply",), explained=("reply",), own_unit_only=True,
              public=False),
    EventSpec("request_changes", (_S.UNDER_REVIEW,), _S.FORWARDED, frozenset({Role.LEADER, Role.OFFICE}),
              N_("Yêu cầu chỉnh sửa"), required=("note",), explained=("note",), public=False),
    EventSpec("approve", (_S.UNDER_REVIEW,), _S.ANSWERED, frozenset({Role.LEADER}),
              N_("Duyệt và gửi trả lời")),
    EventSpec("publish", (_S.ANSWERED,), _S.PUBLISHED, frozenset({Role.OFFICE}),
              N_("Công khai"), guards=(_citizen_agreed_to_publish,)),
    # QĐ 31/2021/QĐ-TTg Art 46: an answer unsuitable for publication is returned to the handling unit
    # before it is published (brief §4: CHO_CONG_KHAI back to DANG_XU_LY). Only from ``answered``, so
    # only before publication; to the unit that answered (unit_id stays); the reason is what the unit
    # reads. Only an answer waiting for publication is reviewed for it: without the citizen's consent
    # there is no publication, and the case was done when its answer was sent.
    EventSpec("return_answer", (_S.ANSWERED,), _S.FORWARDED, frozenset({Role.OFFICE}),
              N_("Trả lại đơn vị hoàn thiện câu trả lời"), required=("reason",), explained=("reason",),
              guards=(_citizen_agreed_to_publish,)),
    EventSpec("extend", (_S.FORWARDED, _S.COLLECTING, _S.UNDER_REVIEW), None, frozenset({Role.UNIT, Role.LEADER}),
              N_("Gia hạn, gửi phiếu xin lỗi"), required=("reason",), optional=("new_date",), explained=("reason",),
              own_unit_only=True, guards=(_NO_EXTENSION_ONCE_ANSWERED, _extend_once, _extend_before_due),
              # NĐ 61/2018 Art 19.9 wants the letter before the due date from whoever holds the case: the
              # unit while it handles it, the leader while the draft waits for approval (the unit cannot act)
              holders={_S.FORWARDED.value: (Role.UNIT, _UNIT_EXTENDS), _S.COLLECTING.value: (Role.UNIT, _UNIT_EXTENDS),
                       _S.UNDER_REVIEW.value: (Role.LEADER, N_("Dự thảo đang chờ Lãnh đạo duyệt: Lãnh đạo Sở gia hạn, "
                                                               "gửi phiếu xin lỗi."))}),
    # Brief, "second miss" (NĐ 61/2018 Art 19.9: the date moves once): the case escalated, the leader
    # decides what is done and by whom (whoever holds the case is told; the unit by mail), as often as
    # needed; no new date for the citizen, who keeps getting progress notices until the answer.
    EventSpec("direct", (_S.RECEIVED, _S.CLASSIFIED, _S.FORWARDED, _S.COLLECTING), None, frozenset({Role.LEADER}),
              N_("Chỉ đạo xử lý"), required=("instruction",), explained=("instruction",),
              guards=(_escalated,), public=False),
    # NĐ 20/2008 Art 9.1 ("lưu trữ trong cơ sở dữ liệu") and Art 14.2e: a case with nothing left to do
    # (refused, transferred, published, or answered without consent to publish) is filed in the
    # department's records under its file reference. Brief §4 draws LUU_TRU as a state after
    # publication; pakn keeps it a mark on the closed case (an internal transition), because a published
    # answer stays published (public list, search, reports) once filed, and a refused case stays refused.
    EventSpec("archive", (_S.REFUSED, _S.TRANSFERRED, _S.ANSWERED, _S.PUBLISHED), None, frozenset({Role.OFFICE}),
              N_("Lưu trữ hồ sơ"), required=("reference",), optional=("note",), max_chars={"reference": 100},
              guards=(_not_archived, _nothing_left_to_do), public=False),
)}


def _role_guard(spec: EventSpec) -> Guard:
    def guard(ctx: Context) -> str | None:
        if ctx.actor.role not in spec.roles:
            return N_("Vai trò của bạn không được thực hiện thao tác này.")
        holder = spec.holders.get(ctx.case.state)
        if holder is not None and ctx.actor.role != holder[0]:
            return holder[1]
        if spec.own_unit_only and ctx.actor.role == Role.UNIT and ctx.actor.unit_id != ctx.case.unit_id:
            return N_("Phản ánh, kiến nghị này không thuộc đơn vị của bạn.")
        return None
    return guard


# An explanation shorter than this says nothing the reader can act on ("x", "sai"): the apology
# letter's reason (NĐ 61/2018 Art 19.9), what the citizen must add (NĐ 20/2008 Art 9.1), why a unit
# hands a case back. Ten characters still lets through a terse "Sai đơn vị".
MIN_EXPLANATION_CHARS = 10
TOO_SHORT = N_("Vui lòng ghi rõ hơn (ít nhất 10 ký tự).")


def _missing(spec: EventSpec, args: Mapping[str, Any]) -> list[str]:
    return [name for name in spec.required if not str(args.get(name) or "").strip()]


def _too_short(spec: EventSpec, args: Mapping[str, Any]) -> list[str]:
    return [name for name in spec.explained if len(visible(str(args.get(name) or ""))) < MIN_EXPLANATION_CHARS]


TOO_LONG = N_("Dài quá số ký tự cho phép.")

# Control characters (tab and line breaks excepted, a note has several lines) and lone UTF-16
# surrogates: never typed by a person, refused by PostgreSQL (NUL) or by any UTF-8 encoder
# (surrogates). Every form (feedback_app.forms.Form) and every event's arguments are checked for them.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
UNSAFE_TEXT = N_("Có ký tự không hợp lệ (ký tự điều khiển); vui lòng nhập lại.")


# Characters a page shows as nothing: zero-width spaces and joiners, direction marks and overrides,
# the soft hyphen, the byte-order mark (Unicode's format characters people meet in pasted text), the
# Hangul fillers and the blank Braille pattern, variation selectors and tags. A
# reason made of them reads as no reason on the letter and in the mail.
INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]")


def visible(text: str) -> str:
    """``text`` as a reader sees it: without ``INVISIBLE`` characters, each run of spaces one space."""
    return " ".join(INVISIBLE.sub("", text).split())


def has_unsafe_chars(value: Any) -> bool:
    """Characters nobody types (``UNSAFE_CHARS``), or a text of invisible characters alone."""
    if not isinstance(value, str):
        return False
    return UNSAFE_CHARS.search(value) is not None or (
        INVISIBLE.search(value) is not None and not visible(value))


def unsafe_arguments(event: str, args: Mapping[str, Any]) -> list[str]:
    """The arguments of ``event`` in ``args`` with characters nobody types (``UNSAFE_CHARS``)."""
    spec = EVENTS.get(event)
    return [name for name in spec.arguments if has_unsafe_chars(args.get(name))] if spec else []


def _too_long(spec: EventSpec, args: Mapping[str, Any]) -> list[str]:
    return [name for name, most in spec.max_chars.items() if len(str(args.get(name) or "").strip()) > most]


def _arguments_guard(spec: EventSpec) -> Guard:
    def guard(ctx: Context) -> str | None:
        if unsafe_arguments(spec.name, ctx.args):
            return UNSAFE_TEXT
        if _missing(spec, ctx.args):
            return N_("Thiếu thông tin bắt buộc.")
        if _too_short(spec, ctx.args):
            return TOO_SHORT
        return TOO_LONG if _too_long(spec, ctx.args) else None
    return guard


def _all_guards(spec: EventSpec) -> list[tuple[type[LifecycleError], Guard]]:
    return ([(ActorNotAllowed, _role_guard(spec)), (InvalidEventArguments, _arguments_guard(spec))]
            + [(InvalidEventArguments, g) for g in spec.argument_guards]
            + [(TransitionNotAllowed, g) for g in spec.guards])


def _condition(guard: Guard) -> Callable[[Any], bool]:
    return lambda event_data: guard(event_data.kwargs["ctx"]) is None


def _build_machine() -> Machine:
    transitions = []
    for spec in EVENTS.values():
        conditions = [_condition(g) for _, g in _all_guards(spec)]
        for source in spec.sources:
            transitions.append({"trigger": spec.name, "source": source.value,
                                "dest": spec.dest.value if spec.dest else None,
                                "conditions": conditions})
    return Machine(model=None, states=[s.value for s in State], transitions=transitions,
                   initial=None, send_event=True, auto_transitions=False,
                   model_attribute="state", ignore_invalid_triggers=False)


MACHINE = _build_machine()


@dataclass(frozen=True)
class Move:
    """What ``fire`` did: the audit row is written from it."""

    event: str
    source: str
    dest: str
    args: Mapping[str, Any] = field(default_factory=dict)


def _spec(event: str, state: str) -> EventSpec:
    try:
        return EVENTS[event]
    except KeyError:
        raise UnknownEvent(event, state, N_("Không có thao tác này.")) from None


def check(case: Case, event: str, actor: Actor, args: Mapping[str, Any] | None = None,
          today: date | None = None, *, arguments: bool = True, facts: Mapping[str, Any] | None = None) -> None:
    """Raise the domain error that explains why ``event`` cannot fire now; return if it can.
    ``arguments=False`` asks only whether this actor may fire it in this state (e.g. keep a draft
    before its text is final), as ``allowed_events`` does. ``facts``: see ``Context``."""
    spec = _spec(event, case.state)
    if actor.role not in spec.roles:  # never this role's, whatever the state: said first (403, not 409)
        raise ActorNotAllowed(event, case.state, N_("Vai trò của bạn không được thực hiện thao tác này."))
    if case.state not in spec.sources:
        raise TransitionNotAllowed(event, case.state, N_("Trạng thái hiện tại không cho phép thao tác này."))
    ctx = Context(case, actor, dict(args or {}), today, dict(facts or {}))
    for error, guard in _all_guards(spec):
        if error is InvalidEventArguments and not arguments:
            continue
        why = guard(ctx)
        if why is not None:
            fields: dict[str, str] = {}
            if error is InvalidEventArguments:
                fields = ({n: UNSAFE_TEXT for n in unsafe_arguments(event, ctx.args)}
                          or {n: N_("Trường này là bắt buộc.") for n in _missing(spec, ctx.args)}
                          or {n: TOO_SHORT for n in _too_short(spec, ctx.args)}
                          or {n: TOO_LONG for n in _too_long(spec, ctx.args)}
                          or ({getattr(guard, "field", None) or spec.required[0]: why} if spec.required else {}))
            raise error(event, case.state, why, fields)


def fire(case: Case, event: str, actor: Actor, args: Mapping[str, Any] | None = None,
         today: date | None = None, *, facts: Mapping[str, Any] | None = None) -> Move:
    """Fire ``event`` on ``case`` as ``actor``. Sets ``case.state`` through the machine, nothing else:
    the caller writes the audit row and the event's effects in the same transaction."""
    args = {k: v for k, v in (args or {}).items() if k in _spec(event, case.state).arguments}
    check(case, event, actor, args, today, facts=facts)
    source = case.state
    if not MACHINE.events[event].trigger(case, ctx=Context(case, actor, args, today, dict(facts or {}))):
        # check() passed, so the machine can only disagree if a guard is not deterministic
        raise TransitionNotAllowed(event, source, N_("Trạng thái hiện tại không cho phép thao tác này."))
    return Move(event, source, case.state, args)


def receive(case: Case) -> None:
    """A new case enters the machine in its initial state (NĐ 20/2008 Art 9.1: received, registered)."""
    case.state = State.RECEIVED.value


def allowed_events(case: Case, actor: Actor, today: date | None = None,
                   facts: Mapping[str, Any] | None = None) -> list[str]:
    """The events this actor may fire on this case now, ignoring arguments not yet given:
    the UI generates its buttons from this, never from a hand-written list. ``facts`` as for
    ``fire`` (``Context``): a form is not offered that its guards would refuse once sent."""
    result = []
    for name in MACHINE.get_triggers(case.state):
        spec = EVENTS[name]
        ctx = Context(case, actor, {}, today, facts or {})
        if all(guard(ctx) is None for error, guard in _all_guards(spec)
               if error is not InvalidEventArguments):
            result.append(name)
    return result


def transitions_table() -> Iterable[tuple[str, str, str]]:
    """(source, event, dest) for every allowed move, from the machine's own definition."""
    for name, event in MACHINE.events.items():
        for source, transitions in event.transitions.items():
            for t in transitions:
                yield source, name, t.dest or source


def mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {State.RECEIVED.value}"]
    lines += [f"    {s} --> {d} : {e}" for s, e, d in transitions_table()]
    lines += [f"    {s.value} --> [*]" for s in State if s in TERMINAL_STATES]
    return "\n".join(lines) + "\n"


def graphviz_dot() -> str:
    """The lifecycle in Graphviz's language, for ``flask workflow diagram`` (SVG/PNG via ``dot``)."""
    lines = ["digraph lifecycle {", '  rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef4fb", '
             'fontname="DejaVu Sans"]; edge [fontname="DejaVu Sans", fontsize=10];',
             '  start [shape=point, width=0.15]; start -> received [label="receive"];']
    lines += [f'  {s.value} [label="{s.value}\\n{STATE_LABELS[s]}"{", peripheries=2" if s in TERMINAL_STATES else ""}];'
              for s in State]
    lines += [f'  {s} -> {d} [label="{e}"];' for s, e, d in transitions_table()]
    return "\n".join(lines + ["}"]) + "\n"
