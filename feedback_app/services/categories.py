"""The fields (lĩnh vực) HCTH classifies cases into, and their internal targets: how many working days
the department gives itself for a step of a case in that field, shorter than the law's, never longer
(brief: Decisions for pakn; ``Deadlines.target`` caps a target at the legal due date anyway)."""
from __future__ import annotations

from sqlalchemy import select

from workflows.lifecycle import N_, OPEN_STATES

from ..extensions import db
from ..models import Category, Feedback
from . import admin_log
from .accounts import AccountError, checked_name, plain_code
from .calendar import deadlines, rules, target_date


def legal_days() -> dict[str, int]:
    """The law's working days for the steps a category can shorten (PAKN_DEADLINES may change them)."""
    legal = rules()  # NĐ 20/2008 Art 9.1d (classify) and the national index (answer)
    return {"classify_target_days": legal.classify_days, "answer_target_days": legal.answer_days}


def save_category(category: Category | None, *, code: str, name: str, classify_target_days: int | None,
                  answer_target_days: int | None, active: bool = True, actor=None) -> tuple[Category, int]:
    """Create (``category`` None) or edit a field; the open cases of the field in a step whose target
    changed get their new internal target (reminders follow it). A field switched off (``active``) is
    offered to HCTH no more; its cases keep it, and their targets. Commits; returns the category and how
    many cases got a new target."""
    code = code.strip().upper()
    if not plain_code(code):
        raise AccountError(N_("Mã lĩnh vực chỉ gồm chữ cái không dấu, chữ số và dấu gạch dưới."), "code")
    other = db.session.execute(select(Category).where(Category.code == code)).scalar()
    if other is not None and other is not category:
        raise AccountError(N_("Mã lĩnh vực này đã tồn tại."), "code")
    name = checked_name(Category, name, category)
    limits = legal_days()
    days = {"classify_target_days": classify_target_days, "answer_target_days": answer_target_days}
    for field, value in days.items():
        if value is not None and not 1 <= value <= limits[field]:
            raise AccountError(N_("Số ngày làm việc phải từ 1 đến %(days)s (thời hạn theo quy định)."), field,
                               days=limits[field])
    if not active and (category is None or category.active) and not _another_active(category):
        raise AccountError(N_("Đây là lĩnh vực duy nhất đang sử dụng: Văn phòng sẽ không phân loại được phản ánh, "
                              "kiến nghị nào. Hãy thêm hoặc bật một lĩnh vực khác trước."), "active")
    before = None if category is None else (category.code, category.name, category.classify_target_days,
                                            category.answer_target_days, category.active)
    if category is None:
        category = Category(code=code)
        db.session.add(category)
    category.code, category.name, category.active = code, name, active
    category.classify_target_days, category.answer_target_days = classify_target_days, answer_target_days
    db.session.flush()
    # only a change of the days moves the targets: a name saved again leaves the running cases' targets
    # (and the reminders they were given) alone; a new field has no cases
    changed = _retarget(category) if before and before[2:4] != (classify_target_days, answer_target_days) else 0
    admin_log.record_saved("category", code, actor, ("mã", "tên", "hạn nội bộ phân loại (ngày làm việc)",
                                                     "hạn nội bộ trả lời (ngày làm việc)", "đang sử dụng"),
                           before, (code, name, classify_target_days, answer_target_days, active),
                           f"{changed} hồ sơ đang xử lý được tính lại hạn nội bộ" if changed else None)
    db.session.commit()
    return category, changed


def _another_active(category: Category | None) -> bool:
    """A field in use besides ``category``. Every field in use is locked, in one order, its own included
    (PostgreSQL): two admins switching off the last two at once are served one after the other, and the
    second sees the first's change (as accounts._check_someone_stays)."""
    active = db.session.execute(select(Category.id).where(Category.active).order_by(Category.id).with_for_update())
    return any(ident != getattr(category, "id", None) for ident in active.scalars())


def _retarget(category: Category) -> int:
    plan = deadlines()
    cases = db.session.execute(select(Feedback).where(
        Feedback.category_id == category.id, Feedback.state.in_([s.value for s in OPEN_STATES]),
        Feedback.due_step.in_(("classify", "answer")))).scalars()
    changed = 0
    for case in cases:
        new = target_date(case, plan)
        if new != case.target_date:
            case.target_date = new
            changed += 1
    return changed
