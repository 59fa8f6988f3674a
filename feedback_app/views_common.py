"""What every page shares: template helpers, error pages, the user loader."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, render_template, request
from flask_babel import format_date, format_datetime, gettext

from workflows.clock import CLOCK, LOCAL_TZ
from workflows.deadlines import STEP_LABELS, Step
from workflows.lifecycle import STATE_LABELS, State

from .extensions import db, login_manager


def state_label(state: str) -> str:
    return gettext(STATE_LABELS[State(state)])


def step_label(step: str | None) -> str:
    return gettext(STEP_LABELS[Step(step)]) if step else ""


def local_dt(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def local_d(value: date | None, fmt: str = "dd/MM/yyyy") -> str:
    return format_date(value, fmt) if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(state_label=state_label, step_label=step_label, dt=local_dt, d=local_d)

    @app.context_processor
    def shared():
        from flask_babel import get_locale
        return {"now": CLOCK.now(), "today": CLOCK.today(), "locale": str(get_locale()),
                "agency": {k[7:].lower(): v for k, v in app.config.items() if k.startswith("AGENCY_")}}

    @login_manager.user_loader
    def load_user(user_id: str):
        from .models import User
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    def error_page(code: int, title: str, message: str):
        def handler(error):
            if request.path.startswith("/api/"):
                return {"error": title, "message": message}, code
            return render_template("error.html", code=code, title=gettext(title), message=gettext(message)), code
        return handler

    for code, title, message in (
        (400, "Yêu cầu không hợp lệ", "Yêu cầu không hợp lệ. Vui lòng kiểm tra và thử lại."),
        (403, "Không có quyền", "Bạn không có quyền thực hiện thao tác này."),
        (404, "Không tìm thấy", "Trang hoặc phản ánh, kiến nghị bạn tìm không tồn tại."),
        (405, "Không được phép", "Phương thức này không được hỗ trợ."),
        (413, "Tệp quá lớn", "Dung lượng gửi lên vượt quá giới hạn cho phép."),
        (429, "Quá nhiều yêu cầu", "Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau."),
        (500, "Lỗi hệ thống", "Đã có lỗi xảy ra. Dữ liệu của bạn chưa bị mất; vui lòng thử lại sau."),
    ):
        app.register_error_handler(code, error_page(code, title, message))
