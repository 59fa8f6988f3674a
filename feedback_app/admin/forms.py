"""Forms of the administration: units, users, fields (lĩnh vực) and the working-day calendar.

Every validator carries its own message, in the page's language: more precise than WTForms' own,
which ``feedback_app.forms`` gives in Vietnamese where one is left."""
from __future__ import annotations

import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import (BooleanField, DateField, EmailField, HiddenField, IntegerField, PasswordField, SelectField,
                     StringField, SubmitField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, StopValidation

from ..extensions import db
from ..forms import Form
from ..models import Unit
from ..office.forms import at_most, choices
from ..public.forms import _strip
from ..services.accounts import office_unit
from ..services.calendar import KINDS
from ..views_common import ROLE_LABELS

REQUIRED_CODE = _l("Vui lòng nhập mã.")
REQUIRED_NAME = _l("Vui lòng nhập tên.")
BAD_EMAIL = _l("Địa chỉ thư điện tử không hợp lệ.")
# The department's own addresses: their mails (reminders, notices) go through SMTP servers many of which
# refuse a name with accents before the @ (SMTPUTF8), so "ngườidùng@…" is refused when typed.
STAFF_EMAIL = Email(BAD_EMAIL, allow_smtputf8=False)
POSITIVE_DAYS = _l("Số ngày làm việc phải lớn hơn 0.")
# IntegerField's own "Not a valid integer value." is replaced through its invalid_value_message
# (WTForms >= 3.2), the one message its process_formdata raises.
NOT_AN_INTEGER = _l("Vui lòng nhập một số nguyên.")




def _role_choices():
    return choices((role.value, _l(label)) for role, label in ROLE_LABELS.items())


def parsed(form, field) -> None:
    """Stops the chain when the value could not be read: "not a number" says it all, without "must be > 0"."""
    if field.process_errors:
        raise StopValidation()


def target_days(label) -> IntegerField:
    """An internal target in working days: empty means the law's."""
    return IntegerField(label, validators=[Optional(), parsed, NumberRange(min=1, message=POSITIVE_DAYS)],
                        invalid_value_message=NOT_AN_INTEGER, description=_l("Để trống: theo thời hạn quy định."))


class RowForm(Form):
    """A form that edits one stored row. ``read_as`` carries what the page showed (``as_read``): a save
    from a page older than another admin's save is refused instead of quietly undoing it (an account
    switched off coming back on, a user moved back to their old unit)."""
    read_as = HiddenField()

    def as_read(self, row) -> str:
        """A digest of the values of ``row`` this form edits, as stored (a password is never shown)."""
        values = [getattr(row, f.short_name, None) for f in self
                  if f.type not in ("SubmitField", "CSRFTokenField", "HiddenField", "PasswordField")]
        text = "\x1f".join(repr(getattr(v, "code", v)) for v in values)  # a unit by its code
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class UnitForm(RowForm):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(REQUIRED_CODE), at_most(32)])
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED_NAME), at_most(200)])
    email = EmailField(_l("Thư điện tử"), validators=[Optional(), STAFF_EMAIL, at_most(254)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    is_office = BooleanField(_l("Là Văn phòng (Phòng Hành chính - Tổng hợp)"),
                             description=_l("Đơn vị tiếp nhận mọi phản ánh, kiến nghị và giữ những phản ánh, kiến "
                                            "nghị chưa chuyển đơn vị xử lý. Chỉ một đơn vị là Văn phòng; đã lưu thì "
                                            "không bỏ được."))
    submit = SubmitField(_l("Lưu"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # offered only while there is no office: there is one, and it stays the office (accounts.save_unit)
        self.office = office_unit()
        if self.office is not None:
            del self.is_office


class CategoryForm(RowForm):
    code = StringField(_l("Mã lĩnh vực"), validators=[DataRequired(REQUIRED_CODE), at_most(32)])
    name = StringField(_l("Tên lĩnh vực"), validators=[DataRequired(REQUIRED_NAME), at_most(200)])
    classify_target_days = target_days(_l("Hạn nội bộ phân loại, chuyển xử lý (ngày làm việc)"))
    answer_target_days = target_days(_l("Hạn nội bộ trả lời (ngày làm việc)"))
    active = BooleanField(_l("Đang sử dụng"), default=True,
                          description=_l("Bỏ chọn khi Sở không dùng lĩnh vực này nữa: Văn phòng không phân loại vào "
                                         "lĩnh vực này được nữa; hồ sơ đã phân loại vẫn giữ lĩnh vực."))
    submit = SubmitField(_l("Lưu"))


class UserForm(RowForm):
    # the admin types someone else's address: not the sign-in form's "your e-mail"
    email = EmailField(_l("Thư điện tử"), validators=[
        DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử của người dùng.")), STAFF_EMAIL, at_most(254)],
        filters=[_strip])  # pasted with a space after it
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên.")), at_most(200)])
    title = StringField(_l("Chức danh"), validators=[Optional(), at_most(200)])
    role = SelectField(_l("Vai trò"), choices=_role_choices, validate_choice=False)  # the service refuses an unknown role
    unit = SelectField(_l("Đơn vị"), validate_choice=False,
                       description=_l("Người dùng của đơn vị: bắt buộc. Văn phòng: để trống hoặc chọn Văn phòng. "
                                      "Lãnh đạo, quản trị: để trống."))
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(
                                 min=8, max=128, message=_l("Mật khẩu phải có từ 8 đến 128 ký tự."))],
                             description=_l("Ít nhất 8 ký tự. Để trống khi sửa: giữ mật khẩu cũ."))
    active = BooleanField(_l("Đang hoạt động"), default=True)
    submit = SubmitField(_l("Lưu"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the active units, and the user's own if it stopped: the page shows where the account is
        own = getattr(kwargs.get("obj"), "unit_id", None)
        rows = db.session.execute(select(Unit.code, Unit.name, Unit.active).where(or_(Unit.active, Unit.id == own))
                                  .order_by(Unit.name)).all()
        self.unit.choices = choices([("", _l("— Không thuộc đơn vị —"))] + [
            (c, n if active else _l("%(name)s (đã ngừng hoạt động)", name=n)) for c, n, active in rows])


class CalendarDayForm(Form):
    """A local override of the working-day calendar (services/calendar.py: set_day)."""
    day = DateField(_l("Ngày"), validators=[InputRequired(_l("Vui lòng chọn ngày."))],
                    invalid_value_message=_l("Ngày không hợp lệ."))
    # Checked by the service (which refuses an unknown kind in Vietnamese), not by WTForms' English "Not a valid choice."
    kind = SelectField(_l("Loại ngày"), validate_choice=False,
                       choices=lambda: choices((kind, _l(label)) for kind, label in KINDS.items()))
    name = StringField(_l("Tên, lý do"), validators=[DataRequired(REQUIRED_NAME), at_most(200)],
                       description=_l("Ví dụ: Nghỉ bù Tết Nguyên đán theo thông báo của UBND tỉnh."))
    submit = SubmitField(_l("Thêm ngày"))
