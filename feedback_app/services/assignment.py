"""Who in the unit handles a case (phân công chuyên viên xử lý). The domain brief's lifecycle (§4) has a
specialist officer work a forwarded case, and its register (§5) names the handler: a unit's user picks
the officer, themself or a colleague, and may change or clear it while the unit holds the case.

It is not a state: the lifecycle does not read it. It ends when the case leaves the unit
(``services.cases._return_to_office`` clears it; a case is forwarded only from HCTH) or when the officer
stops the unit's work (``release_officer``, from the accounts; ``release_if_gone`` when an answer the
officer wrote comes back after they left). Each change is an audit row for staff (``assign``) and, for a
colleague, a mail through the outbox."""
from __future__ import annotations

from sqlalchemy import select

from workflows.lifecycle import N_, Role

from ..extensions import db
from ..models import Feedback, User, unit_staff
from .cases import SYSTEM, audit
from .staff import UNIT_HOLDS, StaffInputError, _check_version, _commit

LARGEST_ID = 2 ** 63 - 1  # a database's integer key: a larger one is nobody, and could not be compared
NOT_AT_UNIT = N_("Phản ánh, kiến nghị này không còn ở đơn vị: không phân công được.")
NOT_COLLEAGUE = N_("Chỉ phân công được cho người dùng đang hoạt động của đơn vị.")


def may_assign(case: Feedback, user) -> bool:
    return (user.role == Role.UNIT.value and case.unit_id is not None and case.unit_id == user.unit_id
            and case.state in UNIT_HOLDS)


def colleagues(case: Feedback) -> list[User]:
    """The active users of the unit holding ``case``: whom it may be assigned to, by name."""
    return list(db.session.execute(select(User).where(*unit_staff(case.unit_id))
                                   .order_by(User.full_name, User.id)).scalars())


def assign(case: Feedback, actor, assignee_id: int | None, expected_version: int | None) -> User | None:
    """Make ``assignee_id`` (None: nobody) the officer handling ``case``, as the form read it. Returns the
    officer. The same choice again changes nothing."""
    _check_version(case, expected_version)
    if not may_assign(case, actor):
        raise StaffInputError(NOT_AT_UNIT, "assignee")
    officer = None
    if assignee_id is not None:
        if not 0 < assignee_id <= LARGEST_ID:
            raise StaffInputError(NOT_COLLEAGUE, "assignee")
        # read FOR SHARE (PostgreSQL): an admin deactivating or moving the officer meanwhile locks the row
        # FOR UPDATE first (accounts._check_someone_stays), so one waits for the other and either sees it
        officer = db.session.execute(select(User).where(*unit_staff(case.unit_id), User.id == assignee_id)
                                     .with_for_update(read=True)).scalar()
        if officer is None:
            raise StaffInputError(NOT_COLLEAGUE, "assignee")
    if case.assignee_id == assignee_id:
        return officer
    before, case.assignee = case.assignee, officer
    audit(case, "assign", case.state, case.state, actor, public=False,
          note=f"Phân công: {officer.full_name}" if officer else f"Bỏ phân công ({before.full_name})")
    if officer is not None and officer.id != actor.id:
        from .unit_notices import notify_assignee
        notify_assignee(case, officer, actor)
    _commit()
    return officer


def release_if_gone(case: Feedback) -> None:
    """The case comes back to its unit (HCTH returned the answer, services.cases): an officer who has
    left the unit's work since the answer went no longer handles it; the unit picks another."""
    officer = case.assignee
    if officer is not None and not (officer.active and officer.role == Role.UNIT.value
                                    and officer.unit_id == case.unit_id):
        case.assignee = None
        audit(case, "assign", case.state, case.state, SYSTEM, public=False,
              note=f"Bỏ phân công ({officer.full_name}): không còn làm việc tại đơn vị")


def release_officer(user: User, why: str) -> int:
    """``user`` stops the unit's work (deactivated, moved, another role): the open cases they handled go
    back to the unit's unassigned cases, each with an audit row. Inside the caller's transaction;
    returns how many."""
    held = db.session.execute(select(Feedback).where(Feedback.assignee_id == user.id,
                                                     Feedback.state.in_(UNIT_HOLDS))).scalars().all()
    for case in held:
        case.assignee = None
        audit(case, "assign", case.state, case.state, SYSTEM, public=False,
              note=f"Bỏ phân công ({user.full_name}): {why}")
    return len(held)
