"""The PAKN register (*sổ theo dõi tiếp nhận và xử lý phản ánh, kiến nghị*): every case the department
received in a range of local days, one numbered row each, in the order received.

NĐ 20/2008/NĐ-CP Art 9.1c asks the office to enter every PAKN it receives in the register (*vào sổ
tiếp nhận*); the domain brief (§5) lists its fields (date, channel, sender, address, phone/e-mail,
content, class, handler, due date, result; the fields themselves are unconfirmed, U), and
TT 01/2018/TT-VPCP Mẫu 06 is the one-stop shop's register, on A4. pakn already stores all of it: this
module only reads it, for the page ``/van-phong/so-tiep-nhan``, its XLSX and ``flask register export``.

A year of a large department holds some 250,000 cases, so the register is read in batches (keyset:
one query per batch in the order of receipt, then code) and never held whole (``entries``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from flask_babel import gettext
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from workflows.clock import CLOCK, LOCAL_TZ
from workflows.lifecycle import N_, REFUSAL_REASONS, State

from ..extensions import db
from ..models import CHANNELS, ApologyLetter, Category, Feedback, Unit, User
from ..reports.periods import Period
from ..labels import channel_label, state_label
from .accounts import office_unit
from .staff import handled_by_unit, paginate
from .submissions import has_answer

# The register is kept by reporting year (15/12 → 14/12, the department's plan, chapter III.1): a
# range may span at most a year, leap day included.
MAX_DAYS = 366
# Days a range may hold: local midnight of year 1 or after 9999 has no UTC instant to compare with.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
BATCH = 1000
TITLE = N_("Sổ theo dõi tiếp nhận và xử lý phản ánh, kiến nghị")
# The columns, in order (domain brief §5: date, channel, sender, address, phone/e-mail, content, class,
# handler, due date, result; with the number, the code and a note as TT 01/2018 Mẫu 06 has them).
HEADINGS = (N_("STT"), N_("Mã số"), N_("Ngày giờ tiếp nhận"), N_("Kênh tiếp nhận"), N_("Người gửi"), N_("Địa chỉ"),
            N_("Điện thoại / thư điện tử"), N_("Tiêu đề và tóm tắt nội dung"), N_("Phân loại"),
            N_("Đơn vị xử lý"), N_("Hạn xử lý"), N_("Kết quả"), N_("Ghi chú"))
# HCTH's name where no unit row says it (a database without the department's units).
OFFICE_NAME = N_("Phòng Hành chính - Tổng hợp")


class RegisterError(ValueError):
    """A range or filter the register cannot be read for; ``message`` is a msgid, ``field`` the filter."""

    def __init__(self, message: str, field: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.field, self.params = message, field, params


@dataclass(frozen=True)
class Filters:
    """Which cases: received in ``period`` (local days, both inclusive), by ``channel``, handled by
    ``unit`` (a unit's code; HCTH's code also takes the cases never forwarded)."""

    period: Period
    channel: str | None = None
    unit: str | None = None


def check_days(start: date, end: date) -> None:
    """``RegisterError`` unless both days are in the years the register reads; checked before a period
    is built of them too, since 0001-01-01 or 9999-12-31 has no bounds in UTC (``reports.periods.Period``)."""
    if start < FIRST_DAY or end > LAST_DAY:
        raise RegisterError(N_("Ngày phải trong khoảng từ năm %(first)d đến năm %(last)d."),
                            "from" if start < FIRST_DAY else "to", first=FIRST_DAY.year, last=LAST_DAY.year)


def check(filters: Filters) -> Unit | None:
    """The unit ``filters`` name (None for all) when the register can be read for them, else ``RegisterError``."""
    check_days(filters.period.start, filters.period.end)
    if filters.period.days > MAX_DAYS:
        raise RegisterError(N_("Khoảng thời gian tối đa %(n)d ngày (một năm báo cáo); vui lòng chọn khoảng ngắn hơn."),
                            "to", n=MAX_DAYS)
    if filters.channel and filters.channel not in CHANNELS:
        raise RegisterError(N_("Kênh tiếp nhận không hợp lệ."), "channel")
    unit = _unit(filters.unit) if filters.unit else None
    if filters.unit and unit is None:
        raise RegisterError(N_("Đơn vị không hợp lệ."), "unit")
    return unit


@dataclass(frozen=True)
class Entry:
    """One line of the register; the texts are in the current locale."""

    number: int  # STT, from 1 across the whole range
    code: str
    received_at: datetime  # local time
    channel: str  # the label
    sender: str
    address: str
    contact: str  # phone and/or e-mail
    title: str
    content: str  # whole: the page shortens it, the file keeps it
    category: str
    unit: str
    due_date: date | None
    due_promised: bool  # the date an apology letter promised (NĐ 61/2018 Art 19.9)
    result: str
    note: str
    overdue: bool


def _unit(code: str) -> Unit | None:
    if len(code) > 32 or "\x00" in code:  # never a unit's code (String(32)); PostgreSQL refuses a NUL
        return None
    return db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def range_text(filters: Filters) -> str:
    """The range (and the filters, if any) in words, for the page's caption and the file's heading."""
    period = filters.period
    text = gettext("Từ ngày %(start)s đến ngày %(end)s", start=period.start.strftime("%d/%m/%Y"),
                   end=period.end.strftime("%d/%m/%Y"))
    if not period.label.startswith(period.start.isoformat()):  # a quarter or a year, not a custom range
        text += " " + gettext("(kỳ báo cáo %(label)s)", label=period.label)
    if filters.channel:
        text += "; " + gettext("kênh tiếp nhận: %(channel)s", channel=channel_label(filters.channel))
    if filters.unit:
        unit = _unit(filters.unit)
        text += "; " + gettext("đơn vị xử lý: %(unit)s", unit=unit.name if unit else filters.unit)
    return text


def unit_choices() -> list[tuple[str, str]]:
    """(code, name) of every unit, HCTH first: a register also covers units since deactivated."""
    return [tuple(row) for row in db.session.execute(
        select(Unit.code, Unit.name).order_by(Unit.is_office.desc(), Unit.name))]


# What a line shows, and no more: the answer's text, the public copy and the search words stay unread.
_COLUMNS = (Feedback.code, Feedback.received_at, Feedback.channel, Feedback.national_code, Feedback.submitter_name, Feedback.address,
            Feedback.phone, Feedback.email, Feedback.title, Feedback.content, Feedback.state, Feedback.unit_id,
            Feedback.category_id, Feedback.subject, Feedback.due_date, Feedback.due_step, Feedback.due_basis, Feedback.refusal_reason,
            Feedback.transferred_to, Feedback.answered_at, Feedback.answered_due_date, Feedback.closed_at,
            Feedback.published_at, Feedback.archived_at, Feedback.archive_ref, Feedback.assignee_id)
_ORDER = (Feedback.received_at, Feedback.code)


def _query(filters: Filters) -> Select:
    unit, period = check(filters), filters.period
    query = select(Feedback).where(Feedback.received_at >= period.start_utc(),
                                   Feedback.received_at < period.end_utc_exclusive())
    if filters.channel:
        query = query.where(Feedback.channel == filters.channel)
    if unit is not None:
        # a case HCTH never forwarded (or got back) is HCTH's: the register names it as its handler
        query = query.where(handled_by_unit(unit))
    return query


def _with_lines(query: Select) -> Select:
    return query.options(
        load_only(*_COLUMNS), joinedload(Feedback.category).load_only(Category.name),
        joinedload(Feedback.unit).load_only(Unit.name), joinedload(Feedback.assignee).load_only(User.full_name),
        selectinload(Feedback.letters).load_only(ApologyLetter.number, ApologyLetter.step, ApologyLetter.issued_on,
                                                  ApologyLetter.new_due_date))


def count(filters: Filters) -> int:
    return db.session.execute(_query(filters).with_only_columns(func.count(Feedback.id))).scalar_one()


class Lines:
    """Turns cases into numbered register lines (the office's name and today read once)."""

    def __init__(self) -> None:
        office = office_unit()
        self.office_name = office.name if office is not None else gettext(OFFICE_NAME)
        self.today = CLOCK.today()

    def entry(self, number: int, case: Feedback) -> Entry:
        # late: an open case past its current due date, which after an apology letter is the date the
        # letter promised; not an answer HCTH returned for revision (is_open: the citizen holds it)
        overdue = case.is_open and case.due_date is not None and case.due_date < self.today
        due_date, promised = handling_due(case)
        return Entry(
            number=number, code=case.code, received_at=case.received_at.astimezone(LOCAL_TZ),
            channel=channel_label(case.channel) + (f" ({case.national_code})" if case.national_code else ""), sender=case.submitter_name, address=case.address,
            contact=" / ".join(v for v in (case.phone, case.email) if v), title=case.title, content=case.content,
            category=classification(case),
            # the handler (domain brief §5): the unit, and its officer once the unit assigned one
            unit=(case.unit.name if case.unit else self.office_name)
            + (f" ({case.assignee.full_name})" if case.assignee else ""),
            due_date=due_date, due_promised=promised, result=result_text(case, overdue),
            note="; ".join([*(letter_text(x) for x in case.letters), *archive_text(case)]), overdue=overdue)


def classification(case: Feedback) -> str:
    """The register's "phân loại": the field, and "hành vi hành chính" for a PAKN about the behaviour
    of an official (NĐ 20/2008 Art 9.1b), the rarer kind; about a regulation (Art 9.1c) goes unsaid."""
    parts = [case.category.name] if case.category else []
    if case.subject == "behaviour":
        parts.append(gettext("hành vi hành chính"))
    return "; ".join(parts)


def handling_due(case: Feedback) -> tuple[date | None, bool]:
    """The register's "hạn xử lý" and whether an apology letter promised it (NĐ 61/2018 Art 19.9).
    A case not yet settled: its current due date. An answered one: the date its answer was due by (the
    letter's new date if a letter moved it), not the publication's, nor a returned answer's revision
    date (the department's own, QĐ 31/2021 Art 46). Refused or transferred: none."""
    if has_answer(case):
        letter = case.answer_letter
        return (letter.new_due_date, True) if letter is not None else (case.answered_due_date, False)
    if case.state in (State.REFUSED.value, State.TRANSFERRED.value):
        return None, False
    return case.due_date, case.due_is_promised


def _local_day(instant: datetime | None) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") if instant else ""


def result_text(case: Feedback, overdue: bool) -> str:
    """The state and its date, as the register's "kết quả" column says it."""
    state = case.state
    if case.answer_returned:  # the citizen holds the answer sent; HCTH asked the unit to revise it
        return gettext("Đã trả lời ngày %(date)s; đang hoàn thiện trước khi công khai",
                       date=_local_day(case.answered_at))
    if state == State.ANSWERED.value:
        return gettext("Đã trả lời ngày %(date)s", date=_local_day(case.answered_at))
    if state == State.PUBLISHED.value:
        return gettext("Đã trả lời ngày %(date)s; đã công khai ngày %(published)s",
                       date=_local_day(case.answered_at), published=_local_day(case.published_at))
    if state == State.REFUSED.value:
        reason = REFUSAL_REASONS.get(case.refusal_reason or "")
        return gettext("Không tiếp nhận ngày %(date)s: %(reason)s", date=_local_day(case.closed_at),
                       reason=gettext(reason.label) if reason else "")
    if state == State.TRANSFERRED.value:
        return gettext("Đã chuyển %(agency)s ngày %(date)s", agency=case.transferred_to or "",
                       date=_local_day(case.closed_at))
    if state == State.AWAITING_INFO.value:
        return gettext("Đang xử lý (%(state)s)", state=state_label(state))
    return gettext("Quá hạn") if overdue else gettext("Đang xử lý")


def archive_text(case: Feedback) -> list[str]:
    """Where the case is filed in the records (lifecycle ``archive``), when it is."""
    if case.archived_at is None:
        return []
    return [gettext("Lưu trữ: hồ sơ số %(ref)s ngày %(date)s", ref=case.archive_ref,
                    date=case.archived_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y"))]


def letter_text(letter: ApologyLetter) -> str:
    return gettext("Phiếu xin lỗi số %(number)s ngày %(date)s, hẹn lại ngày %(new)s", number=letter.reference,
                   date=letter.issued_on.strftime("%d/%m/%Y"), new=letter.new_due_date.strftime("%d/%m/%Y"))


def entries(filters: Filters, batch: int = BATCH) -> Iterator[Entry]:
    """Every line of the register for ``filters``, numbered from 1, one query per ``batch`` cases (keyset
    on the time of receipt, then the code: bounded memory whatever the range holds)."""
    lines, query, number, after = Lines(), _with_lines(_query(filters)), 0, None
    while True:
        page = query
        if after is not None:
            at, code = after
            page = page.where(or_(Feedback.received_at > at, and_(Feedback.received_at == at, Feedback.code > code)))
        cases = db.session.execute(page.order_by(*_ORDER).limit(batch)).scalars().all()
        for case in cases:
            number += 1
            yield lines.entry(number, case)
        if len(cases) < batch:
            return
        # the session keeps weak references only: a batch's objects go once the next one is read
        after = (cases[-1].received_at, cases[-1].code)


@dataclass(frozen=True)
class Page:
    """One page of the register: the office lists' pagination, and its lines numbered across the range."""

    pagination: object  # flask_sqlalchemy.pagination.Pagination, for the template's macro and beyond_last_page
    entries: list[Entry]


def page(filters: Filters, number: int, per_page: int | None = None) -> Page:
    pagination = paginate(_with_lines(_query(filters)).order_by(*_ORDER), number, per_page)
    lines, first = Lines(), (pagination.page - 1) * pagination.per_page
    return Page(pagination, [lines.entry(first + i + 1, case) for i, case in enumerate(pagination.items)])
