"""What every page shares: template helpers, error pages, the user loader."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import NamedTuple
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, format_datetime, format_decimal, gettext, refresh
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from workflows.clock import CLOCK, local_time
from workflows.lifecycle import EVENTS, N_, ROLE_LABELS, Role

from . import addressing
from .labels import channel_label, state_label, step_label  # noqa: F401  (the pages' filters; imported from here)
from .extensions import db, login_manager
from .text import ascii_name


# "May not have been carried out", not "nothing was saved": the connection can drop after the
# database committed. Sending the same submission again is safe (its form key or Idempotency-Key
# returns the case it made), and a staff action sent again meets the case's version (409).
UNAVAILABLE = N_("Không kết nối được cơ sở dữ liệu nên yêu cầu có thể chưa được thực hiện. Vui lòng thử "
                 "lại sau ít phút: gửi lại cùng một phản ánh không tạo thêm phản ánh mới.")
# the same to staff, whose action sent again is told when it was recorded already
UNAVAILABLE_STAFF = N_("Không kết nối được cơ sở dữ liệu nên thao tác có thể chưa được thực hiện. Vui lòng thử lại "
                       "sau ít phút: thao tác đã được ghi nhận sẽ được báo là đã ghi nhận, không thực hiện lần hai.")
STAFF_AREAS = ("/van-phong", "/don-vi", "/quan-tri")


# Pages beyond this are empty anyway; a larger number would overflow the database's integers
# (OFFSET is page x per_page: SQLite refuses a Python int beyond 64 bits with a 500).
MAX_PAGE = 100_000


def page_arg(name: str = "page") -> int:
    """The page number asked for in the query string: 1 when missing or not a number, at most ``MAX_PAGE``."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


def beyond_last_page(page, name: str = "page", anchor: str = ""):
    """A redirect to the last page of the same list (same filters) when ``page`` (a Flask-SQLAlchemy
    pagination, or anything with its ``items``, ``page`` and ``pages``) is an empty page past the end,
    else None: a page such as "30 results", "no results" and "page 3 of 2" at once says nothing true.
    The view returns it when it is not None. A list with no results at all goes to its first page.
    ``anchor``: the list's place on its page ("#overdue")."""
    if page.items or page.page <= 1:
        return None
    last = page.pages or 1
    if last >= page.page:  # an empty page within the count (the rows changed meanwhile): nothing better
        return None
    return redirect(page_url(last, name) + anchor)


def page_url(number: int, name: str = "page") -> str:
    """This list's page ``number`` (1: no page argument), its other query arguments (the filters) kept.
    The query string is encoded here, not passed to url_for: a parameter named like one of url_for's own
    (endpoint, _external, _method ...) would be taken for it, or fail."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != name] + ([(name, str(number))] if number > 1 else [])
    path = url_for(request.endpoint, **(request.view_args or {}))
    return f"{path}?{urlencode(args)}" if args else path


def switch_language(lang: str) -> str:
    """This page in ``lang``: its query string kept (a search, a page number, a filter), ``lang`` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return "?" + urlencode([*args, ("lang", lang)])


def send_download(path, name: str, mimetype: str | None):
    """``path`` as a download named ``name``. Werkzeug's ASCII fallback (``filename=``, for clients
    that ignore ``filename*=``) drops Đ/đ: "Đơn đề nghị.pdf" came as "on e nghi.pdf". The name as
    ``display_name`` keeps it now, whatever an older version stored (a line break is no header)."""
    from .services.submissions import display_name
    name = display_name(name)
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
    fallback = ascii_name(name)
    if fallback != name:
        response.headers.set("Content-Disposition", "attachment", filename=fallback,
                             **{"filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")})
    return response


def home_for(user) -> str:
    """Where a member of staff works: after signing in, and the way back from an error page."""
    return {"office": url_for("office.queue"), "leader": url_for("office.queue", tab="review"),
            "unit": url_for("unit.workspace"), "admin": url_for("admin.users")}.get(user.role, url_for("public.index"))


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: never an open redirect. Browsers drop tabs
    and newlines from a URL and read a backslash as a slash, so ``/<tab>/evil.example`` would
    go to ``//evil.example``: any control character, space or backslash refuses the target."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


class AuditLabel(NamedTuple):
    staff: str
    public: str | None = None  # the citizen's wording, where the staff's would not do


# The audit rows that are not lifecycle events (those carry their own label, ``EVENTS[...].label``),
# written by services/cases.py (receive), calendar.py (due_recomputed), sweep.py (overdue,
# apology_letter, escalated), staff.py (mark_duplicate), assignment.py (assign) and letters.py (letter_reason); and the
# lifecycle events the citizen reads in other words than staff (their staff label is the event's).
# tests/test_staff_labels.py fails when a service writes an event missing here.
AUDIT_EVENTS = {
    "receive": AuditLabel(N_("Tiếp nhận")),
    "due_recomputed": AuditLabel(N_("Điều chỉnh thời hạn do thay đổi lịch làm việc")),
    "overdue": AuditLabel(N_("Quá hạn"), N_("Quá thời hạn xử lý")),
    "apology_letter": AuditLabel(N_("Phiếu xin lỗi tự động, hẹn lại ngày trả lời"),
                                 N_("Gửi phiếu xin lỗi, hẹn lại ngày trả lời")),
    "escalated": AuditLabel(N_("Quá hạn đã hẹn lại: chuyển lãnh đạo quyết định")),
    "progress_notice": AuditLabel(N_("Thông báo tiến độ cho người gửi (quá hạn trả lời)"),
                                  N_("Thông báo tiến độ xử lý")),
    "mark_duplicate": AuditLabel(N_("Đánh dấu trùng lặp")),
    "assign": AuditLabel(N_("Phân công người xử lý")),  # services.assignment
    "letter_reason": AuditLabel(N_("Bổ sung lý do phiếu xin lỗi")),
    "correct_intake": AuditLabel(N_("Sửa thông tin tiếp nhận")),
    "citizen_notice": AuditLabel(N_("Báo người gửi qua điện thoại, bưu chính")),  # services.citizen_notices
    "mail_failed": AuditLabel(N_("Thư điện tử không gửi được: cần báo qua điện thoại, bưu chính")),
    "mail_delivered": AuditLabel(N_("Thư điện tử đã gửi được khi gửi lại: không còn cần báo qua điện thoại, bưu chính")),
    # QĐ 31/2021/QĐ-TTg Art 46: a neutral step for the citizen, who keeps the answer sent; HCTH's reason
    # (the row's note) is for the unit only
    "return_answer": AuditLabel(EVENTS["return_answer"].label,
                                N_("Câu trả lời đang được hoàn thiện trước khi công khai")),
    # NĐ 20/2008 Art 14.2b; the unit's note (whom it asked, what it waits for) is for staff
    "collect_basis": AuditLabel(EVENTS["collect_basis"].label,
                                N_("Đơn vị xử lý đang thu thập thêm thông tin, cơ sở để xử lý")),
    "resume_handling": AuditLabel(EVENTS["resume_handling"].label, N_("Đơn vị xử lý tiếp tục xử lý")),
    # the leader's approval is the department's answer going out: the citizen has no part in the approving
    "approve": AuditLabel(EVENTS["approve"].label, N_("Gửi câu trả lời")),
}
UNKNOWN_EVENT = N_("Cập nhật")


def event_msgid(event: str, public: bool = False) -> str:
    """The untranslated label of an audit row's event: the staff's, or the citizen's with ``public``."""
    label = AUDIT_EVENTS.get(event)
    if public and label is not None and label.public:
        return label.public
    if event in EVENTS:
        return EVENTS[event].label
    if label is None:
        return UNKNOWN_EVENT
    return (label.public or label.staff) if public else label.staff


def event_label(event: str) -> str:
    return gettext(event_msgid(event))


def role_label(role: str) -> str:
    return gettext(ROLE_LABELS[Role(role)])


# Patterns of digits only read the same in every locale: strftime gives them, in the one time zone pakn
# shows (config.BABEL_DEFAULT_TIMEZONE, workflows.clock.LOCAL_TZ), without Babel's pattern machinery
# and its pytz conversion, which a page of dates (or every receipt mail) pays per value.
_DIGITS_ONLY = {"dd/MM/yyyy HH:mm": "%d/%m/%Y %H:%M", "dd/MM/yyyy": "%d/%m/%Y"}


def actor_label(label: str | None) -> str:
    """Who wrote an audit row: a staff member's name as stored, the sender or the system (stored in
    Vietnamese, ``services.cases.CITIZEN``/``SYSTEM``) in the page's language."""
    from .services.cases import CITIZEN, SYSTEM
    return gettext(label) if label in (CITIZEN.full_name, SYSTEM.full_name) else (label or "")


def local_dt(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    """``value`` in the user's time zone (Asia/Ho_Chi_Minh), as Babel's ``format_datetime`` gives it."""
    if not value:
        return ""
    if fmt in _DIGITS_ONLY:
        return local_time(value).strftime(_DIGITS_ONLY[fmt])
    return format_datetime(value, fmt)


def local_d(value: date | None, fmt: str = "dd/MM/yyyy") -> str:
    if not value:
        return ""
    if fmt in _DIGITS_ONLY:
        return (local_time(value) if isinstance(value, datetime) else value).strftime(_DIGITS_ONLY[fmt])
    return format_date(value, fmt)


def form_page_of(path: str) -> str | None:
    """The page a form's POST-only URL belongs to: the nearest shorter path that a GET reaches
    (``/don-vi/ho-so/<code>/du-thao`` → the case). A form that came back with its errors left the
    browser on the form's URL; reloading it, or the language link, asks for it with a GET."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        for tried in (candidate, candidate + "/"):
            try:
                adapter.match(tried, method="GET")
            except RequestRedirect as moved:
                return urlsplit(moved.new_url).path
            except HTTPException:
                continue
            return tried
    return None


def file_size(size: int) -> str:
    """A file's size as people read it: "38 KB", "2,4 MB" (in the user's locale)."""
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024)} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


def period_name(period) -> str:
    """A reporting period (``reports.periods.Period``) in words: "Quý 2/2024 (15/03/2024 – 14/06/2024)",
    "6 tháng đầu năm 2024 (…)", "Năm 2024 (…)", or its days."""
    span = f"{period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}"
    if period.named is None:
        return span
    year, kind, number = period.named
    if kind == "Q":
        return gettext("Quý %(q)s/%(y)s (%(span)s)", q=number, y=year, span=span)
    if kind == "H" and number == 1:
        return gettext("6 tháng đầu năm %(y)s (%(span)s)", y=year, span=span)
    if kind == "H":
        return gettext("6 tháng cuối năm %(y)s (%(span)s)", y=year, span=span)
    return gettext("Năm %(y)s (%(span)s)", y=year, span=span)


def _vietnamese() -> bool:
    from flask_babel import get_locale
    return str(get_locale()) == "vi"


def due_basis(basis: str | None, translated: bool = True) -> str:
    """A due date's basis on a page, in its language; in a mail (``due_basis(false)``) in Vietnamese."""
    from .services.calendar import basis_text
    if not translated:
        return basis_text(basis)
    return basis_text(basis, gettext, padded=_vietnamese())


def past_due(case) -> bool:
    """Its due date gone by: late, even on the Saturday after a Friday due date, which no working day
    separates from it (``working_days_left`` 0 there)."""
    return case.due_date is not None and case.due_date < CLOCK.today()


def rule_days(name: str) -> str:
    """One of the deadline rules' counts of days (``Rules``, as PAKN_DEADLINES sets it), as a page writes it:
    "05" in Vietnamese, "5" in English."""
    from .services.calendar import rules
    return rules().numbers(padded=_vietnamese())[name]


def bad_request(message: str):
    """The error page, 400, saying why (``message``, a msgid): a mistyped link must not pass for the page
    (200) or its file (the report's, the register's ``format``)."""
    return render_template("error.html", code=400, title=gettext("Yêu cầu không hợp lệ"),
                           message=gettext(message)), 400


def error_page(code: int, title: str, message: str, api_message: str | None = None):
    """The handler of an HTTP error: JSON for the API (``api_message`` where the page's words are for a
    person at a browser), GeoReport's list for Open311, a page otherwise."""
    def handler(error):
        if getattr(error, "response", None) is not None:  # a page made for it (the form's rate limit)
            return error.response
        if request.path.startswith("/api/"):
            return {"error": gettext(title), "message": gettext(api_message or message)}, code
        if request.path.startswith("/open311/"):  # GeoReport v2's error format
            return [{"code": code, "description": gettext(message)}], code
        if code == 405 and request.method in ("GET", "HEAD") and (page := form_page_of(request.path)):
            query = request.query_string.decode()
            return redirect(page + (f"?{query}" if query else ""), code=303)
        return render_template("error.html", code=code, title=gettext(title), message=gettext(message)), code
    return handler


# Pages citizens meet say no "bạn" (the portal says "Ông/Bà"); a 500 rolled the request back.
ERROR_PAGES = (
    (400, N_("Yêu cầu không hợp lệ"), N_("Yêu cầu không hợp lệ. Vui lòng kiểm tra và thử lại.")),
    (403, N_("Không có quyền"), N_("Bạn không có quyền thực hiện thao tác này.")),
    (404, N_("Không tìm thấy"), N_("Không tìm thấy trang hoặc phản ánh, kiến nghị cần tìm.")),
    (405, N_("Không được phép"), N_("Phương thức này không được hỗ trợ.")),
    (413, N_("Tệp quá lớn"), N_("Dung lượng gửi lên vượt quá giới hạn cho phép. Dùng nút Quay lại (Back) của "
                                "trình duyệt để trở về biểu mẫu: nội dung đã nhập vẫn còn; chọn tệp nhỏ hơn rồi gửi lại.")),
    (429, N_("Quá nhiều yêu cầu"), N_("Đã có quá nhiều yêu cầu từ địa chỉ này. Vui lòng thử lại sau.")),
    (500, N_("Lỗi hệ thống"), N_("Đã có lỗi xảy ra nên yêu cầu chưa được thực hiện. Vui lòng thử lại sau.")),
)
# The API's words where the page's speak to a person at a browser (its Back button): a program sends again.
API_MESSAGES = {413: N_("Nội dung gửi lên vượt quá dung lượng cho phép (MAX_CONTENT_LENGTH) nên yêu cầu không được "
                        "thực hiện; không có gì được lưu. Hãy gửi lại với nội dung nhỏ hơn.")}

# A form's CSRF token missing, expired or from another session (a page left open across a sign-out, a
# phone's browser restoring a tab without its session): Flask-WTF's reason is English and says nothing
# of what to do. The portal's own forms come back with what was typed instead (public.routes).
expired_form = error_page(400, N_("Trang đã hết hạn"), N_(
    "Trang đã gửi đã hết hạn hoặc thiếu mã bảo mật (ví dụ trang mở đã lâu, hoặc từ trước khi đăng nhập lại). "
    "Vui lòng tải lại trang rồi gửi lại."))


def init_app(app: Flask) -> None:
    """What every page shares: the templates' helpers, the signed-in user, the error pages."""
    _template_helpers(app)
    _sessions(app)
    _form_errors(app)
    _database_errors(app)


def _template_helpers(app: Flask) -> None:
    from .services.accounts import step_holder
    from .services.submissions import attachments_rule
    app.jinja_env.globals.update(period_name=period_name, home_for=home_for, switch_language=switch_language,
                                 page_url=page_url, step_holder=step_holder, rule_days=rule_days,
                                 attachments_rule=attachments_rule)
    app.jinja_env.filters.update(state_label=state_label, step_label=step_label, event_label=event_label,
                                 channel_label=channel_label, role_label=role_label, actor_label=actor_label,
                                 dt=local_dt, d=local_d, file_size=file_size,
                                 you=addressing.you, addressee=addressing.addressee,
                                 due_basis=due_basis, past_due=past_due)

    @app.context_processor
    def shared():
        from flask_babel import get_locale
        return {"now": CLOCK.now(), "today": CLOCK.today(), "locale": str(get_locale()),
                "agency": {k[7:].lower(): v for k, v in app.config.items() if k.startswith("AGENCY_")}}


def _sessions(app: Flask) -> None:
    @app.before_request
    def fresh_locale():
        # Flask-Babel caches the locale on ``g``, which lives as long as the app context; where one
        # app context serves several requests (tests, a CLI shell) each request must choose again.
        refresh()

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<user id>:<session version>" (User.get_id): a cookie from before a sign-out or a new
        # password carries an older version and signs nobody in
        from .models import User
        user_id, _, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user


def _form_errors(app: Flask) -> None:
    for code, title, message in ERROR_PAGES:
        app.register_error_handler(code, error_page(code, title, message, API_MESSAGES.get(code)))

    def expired_or_signed_out(error):
        # a staff form whose session ended with its cookie (the browser closed, the session expired): the
        # sign-in page with what was typed (auth.signed_out_with), as for one signed out meanwhile
        from flask_login import current_user

        from .auth import from_this_site, signed_out_with, typed_text
        lost = error.description in ("The CSRF session token is missing.", "The CSRF token has expired.")
        if lost and request.method == "POST" and request.path.startswith(STAFF_AREAS) and from_this_site() \
                and request.endpoint != "office.login" and not current_user.is_authenticated and (kept := typed_text()):
            return signed_out_with(kept)
        return expired_form(error)  # another origin's form, a token tampered with: refused as ever

    app.register_error_handler(CSRFError, expired_or_signed_out)


def _database_errors(app: Flask) -> None:
    # The database unreachable (restarted, failing over, network cut): a clear 503, never a
    # traceback. The failed transaction is rolled back, so nothing half-written stays behind, and
    # SQLAlchemy drops the pool's connections older than the failure (idle ones are pinged before
    # use, feedback_app/pool.py), so the next request succeeds once the server is back.
    # Constraint violations and other bugs stay 500s.
    unavailable = error_page(503, N_("Hệ thống tạm gián đoạn"), UNAVAILABLE)
    unavailable_to_staff = error_page(503, N_("Hệ thống tạm gián đoạn"), UNAVAILABLE_STAFF)

    def database_unavailable(error):
        app.logger.warning("database unavailable: %s", str(error).splitlines()[0][:200])
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the connection is gone; the pool replaces it
            pass
        staff = request.path.startswith(STAFF_AREAS)
        try:
            response = app.make_response((unavailable_to_staff if staff else unavailable)(error))
        except SQLAlchemyError:  # the page itself needed the database (e.g. loading the signed-in user)
            message = gettext(UNAVAILABLE_STAFF if staff else UNAVAILABLE)
            response = app.make_response((message, 503, {"Content-Type": "text/plain; charset=utf-8"}))
        response.headers["Retry-After"] = "30"
        return response

    for exc in (OperationalError, InterfaceError, DisconnectionError):
        app.register_error_handler(exc, database_unavailable)

    @app.teardown_appcontext
    def close_session_even_without_a_database(_exc) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier, run later). Closing the
        # session rolls back on its connection; if the server went away after the answer was made
        # (found by tests/test_faults.py: a restart while a 201 was on its way), that rollback
        # raised out of the teardown and the client got a bare 500 instead of its answer.
        if not db.session.registry.has():
            return
        session = db.session.registry()
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            app.logger.warning("database gone while closing the session: %s", str(error).splitlines()[0][:200])
            try:
                session.invalidate()  # the connection is discarded, never returned to the pool
            except SQLAlchemyError:
                pass
            db.session.registry.clear()

    # A value the database refuses (out of range, bad encoding) that a form let through: bad input,
    # so a 400 with the usual message, and the transaction undone.
    bad_request = error_page(400, N_("Yêu cầu không hợp lệ"), N_("Yêu cầu không hợp lệ. Vui lòng kiểm tra và thử lại."))

    def database_refused_value(error):
        app.logger.warning("value refused by the database: %s", str(error).splitlines()[0][:200])
        db.session.rollback()
        return bad_request(error)

    app.register_error_handler(DataError, database_refused_value)
