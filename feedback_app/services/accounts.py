"""Staff accounts: sign-in with a lockout after repeated failures (per e-mail and client address),
users, units and API tokens.

Passwords are stored hashed (werkzeug, ``User.set_password``); API tokens only as their SHA-256
(``auth.token_hash``), so that a leaked database does not leak a usable token.
"""
from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import check_password_hash, generate_password_hash

from workflows.clock import CLOCK
from workflows.deadlines import OFFICE_STEPS
from workflows.lifecycle import N_, OPEN_STATES, ROLE_LABELS, Role, State

from ..auth import token_hash
from ..extensions import db
from ..models import ApiToken, Feedback, SignInFailure, Unit, User
from ..security import client_key
from ..text import fold
from . import admin_log, assignment, outbox


class AccountError(ValueError):
    """Bad input for an account or a unit; ``message`` is Vietnamese UI text, ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.message, self.field, self.params = message, field, params  # params: %(name)s in the message

    def __str__(self) -> str:  # the untranslated text, its %(name)s filled in: for the CLI and the logs
        return self.message % self.params if self.params else self.message


BAD_LOGIN = N_("Thư điện tử hoặc mật khẩu không đúng.")
LOCKED = N_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None
    minutes: int = 0


def authenticate(email: str, password: str, address: str) -> SignIn:
    """Check a password. LOGIN_MAX_FAILURES wrong ones for the same e-mail from the same client
    ``address`` within LOGIN_LOCKOUT_MINUTES lock that pair for LOGIN_LOCKOUT_MINUTES (the right
    password is refused too). Why per address: a lock on the account let anyone keep HCTH out with five
    requests every quarter of an hour; the per-address limit on the sign-in route (LOGIN_RATE_LIMIT)
    bounds guessing across accounts. An e-mail that is no account gets the same answers, the same lock
    and about the same time (a password is hashed either way), so none of them tells which e-mails are
    accounts. Commits."""
    cfg = current_app.config
    now = CLOCK.now()
    window = timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
    typed = (email or "").strip().lower()[:254]
    address = client_key(address)
    # failures older than the window count no more, nor locks that have run out
    db.session.execute(delete(SignInFailure).where(
        SignInFailure.first_at < now - window,
        or_(SignInFailure.locked_until.is_(None), SignInFailure.locked_until <= now)))
    failure = db.session.execute(select(SignInFailure).where(SignInFailure.email == typed,
                                                             SignInFailure.address == address)).scalar()
    if failure is not None and failure.locked_until is not None and failure.locked_until > now:
        db.session.commit()
        return SignIn(None, LOCKED, max(1, int((failure.locked_until - now).total_seconds() // 60) + 1))
    user = find_user(typed)
    if user is not None and user.active and user.check_password(password):
        if failure is not None:
            db.session.delete(failure)
        db.session.commit()
        return SignIn(user)
    if user is None or not user.active:
        _hash_for_nothing(password)
    locked = _count_failure(typed, address, now) >= cfg["LOGIN_MAX_FAILURES"]
    if locked:
        db.session.execute(update(SignInFailure).where(
            SignInFailure.email == typed, SignInFailure.address == address,
            SignInFailure.locked_until.is_(None)).values(locked_until=now + window))
    if user is not None and user.active:
        _alert_if_guessed(user, typed, now)
    db.session.commit()
    # an account's address as typed; anything else only as such: people type their password in that field
    who = repr(typed) if user is not None else "an address of no account"
    current_app.logger.warning("failed sign-in for %s from %s%s", who, address, " (locked)" if locked else "")
    return SignIn(None, LOCKED, cfg["LOGIN_LOCKOUT_MINUTES"]) if locked else SignIn(None, BAD_LOGIN)


def _alert_if_guessed(user: User, typed: str, now) -> None:
    """Many wrong passwords for one account from many addresses (a botnet gets LOGIN_MAX_FAILURES tries
    from each): no lock, which would let anyone keep the owner out, but the owner and the active admins
    are told, at most once an hour, when the failures within LOGIN_LOCKOUT_MINUTES reach
    LOGIN_ALERT_FAILURES."""
    cfg = current_app.config
    total, addresses = db.session.execute(
        select(func.coalesce(func.sum(SignInFailure.failures), 0), func.count())
        .where(SignInFailure.email == typed)).one()
    if total < cfg["LOGIN_ALERT_FAILURES"]:
        return
    admins = db.session.execute(select(User.email).where(User.role == Role.ADMIN.value, User.active)).scalars()
    recipients = list(dict.fromkeys([user.email, *admins]))
    outbox.enqueue(f"sign-in-alert:{typed}:{now:%Y%m%d%H}", "sign_in_alert", recipients,
                   f"Cảnh báo: nhiều lần nhập sai mật khẩu tài khoản {user.email}", "sign_in_alert",
                   user=user, total=total, addresses=addresses, now=now, minutes=cfg["LOGIN_LOCKOUT_MINUTES"],
                   per_address=cfg["LOGIN_MAX_FAILURES"])


def _count_failure(typed: str, address: str, now) -> int:
    """One more wrong password for the pair, counted in one statement (INSERT … ON CONFLICT DO UPDATE,
    on PostgreSQL and SQLite alike): requests at the same instant each add theirs, where reading the
    count and writing it back lost all but one. Returns the count."""
    table = SignInFailure.__table__
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(table).values(email=typed, address=address, failures=1, first_at=now)
                 .on_conflict_do_update(index_elements=[table.c.email, table.c.address],
                                        set_={"failures": table.c.failures + 1})
                 .returning(table.c.failures))
    return db.session.execute(statement).scalar_one()


@cache
def _unused_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _hash_for_nothing(password: str) -> None:
    """Spend on an unknown e-mail the time a real password check takes."""
    check_password_hash(_unused_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)


def clear_sign_in_failures(email: str) -> None:
    """After an admin sets a new password: the old failures for this e-mail no longer lock anyone."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == email.strip().lower()))


def users_list(words: str = "", role: str = "") -> Select:
    """The admin's list of accounts, the active first, then by role and e-mail. ``words``: each one in the
    person's name or e-mail, typed with or without Vietnamese marks ("nguyen" finds "Nguyễn"); ``role``:
    that role's accounts only. A department has tens of accounts, so the words are matched on the folded
    names here (text.fold), which no database index does."""
    query = select(User).order_by(User.active.desc(), User.role, User.email)
    if role:
        query = query.where(User.role == role)
    wanted = fold(words).split()
    if wanted:
        people = db.session.execute(select(User.id, User.full_name, User.email)).all()
        query = query.where(User.id.in_([p.id for p in people
                                         if all(w in fold(f"{p.full_name} {p.email}") for w in wanted)]))
    return query


def find_user(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == (email or "").strip().lower())).scalar()


def office_unit() -> Unit | None:
    """The office (Văn phòng, HCTH): the one unit that receives every case and holds those at no unit
    (NĐ 20/2008 Art 9.1)."""
    return db.session.execute(select(Unit).where(Unit.is_office).order_by(Unit.id).limit(1)).scalar()


def step_holder(step: str | None, unit_name: str | None, office_name: str | None) -> str | None:
    """The name of the unit that owes a case its current ``step``: the office (``office_name``, read once
    for a whole list) for classification and publication (``OFFICE_STEPS``), the unit in charge otherwise."""
    return (office_name or unit_name) if step in OFFICE_STEPS else unit_name


def office_addresses() -> list[str]:
    """HCTH's mailbox and its active users' addresses (the report reminder, a case a unit returned)."""
    office = db.session.execute(select(Unit.email).where(Unit.is_office, Unit.active)).scalars().all()
    staff = db.session.execute(select(User.email).where(User.role == Role.OFFICE.value, User.active)
                               .order_by(User.id)).scalars().all()
    return [e for e in dict.fromkeys([*office, *staff]) if e]


def office_name() -> str | None:
    office = office_unit()
    return office.name if office else None


NO_OFFICE = N_("Chưa có đơn vị Văn phòng (Phòng Hành chính - Tổng hợp); hãy tạo đơn vị Văn phòng trước.")


def _unit_of_role(role: str, unit: Unit | None) -> Unit | None:
    """The unit an account of ``role`` belongs to: an office account always to the office, chosen or
    not (without it the office's pages, mails and register do not know it as HCTH's)."""
    if role == Role.OFFICE.value:
        unit = unit or office_unit()
        if unit is None:
            raise AccountError(NO_OFFICE, "unit")
        return unit
    return unit if role == Role.UNIT.value else None


def find_unit(code: str | None) -> Unit | None:
    if not code:
        return None
    return db.session.execute(select(Unit).where(Unit.code == code.strip().upper())).scalar()


def _check_user(email: str, role: str, unit: Unit | None, user: User | None = None, active: bool = True) -> None:
    if role not in {r.value for r in (Role.OFFICE, Role.UNIT, Role.LEADER, Role.ADMIN)}:
        raise AccountError(N_("Vai trò không hợp lệ."), "role")
    if role == Role.UNIT.value and (unit is None or unit.is_office):
        raise AccountError(N_("Người dùng của đơn vị phải thuộc một đơn vị xử lý."), "unit")
    if unit is not None and not unit.active and active and (user is None or not user.active or unit is not user.unit):
        raise AccountError(N_("Đơn vị %(unit)s đã ngừng hoạt động; hãy chọn đơn vị khác."), "unit", unit=unit.code)
    if role == Role.OFFICE.value and unit is not None and not unit.is_office:
        raise AccountError(N_("Người dùng của Văn phòng thuộc Văn phòng (HCTH), không thuộc đơn vị xử lý; "
                              "để trống hoặc chọn Văn phòng."), "unit")
    if role in (Role.LEADER.value, Role.ADMIN.value) and unit is not None:
        # refused, not dropped: the admin chose a unit the account would never have
        raise AccountError(N_("Lãnh đạo và quản trị không thuộc đơn vị nào; để trống ô Đơn vị."), "unit")
    if not valid_email(email):
        raise AccountError(N_("Địa chỉ thư điện tử không hợp lệ."), "email")
    other = find_user(email)
    if other is not None and other is not user:
        raise AccountError(N_("Địa chỉ thư điện tử này đã được dùng cho tài khoản khác."), "email")


def name_key(name: str) -> str:
    """A name as two names are compared: case and runs of spaces do not make them different."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()  # Unikey may type NFD


def checked_name(model, name: str, row=None) -> str:
    """A unit's or a field's name as stored (runs of spaces as one), refused when blank, longer than its
    column or another row's already (``name_taken``): the pages' forms and the setup commands alike."""
    name = _one_line(name, model.__table__.c.name, "name", N_("Vui lòng nhập tên."))
    if name_taken(model, name, row):  # two identical options in HCTH's lists otherwise
        raise AccountError(N_("Tên đơn vị này đã tồn tại.") if model is Unit else N_("Tên lĩnh vực này đã tồn tại."),
                           "name")
    return name


def valid_email(address: str) -> bool:
    """A staff or unit mailbox as the admin forms take it (``admin.forms.STAFF_EMAIL``: no internationalised
    address, which not every mail server relays), also for the commands."""
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return False
    return True


def name_taken(model, name: str, row=None) -> bool:
    """Whether another ``model`` row (Unit, Category) has ``name``. Compared in Python: the tables
    hold a few dozen rows, and SQLite's lower() folds only ASCII (not Đ, Ư, Ộ...)."""
    key = name_key(name)
    return any(name_key(other.name) == key and other is not row
               for other in db.session.execute(select(model)).scalars())


# What a guesser tries first (NIST SP 800-63B 5.1.1.2: refuse passwords known to be common), lower case:
# the usual ones, and those a Vietnamese office would pick (mật khẩu, the department's initials).
COMMON_PASSWORDS = frozenset("""
password password1 password123 passw0rd p@ssw0rd p@ssword 12345678 123456789 1234567890 0123456789
11111111 00000000 88888888 66666666 12341234 11223344 87654321 12344321 1q2w3e4r 1qaz2wsx zaq12wsx
qwertyui qwerty123 qwertyuiop asdfghjk abc12345 abcd1234 a1234567 a12345678 12345678a 123456a@ 123456aa
iloveyou admin123 admin@123 administrator welcome1 letmein1 changeme matkhau matkhau1 matkhau123 matkhau@123
matkhaumoi vietnam1 vietnam123 hanoi123 saigon123 skhcn123 skhcn@123 sokhcn123 quangngai pakn1234 pakn@123
""".split())
TOO_EASY = N_("Mật khẩu này quá dễ đoán (mật khẩu phổ biến, trùng thư điện tử, hoặc chỉ lặp vài ký tự); "
              "hãy chọn mật khẩu khác.")


def _check_password(password: str, email: str) -> None:
    if len(password) < 8:
        raise AccountError(N_("Mật khẩu phải có ít nhất 8 ký tự."), "password")
    if len(password) > 128:  # as the admin's form: hashing a megabyte is work an attacker chooses
        raise AccountError(N_("Mật khẩu phải có từ 8 đến 128 ký tự."), "password")
    folded = password.lower()
    if folded in COMMON_PASSWORDS or folded in (email, email.partition("@")[0]) or len(set(folded)) < 4:
        raise AccountError(TOO_EASY, "password")


def create_user(email: str, role: str, *, full_name: str | None = None, unit_code: str | None = None,
                password: str | None = None, title: str | None = None, active: bool = True,
                actor=None) -> tuple[User, str]:
    """Create a staff account; returns it and its password (a generated one if none was given). Commits.
    ``actor``: the admin on the page, None for a command (admin_log)."""
    email = email.strip().lower()
    unit = find_unit(unit_code)
    if unit_code and unit is None:
        raise AccountError(N_("Không có đơn vị này."), "unit")
    _check_user(email, role, unit, None, active)
    unit = _unit_of_role(role, unit)
    password = password or generated_password()
    _check_password(password, email)
    user = User(email=email, full_name=_checked_full_name(full_name or email.split("@")[0]), role=role, unit=unit,
                title=title or None, active=active)
    user.set_password(password)
    db.session.add(user)
    admin_log.record("user_created", email, actor, admin_log.changes(
        ("vai trò", None, _role_name(role)), ("đơn vị", None, unit.code if unit else None),
        *([("đang hoạt động", None, False)] if not active else [])))
    db.session.commit()
    return user, password


WRONG_PASSWORD = N_("Mật khẩu hiện tại không đúng.")
SAME_PASSWORD = N_("Mật khẩu mới phải khác mật khẩu hiện tại.")


def change_own_password(user: User, current: str, new: str) -> None:
    """A member of staff sets their own password: one the admin set for them (the user form, ``users
    password``) is known to the admin until then, and a person who fears theirs leaked changes it at once.
    The current one is asked first (an open session is not enough); every other browser is signed out, as
    after the admin's change; the holder is mailed, so that a change they did not make is noticed. API
    tokens stay: they are the integrations' credentials, issued and revoked by the admin. Commits."""
    if len(current) > 128 or not user.check_password(current):
        raise AccountError(WRONG_PASSWORD, "current_password")
    if new == current:
        raise AccountError(SAME_PASSWORD, "new_password")
    try:
        _check_password(new, user.email)
    except AccountError as exc:
        raise AccountError(exc.message, "new_password") from None
    user.set_password(new)
    clear_sign_in_failures(user.email)
    user.end_sessions()
    admin_log.record("password_changed", user.email, user)
    now = CLOCK.now()
    outbox.enqueue(f"password-changed:{user.id}:{user.session_version}", "password_changed", user.email,
                   f"Mật khẩu tài khoản {user.email} đã được đổi", "password_changed", user=user, at=now)
    db.session.commit()


def generated_password() -> str:
    """A password printed once by a command (``users create``, ``users password``)."""
    return secrets.token_urlsafe(12)


def update_user(user: User, *, email: str, full_name: str, role: str, unit_code: str | None, title: str | None,
                active: bool, password: str | None = None, actor=None) -> int:
    """Edit an account (an empty password keeps the old one); deactivating also revokes its tokens. Commits.
    Returns how many open cases the account handled went back to its unit's unassigned ones."""
    email, full_name = email.strip().lower(), _checked_full_name(full_name)
    unit = find_unit(unit_code)
    _check_user(email, role, unit, user, active)
    unit = _unit_of_role(role, unit)
    stops = user.active and (not active or role != user.role or (role == Role.UNIT.value and unit is not user.unit))
    released = 0
    if stops:
        _check_someone_stays(user, "active" if not active else "role" if role != user.role else "unit")
        if user.role == Role.UNIT.value:  # the cases they handled wait for the unit to pick another officer
            released = assignment.release_officer(user, "tài khoản ngừng hoạt động" if not active
                                                  else "chuyển công tác")
    if password:
        _check_password(password, email)
        user.set_password(password)
        clear_sign_in_failures(user.email)
    # what the account could do stops with it: a new password (the usual answer to a stolen one), a
    # deactivation, another role or unit sign out every browser and revoke every API token, which would
    # otherwise go on with the old credentials, or with the new role's reach; a reactivated account's
    # old cookie does not come back to life either
    revoked = [t for t in user.tokens if t.revoked_at is None]
    if password or not active or role != user.role or unit is not user.unit:
        user.end_sessions()
        for token in revoked:
            token.revoked_at = CLOCK.now()
    else:
        revoked = []
    changed = admin_log.changes(
        ("thư điện tử", user.email, email), ("họ tên", user.full_name, full_name),
        ("chức danh", user.title, title or None), ("vai trò", _role_name(user.role), _role_name(role)),
        ("đơn vị", user.unit.code if user.unit else None, unit.code if unit else None),
        ("đang hoạt động", user.active, active))
    notes = [changed, "đặt mật khẩu mới" if password else None,
             f"{released} hồ sơ đang xử lý trả về danh sách chưa phân công của đơn vị" if released else None,
             "thu hồi mã truy cập API số " + ", ".join(str(t.id) for t in revoked) if revoked else None]
    if any(notes):
        admin_log.record("user_changed", user.email, actor, "; ".join(n for n in notes if n))
    user.email, user.full_name, user.role, user.title = email, full_name, role, (title or None)
    user.unit = unit
    user.active = active
    try:
        db.session.commit()
    except StaleDataError:  # a case the officer handled changed meanwhile (assignment.release_officer)
        db.session.rollback()
        raise AccountError(CASE_CHANGED, "active") from None
    return released


CASE_CHANGED = N_("Một phản ánh, kiến nghị người dùng này đang xử lý vừa được cập nhật; chưa lưu gì. Vui lòng lưu lại.")


def _check_someone_stays(user: User, field: str = "active") -> None:
    """``user`` stops doing what their role (and unit) does now: refused when they are the last active
    account doing work that nobody else could: the admin (nobody could undo it from the app), a leader
    (nobody would approve an answer or decide an escalated case, NĐ 61/2018 Art 19.9), HCTH (nobody would
    receive a PAKN, NĐ 20/2008 Art 9.1), a unit's user while the unit holds open cases. ``field``: the
    form's field whose change stops them (active, role or unit), where the refusal is said."""
    same = [User.role == user.role, User.active]
    if user.role == Role.UNIT.value:
        same.append(User.unit_id == user.unit_id)
    # every such row locked, in one order, own included (PostgreSQL): two admins stopping two of them at
    # once are served one after the other, and the second sees the first's change
    others = [i for i in db.session.execute(select(User.id).where(*same).order_by(User.id).with_for_update())
              .scalars() if i != user.id]
    if others:
        return
    if user.role == Role.ADMIN.value:
        raise AccountError(N_("Đây là tài khoản quản trị duy nhất còn hoạt động; hãy tạo tài khoản quản trị "
                              "khác trước khi ngừng hoặc đổi vai trò tài khoản này."), field)
    if user.role == Role.LEADER.value:
        raise AccountError(N_("Đây là tài khoản Lãnh đạo duy nhất còn hoạt động: không còn ai duyệt câu trả lời "
                              "và quyết định phản ánh, kiến nghị quá hạn. Hãy tạo tài khoản Lãnh đạo khác trước "
                              "khi ngừng hoặc đổi vai trò tài khoản này."), field)
    if user.role == Role.OFFICE.value:
        raise AccountError(N_("Đây là tài khoản Văn phòng duy nhất còn hoạt động: không còn ai tiếp nhận, phân "
                              "loại phản ánh, kiến nghị. Hãy tạo tài khoản Văn phòng khác trước khi ngừng hoặc "
                              "đổi vai trò tài khoản này."), field)
    if open_cases := cases_at(user.unit_id):
        raise AccountError(N_("Đây là người dùng duy nhất còn hoạt động của đơn vị %(unit)s, đơn vị còn %(n)s phản "
                              "ánh, kiến nghị đang xử lý hoặc có thể được trả lại để hoàn thiện câu trả lời. Hãy tạo "
                              "người dùng khác cho đơn vị trước khi ngừng hoặc chuyển tài khoản này."), field,
                           unit=user.unit.code, n=open_cases)


def _one_line(text: str | None, column, field: str, required: str) -> str:
    """A name as stored (runs of spaces as one), refused on ``field`` when blank (``required``) or longer
    than ``column`` holds: the forms' rules, for the commands too."""
    text = " ".join((text or "").split())
    if not text:
        raise AccountError(required, field)
    if len(text) > (longest := column.type.length):
        raise AccountError(N_("Tối đa %(max)d ký tự."), field, max=longest)
    return text


def _checked_full_name(name: str | None) -> str:
    return _one_line(name, User.__table__.c.full_name, "full_name", N_("Vui lòng nhập họ tên."))


def _role_name(role: str | None) -> str | None:
    return ROLE_LABELS.get(role, role) if role else None


def cases_at(unit_id: int | None) -> int:
    """How many cases unit ``unit_id`` must still act on, or may have to again: those open at it, and
    those answered that HCTH may still return for revision before publishing them (``return_answer``)."""
    return db.session.execute(select(func.count()).select_from(Feedback).where(
        Feedback.unit_id == unit_id, or_(Feedback.state.in_([s.value for s in OPEN_STATES]), and_(
            Feedback.state == State.ANSWERED.value, Feedback.consent_publish)))).scalar_one()


def new_token(user: User, issued_by: User | None = None, *, tell_holder: bool = True) -> str:
    """A new API token for ``user``; only its hash is stored, the token itself is shown once. Commits.
    ``issued_by``: the admin who asked for it on the page, None for a command. The token acts as the
    account, so the account's holder is told by mail (``token_issued``) unless they asked for it
    themselves: an admin or whoever runs commands on the server cannot act as someone else through the
    API unseen, and a holder who asked for nothing can have it revoked. ``tell_holder=False``: tests and
    benchmarks that make tokens for their own requests."""
    if not user.active:
        raise AccountError(N_("Tài khoản đã ngừng hoạt động: không cấp mã truy cập API."))
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=token_hash(token), created_at=CLOCK.now())
    db.session.add(row)
    db.session.flush()
    admin_log.record("token_issued", user.email, issued_by, f"mã số {row.id}")
    if tell_holder and (issued_by is None or issued_by.id != user.id):
        outbox.enqueue(f"token-issued:{row.id}", "token_issued", user.email,
                       f"Đã cấp mã truy cập API số {row.id} cho tài khoản {user.email}", "token_issued",
                       user=user, token=row, issued_by=issued_by)
    db.session.commit()
    return token


def revoke_token(user: User, token_id: int, actor=None) -> ApiToken:
    """Revoke one of ``user``'s tokens (at once: the API checks every request). Commits."""
    token = next((t for t in user.tokens if t.id == token_id), None)
    if token is None:
        raise AccountError(N_("Không tìm thấy mã truy cập này."))
    if token.revoked_at is None:
        admin_log.record("token_revoked", user.email, actor, f"mã số {token.id}")
    token.revoked_at = token.revoked_at or CLOCK.now()
    db.session.commit()
    return token


def plain_code(code: str) -> bool:
    """A unit's or a field's code: unaccented letters, digits, underscores (it goes into URLs, API
    arguments and file names; "ĐV1" would not be typed the same way twice)."""
    return bool(code) and code.isascii() and code.replace("_", "").isalnum()


def save_unit(unit: Unit | None, *, code: str, name: str, email: str | None, active: bool = True,
              make_office: bool = False, actor=None) -> Unit:
    """Create (``unit`` None) or edit a unit; ``make_office`` makes it the office (HCTH), which stays
    the office. A unit with open cases cannot be deactivated, nor the office ever. Commits."""
    code = code.strip().upper()
    if not plain_code(code):
        raise AccountError(N_("Mã đơn vị chỉ gồm chữ cái không dấu, chữ số và dấu gạch dưới."), "code")
    other = find_unit(code)
    if other is not None and other is not unit:
        raise AccountError(N_("Mã đơn vị này đã tồn tại."), "code")
    name = checked_name(Unit, name, unit)
    email = (email or "").strip() or None
    if email is not None and not valid_email(email):
        raise AccountError(N_("Địa chỉ thư điện tử không hợp lệ."), "email")
    if make_office and not (unit is not None and unit.is_office):
        _check_can_become_office(unit)
    if (make_office or (unit is not None and unit.is_office)) and not active:
        # HCTH receives every case and holds those at no unit (NĐ 20/2008 Art 9.1): it cannot stop
        raise AccountError(N_("Phòng Hành chính - Tổng hợp tiếp nhận mọi phản ánh, kiến nghị; không thể ngừng hoạt động."),
                           "active")
    if unit is not None and unit.active and not active:
        if open_cases := cases_at(unit.id):
            raise AccountError(N_("Đơn vị còn %(n)s phản ánh, kiến nghị đang xử lý hoặc có thể được trả lại để hoàn "
                                  "thiện câu trả lời; không thể ngừng hoạt động. Hãy chờ các hồ sơ này được trả lời "
                                  "và công khai."), "active", n=open_cases)
        if staff := db.session.execute(select(func.count()).select_from(User).where(
                User.unit_id == unit.id, User.active)).scalar_one():
            # they would sign in to a unit that no longer exists, and no form could save them again
            raise AccountError(N_("Đơn vị còn %(n)s người dùng đang hoạt động; hãy chuyển họ sang đơn vị khác hoặc "
                                  "ngừng hoạt động các tài khoản này trước."), "active", n=staff)
    before = None if unit is None else (unit.code, unit.name, unit.email, unit.active, unit.is_office)
    if unit is None:
        unit = Unit(code=code)
        db.session.add(unit)
    unit.code, unit.name, unit.email, unit.active = code, name, email, active
    unit.is_office = unit.is_office or make_office
    admin_log.record_saved("unit", code, actor, ("mã", "tên", "thư điện tử", "đang hoạt động", "là Văn phòng"), before,
                           (unit.code, unit.name, unit.email, unit.active, unit.is_office))
    try:
        db.session.commit()
    except IntegrityError:  # another admin saved the same code, or the office, meanwhile: say which
        db.session.rollback()
        if find_unit(code) is not None:
            raise AccountError(N_("Mã đơn vị này đã tồn tại."), "code") from None
        _check_can_become_office(None)  # the office another made first: its message
        raise
    return unit


def _check_can_become_office(unit: Unit | None) -> None:
    """One office only: every case at no unit, every office account and HCTH's mails go to the one unit.
    A processing unit with its own accounts or cases stays one: they would be HCTH's at a stroke."""
    office = office_unit()
    if office is not None:
        raise AccountError(N_("Đã có đơn vị Văn phòng (%(code)s); chỉ một đơn vị là Văn phòng."), "is_office",
                           code=office.code)
    if unit is not None and unit.id is not None and (
            db.session.execute(select(User.id).where(User.unit_id == unit.id).limit(1)).first()
            or db.session.execute(select(Feedback.id).where(Feedback.unit_id == unit.id).limit(1)).first()):
        raise AccountError(N_("Đơn vị này đã có người dùng hoặc phản ánh, kiến nghị của đơn vị xử lý; "
                              "không thể đặt làm Văn phòng."), "is_office")
