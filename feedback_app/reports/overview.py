"""What the leader's and HCTH's dashboard shows, each figure one aggregate query, and the geometry of
its charts (drawn as SVG by ``templates/office/_charts.html``: no JavaScript, no CDN)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from workflows.clock import CLOCK, local_date
from workflows.lifecycle import AT_UNIT_STATES, OPEN_STATES, State

from ..extensions import db
from ..models import REVISING, ApologyLetter, Feedback, Rating, Unit
from ..services.accounts import office_name, step_holder
from ..services.calendar import load_calendar
from .periods import Period, quarter, quarter_of, year_of
from .queries import DEPARTMENT_STEPS, answers_by_period

PALETTE = ("#0b5cad", "#1e7b34", "#9a6700", "#a50e0e", "#6b3fa0", "#00727a")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    axis: list[tuple[float, str]]  # (position, label) of the value axis
    legend: list[tuple[str, str]]  # (colour, label)
    groups: list[tuple[float, str]]  # (x centre, label) under grouped columns


def horizontal_bars(title: str, items: list[tuple[str, int]], colour: str = PALETTE[0],
                    width: int = 460, label_width: int = 225, row: int = 26) -> Chart:
    top = max([v for _, v in items] + [1])
    scale = (width - label_width - 40) / top
    bars = [Bar(label, value, label_width, 8 + i * row, max(value * scale, 1 if value else 0), row - 8, colour,
                str(value)) for i, (label, value) in enumerate(items)]
    return Chart(title, width, 16 + len(items) * row, bars, [], [], [])


def grouped_columns(title: str, groups: list[tuple[str, list[float | None]]], series: list[str],
                    width: int = 760, height: int = 260) -> Chart:
    """Columns of percentages (0–100), one group per unit, one column per series (quarter)."""
    left, bottom, top_pad = 40, 40, 12
    plot_h = height - bottom - top_pad
    group_w = (width - left - 10) / max(len(groups), 1)
    col_w = min(22.0, (group_w - 14) / max(len(series), 1))
    bars, centres = [], []
    for g, (label, values) in enumerate(groups):
        x0 = left + g * group_w + (group_w - col_w * len(series)) / 2
        centres.append((left + g * group_w + group_w / 2, label))
        for s, value in enumerate(values):
            h = (value or 0) / 100 * plot_h
            bars.append(Bar(f"{label} · {series[s]}", value if value is not None else -1, x0 + s * col_w,
                            top_pad + plot_h - h, col_w - 2, h, PALETTE[s % len(PALETTE)],
                            "–" if value is None else f"{value:.0f}%"))
    axis = [(top_pad + plot_h - p / 100 * plot_h, f"{p}%") for p in (0, 25, 50, 75, 100)]
    return Chart(title, width, height, bars, axis, [(PALETTE[i % len(PALETTE)], s) for i, s in enumerate(series)],
                 centres)


@dataclass
class OverdueCase:
    code: str
    title: str
    state: str
    unit: str | None
    due_date: date
    days_late: int  # working days after the due date, as deadlines are counted (NĐ 20/2008 Art 9.1d)


def last_quarters(today: date, n: int = 4) -> list[Period]:
    current = quarter_of(today)
    y, q = int(current.label[:4]), int(current.label[-1])
    periods = []
    for _ in range(n):
        periods.append(quarter(y, q))
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return list(reversed(periods))


def on_time_rate(answered: int, late: int) -> float | None:
    """Share of answers sent early or on time, None without answers: the answered half of TT 01/2018's
    indicator 8, which also wants no case dragging on; those, still open past their date, are the
    dashboard's overdue list and the report's "Quá hạn" column, not part of this rate."""
    if not answered:
        return None
    return 100 * (answered - late) / answered


def overdue_cases(today: date, page: int, per_page: int) -> tuple[list[OverdueCase], int]:
    """Open cases past the due date of a step the department owes, most late first."""
    where = (Feedback.state.in_([s.value for s in OPEN_STATES]), Feedback.due_step.in_(DEPARTMENT_STEPS),
             Feedback.due_date < today)
    total = db.session.execute(select(func.count()).select_from(Feedback).where(*where)).scalar_one()
    rows = db.session.execute(
        select(Feedback.code, Feedback.title, Feedback.state, Unit.name, Feedback.due_date, Feedback.due_step)
        .outerjoin(Unit, Unit.id == Feedback.unit_id).where(*where)
        .order_by(Feedback.due_date, Feedback.id).limit(per_page).offset((page - 1) * per_page)).all()
    calendar = load_calendar()
    # the due date counts working days (NĐ 20/2008 Art 9.1d), so lateness does too: a step due on the
    # Friday before the 30/4–1/5 holidays is one working day late on the Thursday after, not six
    office = office_name()
    return [OverdueCase(code, title, state, step_holder(step, unit, office), due, calendar.count_working_days(due, today))
            for code, title, state, unit, due, step in rows], total


def dashboard(page: int = 1, per_page: int = 20, now: datetime | None = None) -> dict:
    today = local_date(now) if now else CLOCK.today()
    units = db.session.execute(select(Unit).order_by(Unit.is_office.desc(), Unit.id)).scalars().all()
    office = next((u for u in units if u.is_office), None)
    # grouped by the indexed columns themselves, so that the index ix_feedback_state_unit answers alone
    # (a million cases: 0.07 s instead of 0.35 s on SQLite, 57 ms instead of 264 ms on PostgreSQL);
    # a case at no unit yet counts for the office, as in the reports
    counts = db.session.execute(select(Feedback.state, Feedback.unit_id, func.count())
                                .group_by(Feedback.state, Feedback.unit_id)).all()
    by_state = {s.value: 0 for s in State}
    matrix = {u.id: {s.value: 0 for s in State} for u in units}
    for state, uid, n in counts:
        uid = uid if uid is not None or office is None else office.id
        by_state[state] += n
        matrix.setdefault(uid, {s.value: 0 for s in State})[state] += n
    # a stopped unit is shown while it has cases (as in the reports); its answers are among them
    units = [u for u in units if u.active or any(matrix[u.id].values())]

    # an answer HCTH returned before publication (QĐ 31/2021 Art 46): the citizen holds an answer, so the
    # case is not "being handled" on the card (the report counts it answered); read through the partial
    # index of those cases (ix_feedback_revising), not among every case at a unit
    revising = db.session.execute(select(func.count()).select_from(Feedback).where(
        Feedback.state.in_([s.value for s in (*AT_UNIT_STATES, State.UNDER_REVIEW)]), REVISING)).scalar_one()

    quarters = last_quarters(today)
    answers = answers_by_period(quarters, office.id if office else None)
    rates = {u.code: [on_time_rate(*answers.get((q, u.id), (0, 0))) for q in range(len(quarters))] for u in units}
    rates["TONG"] = [on_time_rate(*(sum(answers.get((q, u.id), (0, 0))[k] for u in units) for k in (0, 1)))
                     for q in range(len(quarters))]

    # the reporting year (15/12-14/12, the plan's), as the satisfaction chart and the report: not the
    # calendar year their numbers restart in (ApologyLetter.year); the card says which year it counts
    year = year_of(today)
    letters_year = db.session.execute(select(func.count()).select_from(ApologyLetter).where(
        ApologyLetter.issued_on >= year.start, ApologyLetter.issued_on <= year.end)).scalar_one()
    recent_letters = db.session.execute(
        select(ApologyLetter, Feedback.code).join(Feedback).order_by(ApologyLetter.id.desc()).limit(5)).all()
    ratings = dict(db.session.execute(select(Rating.score, func.count()).where(
        Rating.created_at >= year.start_utc(), Rating.created_at < year.end_utc_exclusive())
        .group_by(Rating.score)).all())
    overdue, overdue_total = overdue_cases(today, page, per_page)
    in_hand = sum(by_state[s.value] for s in OPEN_STATES) - revising
    return {"today": today, "units": units, "by_state": by_state, "matrix": matrix, "quarters": quarters,
            "in_hand": in_hand, "revising": revising,
            "rates": rates, "year": year, "letters_year": letters_year, "recent_letters": recent_letters,
            "ratings": {score: ratings.get(score, 0) for score in (3, 2, 1)}, "overdue": overdue,
            "overdue_total": overdue_total, "page": page, "per_page": per_page}
