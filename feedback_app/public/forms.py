"""Forms of the public portal. The submission form carries the content rules of NĐ 20/2008/NĐ-CP
Art 7.1 (as amended by NĐ 92/2017, Art 7.4 for electronic PAKN): Vietnamese, clear content, name,
address, and a phone number or e-mail address to answer to. The JSON API checks a submission with the
same fields and rules (``SubmissionFields``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SelectChoice, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from workflows.lifecycle import MIN_EXPLANATION_CHARS

from ..forms import Form
from ..services.cases import TRACKING_CODE, normalise_code
from ..services.submissions import (ATTACHMENT_ACCEPT, RATING_SCORES, has_letter, is_clear_content,
                                    looks_vietnamese, normalise_phone)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# A long text is checked on the server, which says what is too long and keeps it, rather than cut off
# by the browser (WTForms' Length renders ``maxlength``) when pasted, silently.
UNCUT = {"maxlength": False}


class SubmissionFields(Form):
    """What a citizen sends and its rules: the JSON API checks a submission with this form alone."""

    # the portal answers and lets the citizen look the case up by phone or e-mail: one is required
    contact_required = True

    # autocomplete and the input types: a phone offers its saved details and the right keyboard
    full_name = StringField(_l("Họ và tên"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập họ và tên.")),
        Length(min=2, max=200, message=_l("Họ và tên phải có từ 2 đến 200 ký tự."))],
        render_kw={"autocomplete": "name", **UNCUT})
    address = StringField(_l("Địa chỉ"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập địa chỉ liên hệ.")),
        Length(min=5, max=300, message=_l("Địa chỉ phải có từ 5 đến 300 ký tự."))],
        render_kw={"autocomplete": "street-address", **UNCUT})
    phone = StringField(_l("Số điện thoại"), filters=[_strip], validators=[
        Optional(), Length(max=32, message=_l("Số điện thoại không hợp lệ."))],
        render_kw={"type": "tel", "autocomplete": "tel"})
    email = StringField(_l("Thư điện tử"), filters=[_strip], validators=[
        Optional(), Length(max=254, message=_l("Địa chỉ thư điện tử không hợp lệ.")),
        Email(_l("Địa chỉ thư điện tử không hợp lệ."))], render_kw={"type": "email", "autocomplete": "email"})
    title = StringField(_l("Tiêu đề"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập tiêu đề.")),
        Length(min=5, max=300, message=_l("Tiêu đề phải có từ 5 đến 300 ký tự."))], render_kw=UNCUT)
    content = TextAreaField(_l("Nội dung phản ánh, kiến nghị"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập nội dung phản ánh, kiến nghị.")),
        Length(max=10000, message=_l("Nội dung không được dài quá 10.000 ký tự."))], render_kw=UNCUT)
    procedure = StringField(_l("Thủ tục hành chính hoặc quy định liên quan (nếu có)"), filters=[_strip],
                            validators=[Optional(), Length(max=500, message=_l("Không được dài quá 500 ký tự."))],
                            render_kw=UNCUT)
    consent_publish = BooleanField(
        _l("Tôi đồng ý để câu trả lời được công khai (thông tin cá nhân của tôi sẽ được ẩn)"))

    def validate_full_name(self, field):
        if field.data and not has_letter(field.data):  # "12345", "😀😀": nobody to answer to
            raise ValidationError(_l("Họ và tên phải có chữ cái."))

    def validate_address(self, field):
        if field.data and not has_letter(field.data):  # "🏠🏠🏠", "12345": no address to write to (Art 7.1)
            raise ValidationError(_l("Địa chỉ phải có chữ: số nhà, đường, xã/phường, tỉnh/thành phố."))

    def validate_title(self, field):
        if field.data and not has_letter(field.data):
            raise ValidationError(_l("Tiêu đề phải có chữ, nói vấn đề được phản ánh, kiến nghị."))

    def validate_phone(self, field):
        if field.data and normalise_phone(field.data) is None:
            raise ValidationError(_l("Số điện thoại không hợp lệ: di động 10 chữ số (ví dụ 0905123456 hoặc "
                                     "+84905123456), cố định 11 chữ số kể cả mã vùng (ví dụ 0255 3822 123)."))

    def validate_content(self, field):
        # Art 7.1: "nội dung phản ánh, kiến nghị phải rõ ràng" and in Vietnamese (Art 7.4: Unicode TCVN 6909).
        if not is_clear_content(field.data or ""):
            raise ValidationError(_l("Nội dung chưa rõ ràng: vui lòng mô tả cụ thể vấn đề, quy định "
                                     "hoặc thủ tục hành chính (ít nhất 20 ký tự)."))
        if not looks_vietnamese(field.data or ""):
            raise ValidationError(_l("Nội dung phải viết bằng tiếng Việt có dấu (Nghị định 20/2008/NĐ-CP, Điều 7)."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Art 7.1: a way to answer the citizen: a phone number and/or an e-mail address.
        if self.contact_required and not self.phone.data and not self.email.data:
            message = _l("Vui lòng nhập số điện thoại hoặc thư điện tử (ít nhất một) để nhận trả lời và tra cứu.")
            self.phone.errors = [*self.phone.errors, message]
            self.email.errors = [*self.email.errors, message]
            ok = False
        return ok

    def field_errors(self) -> dict[str, str]:
        """One message per field (the first), for the API's 422 answer."""
        return {name: str(errors[0]) for name, errors in self.errors.items() if errors and name != "csrf_token"}


class CitizenFiles:
    """A citizen's files on a portal form (the submission, the supplementary information), checked by
    ``public.routes.attached_files`` with the same rules (``submissions.sort_files``)."""

    attachments = MultipleFileField(_l("Tệp đính kèm (nếu có)"),
                                    render_kw={"accept": ATTACHMENT_ACCEPT})
    # The files this form already sent, held while it comes back (services.held_uploads): the token of
    # their hold, and what the page shows of them (set by the view).
    held_token = HiddenField()
    held_files = ()


class SubmissionForm(SubmissionFields, CitizenFiles):
    """The portal's page: the citizen's fields, attachments, a honeypot and the form's key."""

    # A honeypot: hidden from people (CSS and aria-hidden), filled in by simple bots.
    website = StringField(_l("Để trống ô này"))
    # One per rendering of the page: a double click or a reload finds the case the first sending made.
    submission_key = HiddenField()


class LookupForm(Form):
    code = StringField(_l("Mã số phản ánh, kiến nghị"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập mã số.")), Length(max=24, message=_l("Mã số không hợp lệ."))],
        render_kw={"placeholder": "PAKN.20240304.0001", "autocomplete": "off"})
    contact = StringField(_l("Số điện thoại hoặc thư điện tử đã khai khi gửi"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập số điện thoại hoặc thư điện tử đã khai khi gửi.")),
        Length(max=254, message=_l("Thông tin liên hệ không hợp lệ."))])

    def validate_code(self, field):
        # a mistyped code is told at the code, not as "not found" at the contact; no case is revealed
        if field.data and not TRACKING_CODE.fullmatch(normalise_code(field.data)):
            raise ValidationError(_l("Mã số có dạng PAKN.năm tháng ngày.số thứ tự, ví dụ PAKN.20240304.0001."))


class RatingForm(Form):
    score = RadioField(_l("Mức độ hài lòng với câu trả lời"), coerce=int,
                       choices=[SelectChoice(k, _l(v)) for k, v in RATING_SCORES.items()],
                       validators=[DataRequired(_l("Vui lòng chọn một mức đánh giá."))])
    comment = TextAreaField(_l("Ý kiến thêm (nếu có)"), filters=[_strip],
                            validators=[Optional(), Length(max=2000, message=_l("Không được dài quá 2.000 ký tự."))],
                            render_kw=UNCUT)


class ProvideInfoForm(Form, CitizenFiles):
    """The citizen's answer to HCTH's request for information, with the files it often asks for ("bản
    chụp giấy tờ liên quan"): the case's ``supplement`` files (``submissions.provide_info``)."""

    # what HCTH asked for, so that the office's clock resumes on an answer, not on "x" (the staff's
    # own explanations need as much, lifecycle.MIN_EXPLANATION_CHARS)
    note = TextAreaField(_l("Thông tin bổ sung"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập thông tin bổ sung.")),
        Length(min=MIN_EXPLANATION_CHARS, max=5000, message=_l(
            "Thông tin bổ sung cần từ 10 đến 5.000 ký tự: vui lòng ghi rõ thông tin được yêu cầu."))],
        render_kw=UNCUT)

    def validate_note(self, field) -> None:
        # words or numbers (half the explanation's minimum, lifecycle.MIN_EXPLANATION_CHARS), not a row of
        # emoji or punctuation: HCTH's clock (the 05 days of NĐ 20/2008 Art 9.1d) resumes on it
        if sum(c.isalnum() for c in field.data or "") < MIN_EXPLANATION_CHARS // 2:
            raise ValidationError(_l("Thông tin bổ sung cần có chữ hoặc số: vui lòng ghi rõ thông tin được yêu cầu."))
