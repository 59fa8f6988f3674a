"""Whether a department's database holds what a case needs to go from receipt to answer, for
``flask setup check`` after a first install: ``db upgrade`` leaves every table empty.

What a case needs, by the lifecycle's guards (workflows/lifecycle.py): the office unit (HCTH receives
every case and holds those at no unit, NĐ 20/2008 Art 9.1) and an office account to receive, classify
and forward; a field (lĩnh vực) to classify into; an active processing unit with an account of its own
to draft the answer; a leader to approve it; an admin to manage all this from the web. The working-day
calendar needs nothing: the holidays come from the ``holidays`` library, local changes are optional."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from workflows.lifecycle import Role

from ..extensions import db
from ..models import CalendarDay, Category, Unit, User
from . import health
from .accounts import office_unit


SETUP_OFFICE = 'flask --app wsgi setup office --code HCTH --name "Phòng Hành chính - Tổng hợp" --email EMAIL'


@dataclass(frozen=True)
class Item:
    name: str
    ok: bool
    detail: str  # what there is, or how to add what is missing
    required: bool = True  # False: worth knowing, the app works without it


def _accounts(role: Role) -> list[str]:
    return list(db.session.execute(select(User.email).where(User.role == role.value, User.active)
                                   .order_by(User.email)).scalars())


def _listed(values: list[str], most: int = 5) -> str:
    return ", ".join(values[:most]) + (f" (+{len(values) - most})" if len(values) > most else "")


def check() -> list[Item]:
    """What is there and what is missing, in the order of a first install (README: First install)."""
    problem = health.migration_problem()
    if problem is not None:  # the tables below may not exist
        return [Item("database", False, problem)]
    items = [Item("database", True, f"migration {', '.join(health.code_heads())}")]
    admins = _accounts(Role.ADMIN)
    items.append(Item("admin account", bool(admins), _listed(admins) or
                      "flask --app wsgi users create EMAIL --role admin"))
    office = office_unit()
    items.append(Item("office unit (HCTH)", office is not None,
                      f"{office.code} ({office.name})" if office else SETUP_OFFICE))
    clerks = _accounts(Role.OFFICE)
    items.append(Item("office account", bool(clerks), _listed(clerks) or
                      "flask --app wsgi users create EMAIL --role office"))
    leaders = _accounts(Role.LEADER)
    items.append(Item("leader account (approves answers)", bool(leaders), _listed(leaders) or
                      "flask --app wsgi users create EMAIL --role leader"))
    units = db.session.execute(select(Unit.code, func.count(User.id)).outerjoin(User, (User.unit_id == Unit.id) & User.active)
                               .where(Unit.active, ~Unit.is_office).group_by(Unit.code).order_by(Unit.code)).all()
    staffed = [code for code, accounts in units if accounts]
    items.append(Item("processing unit with an account", bool(staffed), _listed(staffed) or
                      "flask --app wsgi setup unit --code CODE --name NAME, then "
                      "flask --app wsgi users create EMAIL --role unit --unit CODE"))
    if unstaffed := [code for code, accounts in units if not accounts]:
        items.append(Item("processing units without an account (cannot answer)", False, _listed(unstaffed),
                          required=False))
    categories = list(db.session.execute(select(Category.code).where(Category.active).order_by(Category.code)).scalars())
    items.append(Item("categories (lĩnh vực) in use to classify into", bool(categories), _listed(categories, 8) or
                      "flask --app wsgi setup category --code CODE --name NAME"))
    overrides = db.session.execute(select(func.count()).select_from(CalendarDay)).scalar_one()
    items.append(Item("working-day calendar", True, f"Vietnamese public holidays built in; {overrides} local "
                      "change(s) (flask --app wsgi calendar set DAY off|work NAME)", required=False))
    return items
