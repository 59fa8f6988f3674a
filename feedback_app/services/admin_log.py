"""The administration's own trail (nhật ký quản trị): who changed an account, an API token, a unit, a
field (lĩnh vực) or the working-day calendar, when, and what changed. These decide who may see and do
what, and which days the deadlines count; the cases' own trail is ``Transition``. Each row is written in
the transaction of the change it records (``record``), so there is no change without its row."""
from __future__ import annotations

from sqlalchemy import Select, select

from workflows.clock import CLOCK
from workflows.lifecycle import N_

from ..extensions import db
from ..models import AdminEvent

ACTIONS = {
    "user_created": N_("Tạo người dùng"), "user_changed": N_("Sửa người dùng"),
    "token_issued": N_("Cấp mã truy cập API"), "token_revoked": N_("Thu hồi mã truy cập API"),
    "password_changed": N_("Tự đổi mật khẩu"),
    "unit_created": N_("Tạo đơn vị"), "unit_changed": N_("Sửa đơn vị"),
    "category_created": N_("Tạo lĩnh vực"), "category_changed": N_("Sửa lĩnh vực"),
    "calendar_set": N_("Điều chỉnh lịch làm việc"), "calendar_removed": N_("Xóa điều chỉnh lịch làm việc"),
}
# The page's filter: what the rows are about.
GROUPS = {
    "users": (N_("Người dùng, mã truy cập API"), ("user_created", "user_changed", "token_issued", "token_revoked",
                                                     "password_changed")),
    "units": (N_("Đơn vị"), ("unit_created", "unit_changed")),
    "categories": (N_("Lĩnh vực"), ("category_created", "category_changed")),
    "calendar": (N_("Lịch làm việc"), ("calendar_set", "calendar_removed")),
}
# who acted when a command made the change (flask users/setup/calendar …): nobody signed in
COMMAND = "dòng lệnh (flask)"


def record(action: str, subject: str, actor=None, details: str | None = None) -> None:
    """One row, in the caller's transaction. ``actor``: the signed-in user; None, or an actor that is no
    user (the services' system actor, which a command passes), for a command."""
    if action not in ACTIONS:
        raise ValueError(f"unknown admin action {action!r}")
    user = actor if getattr(actor, "id", None) is not None else None
    db.session.add(AdminEvent(at=CLOCK.now(), action=action, subject=subject[:300], actor_id=getattr(user, "id", None),
                              actor_label=(getattr(user, "full_name", None) or getattr(user, "email", None)
                                           or COMMAND)[:200], details=details or None))


def record_saved(kind: str, subject: str, actor, fields: tuple[str, ...], before: tuple | None, after: tuple,
                 note: str | None = None) -> None:
    """A unit's or a field's row saved from its form: ``<kind>_created`` when there was none (``before``
    None), else ``<kind>_changed`` with the ``fields`` whose value differs, and ``note``; nothing when
    nothing changed."""
    if what := changes(*zip(fields, before or (None,) * len(fields), after)):
        record(f"{kind}_{'created' if before is None else 'changed'}", subject, actor,
               what + (f"; {note}" if note else ""))


def changes(*pairs: tuple[str, object, object]) -> str | None:
    """``"vai trò: Đơn vị xử lý → Văn phòng (HCTH); …"`` for the (label, before, after) that differ."""
    return "; ".join(f"{label}: {_shown(before)} → {_shown(after)}" for label, before, after in pairs
                     if before != after) or None


def _shown(value) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    return "—" if value in (None, "") else str(value)


def query(group: str | None = None) -> Select:
    """The rows, newest first; of one of ``GROUPS`` when given."""
    rows = select(AdminEvent).order_by(AdminEvent.at.desc(), AdminEvent.id.desc())
    return rows.where(AdminEvent.action.in_(GROUPS[group][1])) if group in GROUPS else rows
