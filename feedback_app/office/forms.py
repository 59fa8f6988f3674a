"""Forms of the back office. The action forms are generated from the lifecycle: one form per event
that ``allowed_events`` offers, with one field per argument in ``EVENTS[event].arguments``."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import select, true
from wtforms import (DateField, DateTimeLocalField, EmailField, HiddenField, IntegerField, MultipleFileField,
                     PasswordField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from workflows.clock import CLOCK, LOCAL_TZ
from workflows.lifecycle import DEFAULT_SUBJECT, EVENTS, REFUSAL_REASONS, SUBJECTS, State

from ..extensions import db
from ..forms import Form
from ..models import CHANNEL_LABELS, Category, Feedback, Unit, staffed
from ..public.forms import SubmissionFields, SubmissionForm, _strip
from ..services import publication
from ..services.citizen_notices import NO_ANSWER, no_answer_refusal
from ..services.submissions import ATTACHMENT_ACCEPT, art7_shortfalls, attachments_rule, form_key
from ..views_common import rule_days


def at_most(n: int) -> Length:
    """A length limit with its message in the page's language (WTForms has no Vietnamese catalogue)."""
    return Length(max=n, message=_l("Tối đa %(max)d ký tự."))  # Length fills in %(max)d


# Feedback.public_title's length: PostgreSQL refuses a longer one (SQLite would store it)
PUBLIC_TITLE_MAX = publication.TITLE_MAX


class LoginForm(Form):
    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")), Email(_l("Địa chỉ thư điện tử không hợp lệ."))])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu."))])
    submit = SubmitField(_l("Đăng nhập"))


class PasswordChangeForm(Form):
    """Đổi mật khẩu: a member of staff's own (services.accounts.change_own_password)."""

    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[
        DataRequired(_l("Vui lòng nhập mật khẩu hiện tại."))])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới."))],
                                 description=_l("Ít nhất 8 ký tự; không dùng mật khẩu dễ đoán hay chứa thư điện tử."))
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")),
        EqualTo("new_password", _l("Hai lần nhập mật khẩu mới không khớp."))])
    submit = SubmitField(_l("Đổi mật khẩu"))


class CloseReportForm(Form):
    """Chốt số liệu: store a period's report as it is sent (services.reports.close_report)."""

    period = HiddenField(validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Chốt số liệu kỳ này"))


class VersionedForm(Form):
    """Every form that changes a case carries the version it was read at (optimistic locking)."""

    # hidden: a browser sends back what the page gave it, so an error here means the page is broken or
    # was tampered with; the message is in the page's language, not WTForms' English
    # (invalid_value_message: WTForms >= 3.2, the one message IntegerField.process_formdata raises)
    version = IntegerField(validators=[InputRequired(_l("Thiếu phiên bản của hồ sơ; vui lòng tải lại trang."))],
                           invalid_value_message=_l("Phiên bản của hồ sơ không hợp lệ; vui lòng tải lại trang."),
                           render_kw={"hidden": True})


class ArchiveManyForm(Form):
    """Lưu trữ the finished cases ticked on HCTH's list "Chờ lưu trữ" under one reference of the records
    (``staff.archive_many``); each ticked box sends "code:version" as ``case``."""

    case = SelectMultipleField(validate_choice=False)
    reference = StringField(_l("Số, ký hiệu hồ sơ lưu trữ"),
                            validators=[DataRequired(_l("Vui lòng nhập số, ký hiệu hồ sơ lưu trữ.")),
                                        at_most(EVENTS["archive"].max_chars["reference"])],
                            description=_l("Theo danh mục hồ sơ của cơ quan, ví dụ 12/PAKN-2024; dùng cho mọi hồ "
                                           "sơ đã chọn."))
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), at_most(2000)])
    submit = SubmitField(_l("Lưu trữ các hồ sơ đã chọn"))

    def picked(self) -> list[tuple[str, int]] | None:
        """The ticked cases as (code, version), or None when a value is not one (a tampered form)."""
        picked = []
        for value in self.case.data or []:
            code, _, version = value.rpartition(":")
            if not code or not version.isdigit():
                return None
            picked.append((code, int(version)))
        return picked


class DuplicateForm(VersionedForm):
    duplicate_of = StringField(_l("Mã phản ánh, kiến nghị trước đó"),
                               validators=[DataRequired(_l("Vui lòng nhập mã.")), at_most(24)])
    submit = SubmitField(_l("Đánh dấu trùng"))


class AssignForm(VersionedForm):
    """The unit's officer who handles the case (services.assignment); the choices are the unit's users."""
    assignee = SelectField(_l("Người xử lý"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Phân công"))

    @classmethod
    def of(cls, case: Feedback, officers, **kwargs) -> "AssignForm":
        form = cls(data={"version": case.version, "assignee": str(case.assignee_id or "")}, **kwargs)
        form.assignee.choices = [("", _l("Chưa phân công")),
                                 *((str(u.id), f"{u.full_name} ({u.title})" if u.title else u.full_name)
                                   for u in officers)]
        if form.assignee.data not in {value for value, _label in form.assignee.choices}:
            # a choice sent that is no one to offer (moved meanwhile): the case's own, not the first
            # option, which sent again would clear the officer
            form.assignee.data = str(case.assignee_id or "")
        return form

    def chosen(self) -> int | None:
        """The officer's id, None for nobody; a value no browser sends is refused by the service."""
        value = (self.assignee.data or "").strip()
        return int(value) if value.isascii() and value.isdecimal() else (None if not value else -1)


# Labels of the lifecycle's argument names; the widget depends on the argument, never on a list of events.
ARGUMENT_LABELS = {
    "missing": _l("Thông tin cần bổ sung"),
    "note": _l("Ghi chú"),
    "category": _l("Lĩnh vực"),
    "subject": _l("Phản ánh, kiến nghị về"),
    "reason": _l("Lý do"),
    "agency": _l("Cơ quan có thẩm quyền"),
    "unit": _l("Đơn vị xử lý"),
    "reply": _l("Nội dung trả lời"),
    "new_date": _l("Ngày hẹn trả lời mới"),
    "reference": _l("Số, ký hiệu hồ sơ lưu trữ"),
    "instruction": _l("Nội dung chỉ đạo"),
}
PREVIEW_FIELDS = ("title", "question", "answer")


try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


def choices(pairs) -> list:
    pairs = list(pairs)
    return [SelectChoice(v, l) for v, l in pairs] if SelectChoice else pairs


def _category_choices():
    # the fields in use (a field switched off is refused anyway: services.cases._resolve)
    rows = db.session.execute(select(Category.code, Category.name).where(Category.active)
                              .order_by(Category.name)).all()
    return choices([("", _l("— Chọn lĩnh vực —"))] + [(code, name) for code, name in rows])


def _unit_choices():
    # a unit nobody can sign in to would hold the case with nobody to act on it (services.cases._resolve)
    rows = db.session.execute(select(Unit.code, Unit.name).where(Unit.active, ~Unit.is_office, staffed(Unit.id))
                              .order_by(Unit.name)).all()
    return choices([("", _l("— Chọn đơn vị —"))] + [(code, name) for code, name in rows])


# The apology letter's reason is on its public copy too (the plan, item 21: shown on the status page),
# where only the citizen's own name, address, phone and e-mail are masked, automatically.
LETTER_REASON_PUBLIC = _l("Lý do in trên phiếu xin lỗi gửi người gửi và trên bản công khai của phiếu (ai có mã "
                          "phản ánh, kiến nghị đều xem được; thông tin cá nhân của người gửi được ẩn tự động): "
                          "không ghi họ tên, địa chỉ, nội dung liên quan đến người khác.")


def _refusal_field(case: Feedback, label, validators) -> SelectField:
    """The legal grounds (NĐ 20/2008 Art 1, 7.1, 9.1d); "no answer to the request for information" only
    once the case may be refused for it (citizen_notices.no_answer_refusal), and while it waits for the
    citizen, why not yet. A reason sent anyway is refused by the lifecycle, with its own words."""
    from flask_babel import gettext
    why = no_answer_refusal(case)
    offered = [r for r in REFUSAL_REASONS.values() if r.code != NO_ANSWER or why is None]
    return SelectField(label, choices=choices([("", _l("— Chọn lý do theo quy định —"))] + [
        (r.code, f"{gettext(r.label)} ({gettext(r.basis)})") for r in offered]), validators=validators, validate_choice=False,
        description=_l(why) if why and case.state == State.AWAITING_INFO.value else None)


# What a list left at its first line asks for, instead of "this field is required"
CHOOSE = {"unit": _l("Vui lòng chọn đơn vị xử lý."), "category": _l("Vui lòng chọn lĩnh vực."),
          ("refuse", "reason"): _l("Vui lòng chọn lý do không tiếp nhận.")}


def _argument_field(event: str, name: str, required: bool, case: Feedback):
    message = CHOOSE.get((event, name)) or CHOOSE.get(name) or _l("Trường này là bắt buộc.")
    validators = [DataRequired(message)] if required else [Optional()]
    label = ARGUMENT_LABELS.get(name, name)
    if name == "category":  # checked by the service: a field switched off since the page was read says so
        return SelectField(label, choices=_category_choices(), validators=validators, validate_choice=False)
    if name == "unit":  # checked by the service, whose words say why (a unit with nobody to act on it)
        return SelectField(label, choices=_unit_choices(), validators=validators, validate_choice=False)
    if name == "subject":  # NĐ 20/2008 Art 9.1b–c: a regulation, or the behaviour of an official
        return RadioField(label, choices=choices((code, _l(text)) for code, text in SUBJECTS.items()),
                          default=DEFAULT_SUBJECT)  # a request without it (an older client) means a regulation
    if name == "reason" and event == "refuse":
        return _refusal_field(case, label, validators)
    if name == "new_date":
        # NĐ 61/2018 Art 19.9 asks for one new date; how far, by default and at most, is the department's
        return DateField(label, validators=[Optional()], description=_l(
            "Để trống: %(days)s ngày làm việc sau hạn cũ; chọn được đến %(most)s ngày làm việc sau hạn cũ "
            "(Sở quy định; NĐ 61/2018/NĐ-CP, Điều 19.9: hẹn lại một lần).",
            days=rule_days("apology_new_date_days"), most=rule_days("extension_max_days")))
    if name == "note" and event == "refuse":  # the sender reads it: the refusal's mail, the status page
        return TextAreaField(_l("Ghi chú cho người gửi"), validators=validators + [at_most(20000)],
                             description=_l("Người gửi đọc ghi chú này trong thông báo không tiếp nhận và trên trang "
                                            "tra cứu: ví dụ, cơ quan có thẩm quyền giải quyết khiếu nại, tố cáo."))
    if name == "agency":
        return StringField(label, validators=validators + [at_most(EVENTS[event].max_chars[name])])
    if name == "reference":  # the file's reference in the department's records (NĐ 20/2008 Art 14.2e)
        return StringField(label, validators=validators + [at_most(EVENTS[event].max_chars[name])],
                           description=_l("Theo danh mục hồ sơ của cơ quan, ví dụ 12/PAKN-2024."))
    if name == "reason" and event == "collect_basis":  # NĐ 20/2008 Art 14.2b
        return TextAreaField(_l("Cần thu thập thêm"), validators=validators + [at_most(20000)],
                             description=_l("Thông tin, tài liệu, ý kiến của cơ quan liên quan còn thiếu và đơn vị "
                                            "đang thu thập (Nghị định 20/2008/NĐ-CP, Điều 14.2b). Thời hạn trả lời "
                                            "vẫn tính; nếu không kịp, gửi phiếu xin lỗi, hẹn lại ngày trả lời."))
    if name == "reason" and event == "extend":  # the letter's public copy shows it (letters.letter_context)
        return TextAreaField(label, validators=validators + [at_most(20000)], description=LETTER_REASON_PUBLIC)
    if name == "reason" and event == "return_answer":  # QĐ 31/2021/QĐ-TTg Art 46
        return TextAreaField(_l("Lý do trả lại"), validators=validators + [at_most(20000)],
                             description=_l("Điểm chưa phù hợp để công khai. Đơn vị xử lý thấy lý do này; "
                                            "người gửi không thấy."))
    return TextAreaField(label, validators=validators + [at_most(20000)])


def event_form(event: str, case: Feedback, formdata=None) -> Form:
    """The form of one lifecycle event, built from ``EVENTS[event]``: its arguments, plus the reply's
    attachments for ``submit_draft`` and the reviewed public copy for ``publish``."""
    spec = EVENTS[event]
    fields = {name: _argument_field(event, name, name in spec.required, case) for name in spec.arguments}
    if "reply" in spec.arguments:  # the citizen receives them: the citizen's own rules (_store_files)
        fields["attachments"] = MultipleFileField(_l("Tệp đính kèm"), description=attachments_rule(),
                                                  render_kw={"accept": ATTACHMENT_ACCEPT})
    if event == "publish":
        labels = {"title": _l("Tiêu đề công khai"), "question": _l("Nội dung công khai"),
                  "answer": _l("Câu trả lời công khai")}
        fields.update({k: TextAreaField(labels[k]) for k in PREVIEW_FIELDS})
        fields["title"] = TextAreaField(labels["title"], validators=[Length(
            max=PUBLIC_TITLE_MAX, message=_l("Tiêu đề công khai không được dài quá %(max)d ký tự."))])
    fields["submit"] = SubmitField(lazy_pgettext("action", spec.label))  # "Publish", not the trail's "Published"
    form_class = type(f"{event.title().replace('_', '')}Form", (VersionedForm,), fields)
    data = {"version": case.version}
    if "reply" in spec.arguments:
        data["reply"] = case.reply_text or ""
    if event == "publish":
        data.update(publication.preview(case))
    if event == "refuse" and (shortfalls := art7_shortfalls(case)):
        data["reason"] = shortfalls[0]  # proposed; HCTH confirms it by refusing
    return form_class(formdata=formdata, prefix=event, data=data)


def event_args(form: Form, event: str) -> dict:
    """The event's arguments from a validated form, as the lifecycle takes them (codes, ISO dates)."""
    args = {}
    for name in EVENTS[event].arguments:
        value = form[name].data
        if value in (None, ""):
            continue
        args[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return args


# --- PAKN that HCTH enters (QĐ 31/2021/QĐ-TTg Art 43.2b) ----------------------------------------

# The channels other than the portal and the API (models.CHANNELS) by which a PAKN reaches HCTH:
# written, in person, by post or e-mail, by phone on the published number (NĐ 20/2008 Art 6–7), or
# from the national PAKN system (QĐ 31/2021 Art 39–46).
INTAKE_CHANNELS = ("post", "email", "phone", "in_person", "national")


def _local_minute(instant: datetime) -> datetime:
    """``instant`` in Vietnamese local time, to the minute, without a zone: what a datetime-local input holds."""
    return instant.astimezone(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None)


def _local_now() -> datetime:
    return _local_minute(CLOCK.now())


def _as_instant(local: datetime) -> datetime:
    """A datetime-local input's value as the UTC instant the database stores."""
    return local.replace(tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def _not_in_the_future(form, field) -> None:
    if field.data is not None and field.data > _local_now():
        raise ValidationError(_l("Thời điểm nhận không được sau thời điểm hiện tại."))


class OwnParseError:
    """A date or time field whose parse error is ``parse_error``, in the page's language (WTForms' own is
    English)."""

    parse_error = _l("Ngày giờ không hợp lệ.")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.parse_error) from None


class LocalDateTimeField(OwnParseError, DateTimeLocalField):
    """A datetime-local input, its parse error in the page's language."""


def received_at_field(description, *validators, default=None) -> "LocalDateTimeField":
    """When the department actually received the case (local time, to the minute), never in the future."""
    return LocalDateTimeField(_l("Thời điểm nhận"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                              default=default, validators=[*validators, _not_in_the_future], description=description)


class AsReceived:
    """The citizen's fields of a PAKN HCTH enters, as it arrived. NĐ 20/2008 Art 9.1 has every PAKN
    received and entered in the register before it is classified; one that fails Art 7.1 (no name or
    address, not in Vietnamese, no clear content) is then refused with that reason (Art 9.1d). So the
    portal's Art 7.1 checks do not keep it out of the register: the case page names what it lacks
    (``submissions.art7_shortfalls``) and proposes the refusal. A postal address is a way to answer
    (Art 7.1: "số điện thoại (hoặc địa chỉ thư tín)"): no phone or e-mail is required."""

    contact_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("full_name", "address"):  # the portal's fields, their order kept, not required here
            self[name].validators = [Optional()] + [v for v in self[name].validators
                                                    if not isinstance(v, (DataRequired, InputRequired))]
            self[name].flags.required = False

    def validate_content(self, field):
        return None  # not SubmissionFields' Art 7.1 check: see the class's docstring

    def validate_address(self, field):
        return None  # as written on the envelope; the case page names an address without a letter


def _upper(value):
    # the national system writes its codes in capitals: "h55.1" typed is the same PAKN as "H55.1"
    return value.upper() if isinstance(value, str) else value


class Transcribed:
    """The citizen's details typed by HCTH: the browser must not offer the clerk's own name, address,
    phone and e-mail, as the portal's fields ask it to (``autocomplete``, WCAG 1.3.5: for the user's
    own data only)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("full_name", "address", "phone", "email"):
            if name in self:  # a copy: the portal's form shares the class's dict
                self[name].render_kw = {**(self[name].render_kw or {}), "autocomplete": "off"}


class IntakeForm(Transcribed, AsReceived, SubmissionFields):
    """A PAKN received on paper, by phone, e-mail, in person or from the national system, entered by
    HCTH as it arrived (``AsReceived``), the channel and when it actually arrived."""

    channel = SelectField(_l("Kênh tiếp nhận"),
                          choices=choices([("", _l("— Chọn kênh —"))]
                                          + [(c, _l(CHANNEL_LABELS[c])) for c in INTAKE_CHANNELS]),
                          validators=[DataRequired(_l("Vui lòng chọn kênh tiếp nhận."))])
    # QĐ 31/2021/QĐ-TTg Art 43: a PAKN from the national system keeps its code there, under which its
    # answer goes back; letters, digits and . - / as the system writes it
    national_code = StringField(_l("Mã trên Hệ thống quốc gia"), filters=[_strip, _upper], validators=[
        at_most(40),  # not Optional(): its check below says when it is required
        Regexp(r"^([0-9A-Za-z][0-9A-Za-z.\-/]*)?$", message=_l("Mã chỉ gồm chữ, số và các dấu . - /."))],
        description=_l("Bắt buộc khi nhận từ Hệ thống quốc gia: mã phản ánh, kiến nghị trên hệ thống đó."))
    received_at = received_at_field(
        _l("Ngày, giờ cơ quan thực nhận (dấu bưu điện đến, giờ nhận cuộc gọi, giờ thư điện tử đến); "
           "hạn xử lý tính từ ngày này."),
        InputRequired(_l("Vui lòng nhập ngày và giờ nhận (giờ Việt Nam).")), default=_local_now)
    # the portal's attachment field, form key and held files, not copies (checked by
    # services.submissions.check_files; the key makes a double click one case)
    attachments = SubmissionForm.attachments
    submission_key = SubmissionForm.submission_key
    held_token, held_files = SubmissionForm.held_token, SubmissionForm.held_files
    submit = SubmitField(_l("Nhập phản ánh, kiến nghị"))

    def validate_received_at(self, field):
        if field.data is None:
            return
        days = current_app.config["INTAKE_MAX_BACKDATE_DAYS"]
        if field.data < _local_now() - timedelta(days=days):
            raise ValidationError(_l("Thời điểm nhận không được sớm hơn %(n)d ngày trước; phản ánh, kiến nghị cũ "
                                     "hơn cần lãnh đạo văn phòng xem xét.", n=days))

    def validate_national_code(self, field):
        if self.channel.data != "national":
            if field.data:
                raise ValidationError(_l("Chỉ ghi mã khi phản ánh, kiến nghị nhận từ Hệ thống quốc gia."))
            return
        if not field.data:
            raise ValidationError(_l("Vui lòng nhập mã phản ánh, kiến nghị trên Hệ thống quốc gia."))
        # the same PAKN entered twice; not this very form sent twice (its key made that case: one case)
        key = form_key(self.submission_key.data)
        entered = db.session.execute(select(Feedback.code).where(
            Feedback.national_code == field.data,
            Feedback.submission_key.is_distinct_from(key) if key else true())).scalar()
        if entered is not None:
            raise ValidationError(_l("Phản ánh, kiến nghị mang mã này đã được nhập: %(code)s.", code=entered))

    def received_instant(self) -> datetime:
        return _as_instant(self.received_at.data)


class IntakeCorrectionForm(Transcribed, SubmissionFields, VersionedForm):
    """Sửa thông tin tiếp nhận: the citizen's fields with the portal's rules (``SubmissionFields``), and
    for a PAKN HCTH entered, the time of receipt (``services.corrections``: within its day)."""

    consent_publish = None  # the citizen's choice, not a transcription: not corrected here
    received_at = received_at_field(_l("Chỉ sửa được giờ trong cùng ngày nhận (mã số mang ngày nhận)."), Optional())
    submit = SubmitField(_l("Lưu thông tin đã sửa"))

    def received_instant(self) -> datetime | None:
        if "received_at" not in self or self.received_at.data is None:
            return None
        return _as_instant(self.received_at.data)


class EnteredCorrectionForm(AsReceived, IntakeCorrectionForm):
    """The correction of a PAKN HCTH entered: its fields as it arrived (``AsReceived``)."""


def correction_form(case: Feedback, formdata=None) -> IntakeCorrectionForm:
    """The correction form of ``case``, filled with what is stored; without the time of receipt for a
    case the citizen sent through the portal or the API (the server's time), whose fields keep the
    portal's rules."""
    from ..services.corrections import may_correct_time
    data = {"version": case.version, "full_name": case.submitter_name, "address": case.address,
            "phone": case.phone, "email": case.email, "title": case.title, "content": case.content,
            "procedure": case.procedure,
            "received_at": _local_minute(case.received_at)}
    entered = may_correct_time(case)
    form = (EnteredCorrectionForm if entered else IntakeCorrectionForm)(formdata=formdata, prefix="correct", data=data)
    if not entered:
        del form["received_at"]
    return form


# --- the register (sổ theo dõi tiếp nhận, NĐ 20/2008 Art 9.1c) ---------------------------------

class LocalDateField(OwnParseError, DateField):
    """A date input, its parse error in the page's language."""

    parse_error = _l("Ngày không hợp lệ (nhập theo dạng ngày/tháng/năm của lịch).")


class NoticeGivenForm(Form):
    """HCTH records that it told a citizen without an e-mail by phone, or posted it, and on which day
    (services.citizen_notices.record_given, which checks the choice against the citizen's contacts)."""

    how = SelectField(_l("Cách báo"), validate_choice=False,
                      validators=[DataRequired(_l("Vui lòng chọn cách báo cho người gửi."))])
    on = LocalDateField(_l("Ngày báo"), validators=[InputRequired(_l("Vui lòng nhập ngày báo."))])
    submit = SubmitField(_l("Ghi nhận đã báo"))


def notice_given_form(notice, formdata=None) -> NoticeGivenForm:
    """The record form of one notice (its own prefix: several on one page), offering the ways its
    citizen can be reached."""
    from ..services.citizen_notices import HOW_LABELS
    case = notice.feedback
    ways = [how for how, given in (("phone", case.phone), ("post", case.address)) if (given or "").strip()]
    form = NoticeGivenForm(formdata=formdata, prefix=f"notice{notice.id}", data={"on": CLOCK.today()})
    form.how.choices = choices([(how, _l(HOW_LABELS[how])) for how in ways])
    return form


class RegisterFilterForm(Form):
    """The register's filters, read from the query string (GET: no CSRF token, nothing changes). A
    reporting period, when chosen, gives the range; otherwise the two dates do."""

    class Meta:
        csrf = False

    period = SelectField(_l("Kỳ báo cáo"), validate_choice=False, validators=[Optional()],
                         description=_l("Chọn một kỳ để lấy khoảng ngày của kỳ: quý từ ngày 15 tháng trước đến "
                                        "ngày 14 tháng cuối quý, năm từ 15/12 đến 14/12."))
    date_from = LocalDateField(_l("Từ ngày"), name="from", validators=[Optional()])
    date_to = LocalDateField(_l("Đến ngày"), name="to", validators=[Optional()],
                             description=_l("Cả hai ngày đều tính, theo giờ Việt Nam; tối đa 366 ngày."))
    channel = SelectField(_l("Kênh tiếp nhận"), validators=[Optional()],
                          choices=choices([("", _l("Tất cả"))] + [(c, _l(CHANNEL_LABELS[c])) for c in CHANNEL_LABELS]))
    unit = SelectField(_l("Đơn vị xử lý"), validators=[Optional()])
