"""Forms of the administration: units, users and fields (lĩnh vực)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ..extensions import db
from ..models import Unit
from ..office.forms import choices

ROLE_CHOICES = [("office", _l("Văn phòng (HCTH)")), ("unit", _l("Đơn vị xử lý")), ("leader", _l("Lãnh đạo")),
                ("admin", _l("Quản trị"))]


def _role_choices():
    return choices(ROLE_CHOICES)


class UnitForm(FlaskForm):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(_l("Vui lòng nhập mã.")), Length(max=32)])
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(_l("Vui lòng nhập tên.")), Length(max=200)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Email không hợp lệ.")), Length(max=254)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    submit = SubmitField(_l("Lưu"))


class CategoryForm(FlaskForm):
    code = StringField(_l("Mã lĩnh vực"), validators=[DataRequired(_l("Vui lòng nhập mã.")), Length(max=32)])
    name = StringField(_l("Tên lĩnh vực"), validators=[DataRequired(_l("Vui lòng nhập tên.")), Length(max=200)])
    classify_target_days = IntegerField(
        _l("Hạn nội bộ phân loại, chuyển xử lý (ngày làm việc)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Số ngày làm việc phải lớn hơn 0."))],
        description=_l("Để trống: theo thời hạn quy định."))
    answer_target_days = IntegerField(
        _l("Hạn nội bộ trả lời (ngày làm việc)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Số ngày làm việc phải lớn hơn 0."))],
        description=_l("Để trống: theo thời hạn quy định."))
    submit = SubmitField(_l("Lưu"))


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Vui lòng nhập email.")),
                                                Email(_l("Email không hợp lệ.")), Length(max=254)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên.")), Length(max=200)])
    title = StringField(_l("Chức danh"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=_role_choices)
    unit = SelectField(_l("Đơn vị"), validate_choice=False)
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(min=8, max=128)],
                             description=_l("Ít nhất 8 ký tự. Để trống khi sửa: giữ mật khẩu cũ."))
    active = BooleanField(_l("Đang hoạt động"), default=True)
    submit = SubmitField(_l("Lưu"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = db.session.execute(select(Unit.code, Unit.name).where(Unit.active).order_by(Unit.name)).all()
        self.unit.choices = choices([("", _l("— Không thuộc đơn vị —"))] + [(c, n) for c, n in rows])
