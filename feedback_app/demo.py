"""Demo data: the department's real units (from its 2024 plan), one user per role and cases in
every state, some of them overdue, and the quarter before the present one, closed. Every case is
driven through the real lifecycle with the clock set back in time, so its audit trail, due dates and
mails are exactly what production would make."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from operator import itemgetter
from typing import Callable, Iterable

from workflows.calendar import WorkingCalendar
from workflows.clock import CLOCK, LOCAL_TZ, local_date

from .extensions import db
from .models import Category, Feedback, Unit, User
from .reports.periods import Period, quarter_of
from .services import assignment
from .services.calendar import load_calendar
from .services.cases import CITIZEN, Submission, apply_event, receive
from .services.reports import close_report, report_of
from .services.submissions import rate

UNITS = [  # (code, name, is_office)
    ("HCTH", "Phòng Hành chính - Tổng hợp", True),
    ("QLKH", "Phòng Quản lý Khoa học", False),
    ("QLCN", "Phòng Quản lý Công nghệ và Chuyên ngành", False),
    ("TDC", "Chi cục Tiêu chuẩn Đo lường Chất lượng", False),
    ("TTUD", "Trung tâm Ứng dụng và Dịch vụ KHCN", False),
    ("TTTT", "Trung tâm Thông tin và Ứng dụng KHCN", False),
]

CATEGORIES = [  # (code, name)
    ("TTHC", "Thủ tục hành chính về khoa học và công nghệ"),
    ("NVKH", "Nhiệm vụ khoa học và công nghệ"),
    ("SHTT", "Sở hữu trí tuệ, chuyển giao công nghệ"),
    ("TDC", "Tiêu chuẩn, đo lường, chất lượng"),
    ("ATBX", "An toàn bức xạ và hạt nhân"),
    ("DVKH", "Dịch vụ khoa học, đào tạo, thông tin"),
    ("KHAC", "Vấn đề khác"),
]

USERS = [  # (email, name, role, unit, title)
    ("admin@skhcn.example.gov.vn", "Quản trị hệ thống", "admin", None, "Quản trị viên"),
    ("hcth@skhcn.example.gov.vn", "Nguyễn Thị Hồng", "office", "HCTH", "Chuyên viên Phòng HCTH"),
    ("lanhdao@skhcn.example.gov.vn", "Trần Quốc Bảo", "leader", None, "Phó Giám đốc"),
    ("qlkh@skhcn.example.gov.vn", "Lê Văn Khoa", "unit", "QLKH", "Chuyên viên Phòng QLKH"),
    ("qlcn@skhcn.example.gov.vn", "Phạm Minh Công", "unit", "QLCN", "Chuyên viên Phòng QLCN"),
    ("tdc@skhcn.example.gov.vn", "Đỗ Thị Lan", "unit", "TDC", "Chuyên viên Chi cục TĐC"),
    ("ttud@skhcn.example.gov.vn", "Võ Hữu Dũng", "unit", "TTUD", "Viên chức Trung tâm Ứng dụng"),
    ("tttt@skhcn.example.gov.vn", "Huỳnh Thị Mai", "unit", "TTTT", "Viên chức Trung tâm Thông tin"),
]

CITIZENS = [
    ("Nguyễn Văn An", "Số 12 đường Lê Lợi, phường Nghĩa Chánh, Quảng Ngãi", "0905123456"),
    ("Trần Thị Bình", "Thôn An Hội, xã Tịnh Sơn, Quảng Ngãi", "0912345678"),
    ("Lê Hoàng Cường", "Số 45 đường Phan Đình Phùng, phường Trần Phú, Quảng Ngãi", "0935111222"),
    ("Phạm Thị Dung", "Tổ 3, phường Trương Quang Trọng, Quảng Ngãi", "0978222333"),
    ("Công ty TNHH Cơ khí Sông Trà", "Khu công nghiệp Tịnh Phong, Quảng Ngãi", "02553712345"),
    ("Hoàng Minh Đức", "Số 7 đường Hùng Vương, phường Cẩm Thành, Quảng Ngãi", "0987654321"),
]

TOPICS = [  # (category, unit, title, content, reply)
    ("TTHC", "QLKH", "Thời hạn giải quyết thủ tục đăng ký kết quả nhiệm vụ khoa học và công nghệ",
     "Tôi đề nghị Sở cho biết thời hạn giải quyết thủ tục đăng ký kết quả thực hiện nhiệm vụ khoa học "
     "và công nghệ không sử dụng ngân sách nhà nước, vì hồ sơ nộp đã lâu mà chưa có kết quả.",
     "Theo quy định, thời hạn giải quyết là 10 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ. "
     "Sở đã kiểm tra và trả kết quả cho Ông/Bà qua dịch vụ bưu chính công ích."),
    ("DVKH", "TTUD", "Học phí khóa đào tạo ISO 9001 tại Trung tâm",
     "Đề nghị công khai học phí và thời gian khai giảng khóa đào tạo hệ thống quản lý chất lượng "
     "ISO 9001:2015 do Trung tâm Ứng dụng và Dịch vụ KHCN tổ chức.",
     "Học phí khóa đào tạo là 1.500.000 đồng/học viên; lịch khai giảng được đăng trên Cổng thông tin "
     "điện tử của Sở vào đầu mỗi quý."),
    ("TDC", "TDC", "Kiểm định cân tại chợ Thu Lộ",
     "Nhiều cân tại chợ Thu Lộ không có tem kiểm định, người mua bị thiếu cân. Đề nghị Chi cục kiểm tra.",
     "Chi cục Tiêu chuẩn Đo lường Chất lượng đã phối hợp với Ban quản lý chợ kiểm tra 42 cân, "
     "niêm phong 5 cân không đạt yêu cầu và hướng dẫn tiểu thương kiểm định lại."),
    ("ATBX", "QLCN", "Thủ tục cấp giấy phép sử dụng thiết bị X-quang y tế",
     "Phòng khám tư nhân của chúng tôi cần biết hồ sơ và thời hạn cấp giấy phép tiến hành công việc "
     "bức xạ đối với thiết bị X-quang chẩn đoán y tế.",
     "Hồ sơ gồm đơn đề nghị, báo cáo đánh giá an toàn và chứng chỉ nhân viên bức xạ; thời hạn giải "
     "quyết 10 ngày làm việc. Hướng dẫn chi tiết đăng tại Cổng dịch vụ công."),
    ("SHTT", "QLCN", "Hỗ trợ đăng ký nhãn hiệu cho sản phẩm OCOP",
     "Hợp tác xã đề nghị được hướng dẫn và hỗ trợ kinh phí đăng ký nhãn hiệu cho sản phẩm tỏi Lý Sơn "
     "đạt chuẩn OCOP theo chương trình hỗ trợ của tỉnh.",
     "Hợp tác xã thuộc đối tượng hỗ trợ theo Nghị quyết của HĐND tỉnh; đề nghị nộp hồ sơ tại "
     "Phòng Quản lý Công nghệ và Chuyên ngành trước ngày 30/6."),
    ("NVKH", "QLKH", "Quy định định mức chi cho nhiệm vụ khoa học cấp tỉnh chưa hợp lý",
     "Định mức chi thuê chuyên gia trong nhiệm vụ khoa học cấp tỉnh còn thấp so với thực tế, đề nghị "
     "Sở kiến nghị UBND tỉnh sửa đổi quy định.",
     "Sở ghi nhận kiến nghị và đã đưa vào dự thảo sửa đổi quy định định mức, dự kiến trình UBND tỉnh "
     "trong quý tới."),
    ("DVKH", "TTTT", "Truy cập cơ sở dữ liệu thông tin khoa học và công nghệ",
     "Tôi là sinh viên, đề nghị hướng dẫn cách đăng ký tài khoản tra cứu cơ sở dữ liệu thông tin khoa "
     "học và công nghệ của tỉnh.",
     "Bạn đăng ký tài khoản miễn phí tại thư viện điện tử của Trung tâm Thông tin và Ứng dụng KHCN; "
     "tài khoản được kích hoạt trong 01 ngày làm việc."),
]

# Each scenario: the events to fire, each (event, working days after the previous step), and how
# many working days ago the case was received.
SCENARIOS: list[tuple[str, int, list[tuple[str, int]]]] = [
    ("received", 1, []),
    ("received_overdue", 9, []),
    ("awaiting_info", 3, [("request_info", 1)]),
    ("refused", 6, [("refuse", 2)]),
    ("transferred", 7, [("transfer_out", 2)]),
    ("classified", 3, [("classify", 1)]),
    ("forwarded", 6, [("classify", 1), ("forward", 1)]),
    ("forwarded_overdue", 30, [("classify", 2), ("forward", 2)]),
    ("under_review", 12, [("classify", 1), ("forward", 1), ("submit_draft", 6)]),
    ("answered", 16, [("classify", 1), ("forward", 1), ("submit_draft", 8), ("approve", 1)]),
    ("published", 25, [("classify", 1), ("forward", 1), ("submit_draft", 6), ("approve", 2), ("publish", 1)]),
    ("extended", 14, [("classify", 1), ("forward", 1), ("extend", 8)]),
    # HCTH returned the answer to the unit before publication (QĐ 31/2021/QĐ-TTg Art 46)
    ("answer_returned", 11, [("classify", 1), ("forward", 1), ("submit_draft", 5), ("approve", 1),
                             ("return_answer", 1)]),
    ("collecting", 8, [("classify", 1), ("forward", 1), ("collect_basis", 3)]),  # NĐ 20/2008 Art 14.2b
    ("archived", 30, [("refuse", 2), ("archive", 5)]),  # filed in the records (Art 9.1, 14.2e)
]

# The quarter before the present one, so that the public results page (/ket-qua-xu-ly) has a closed
# period to show: played day by day after each day's deadline sweep (a late answer gets the sweep's
# apology letter on the day it would have), then closed by HCTH when it sent the report. Each: the
# day it was received, ``n`` working days after the quarter's first day or before its last (before it
# if n < 0), the events as in SCENARIOS, the citizen's rating of the answer the day after it (3 very
# satisfied, 2 satisfied, 1 not satisfied) or None. Every one has an e-mail address: no notice that
# HCTH would still owe by phone or post from months ago.
PAST_QUARTER: list[tuple[str, tuple[str, int], list[tuple[str, int]], int | None]] = [
    ("carried_over", ("start", -4), [("classify", 1), ("forward", 1), ("submit_draft", 5), ("approve", 1),
                                     ("publish", 1), ("archive", 3)], 3),
    ("answered_early", ("start", 3), [("classify", 1), ("forward", 1), ("submit_draft", 6), ("approve", 1),
                                      ("publish", 1), ("archive", 3)], 3),
    ("refused", ("start", 6), [("refuse", 2), ("archive", 3)], None),
    ("answered_early", ("start", 10), [("classify", 1), ("forward", 2), ("submit_draft", 8), ("approve", 2),
                                       ("publish", 1), ("archive", 3)], 2),
    # forwarded on its 2nd working day, due 15 working days later: answered on the due date itself
    ("answered_on_time", ("start", 15), [("classify", 1), ("forward", 1), ("submit_draft", 14), ("approve", 1),
                                         ("publish", 1), ("archive", 3)], 2),
    # forwarded on its 4th working day, due on its 19th (15 later), answered on its 22nd: late, before
    # the new date of the apology letter the sweep sent the day after the 19th (5 working days later)
    ("answered_late", ("start", 20), [("classify", 2), ("forward", 2), ("submit_draft", 17), ("approve", 1),
                                      ("publish", 1), ("archive", 3)], 1),
    # the unit foresaw the delay and sent the apology letter itself (NĐ 61/2018 Art 19.9)
    ("extended", ("start", 26), [("classify", 1), ("forward", 1), ("extend", 12), ("submit_draft", 6),
                                 ("approve", 1), ("publish", 1), ("archive", 3)], 2),
    ("not_published", ("start", 30), [("classify", 1), ("forward", 1), ("submit_draft", 8), ("approve", 1),
                                      ("archive", 3)], 3),  # the citizen did not agree to publication
    ("transferred", ("start", 33), [("transfer_out", 3), ("archive", 2)], None),
    # in hand when the quarter ended: one within its due date, one past it (with the automatic letter),
    # both answered in the next quarter
    ("pending_at_end", ("end", -6), [("classify", 1), ("forward", 1), ("submit_draft", 6), ("approve", 1),
                                     ("publish", 1), ("archive", 3)], None),
    ("overdue_at_end", ("end", -19), [("classify", 1), ("forward", 1), ("submit_draft", 18), ("approve", 1),
                                      ("publish", 1), ("archive", 3)], None),
]


def _args(event: str, topic: tuple) -> dict:
    category, unit, _title, _content, reply = topic
    return {
        "request_info": {"missing": "Số điện thoại liên hệ và bản chụp giấy tờ liên quan"},
        "refuse": {"reason": "complaint_or_denunciation", "note": "Nội dung là khiếu nại quyết định hành chính."},
        "transfer_out": {"agency": "Sở Tài chính tỉnh Quảng Ngãi", "note": "Thuộc thẩm quyền của Sở Tài chính."},
        "classify": {"category": category},
        "forward": {"unit": unit, "note": "Đề nghị nghiên cứu, trả lời đúng hạn."},
        "submit_draft": {"reply": reply},
        "approve": {},
        "publish": {},
        "extend": {"reason": "Cần lấy ý kiến của cơ quan liên quan trước khi trả lời."},
        "collect_basis": {"reason": "Đã đề nghị Sở Tư pháp cho ý kiến về căn cứ pháp lý; chờ văn bản trả lời."},
        "archive": {"reference": "01/HS-PAKN"},
        "return_answer": {"reason": "Câu trả lời chưa nêu căn cứ pháp lý (số, ngày văn bản); đề nghị bổ sung "
                                    "trước khi công khai."},
    }[event]


def _actor(event: str, unit_code: str, users: dict[str, User]) -> User:
    if event in ("submit_draft", "extend", "return_to_office", "collect_basis"):
        return users[unit_code]
    return users["leader"] if event == "approve" else users["office"]


def seed(n_cases: int, password: str, progress: Callable[[str], None] = print) -> None:
    units = {code: Unit(code=code, name=name, is_office=office, email=f"{code.lower()}@skhcn.example.gov.vn")
             for code, name, office in UNITS}
    db.session.add_all(units.values())
    db.session.add_all(Category(code=code, name=name) for code, name in CATEGORIES)
    users: dict[str, User] = {}
    for email, name, role, unit, title in USERS:
        user = User(email=email, full_name=name, role=role, unit=units.get(unit), title=title)
        user.set_password(password)
        db.session.add(user)
        users[unit if role == "unit" else role] = user
    db.session.commit()
    progress(f"{len(units)} units, {len(CATEGORIES)} categories, {len(users)} users")

    calendar = load_calendar()
    fixed, real_now = CLOCK.is_fixed, CLOCK.now()
    today = CLOCK.today()
    try:
        for i in range(n_cases):
            name, age, events = SCENARIOS[i % len(SCENARIOS)]
            topic = TOPICS[i % len(TOPICS)]
            citizen = CITIZENS[i % len(CITIZENS)]
            day = calendar.add_working_days(today, -age)  # ``age`` working days ago
            CLOCK.set(datetime.combine(day, time(8, 30), LOCAL_TZ) + timedelta(minutes=7 * i))
            email = f"congdan{i + 1}@example.com" if i % 3 else None
            case = receive(Submission(full_name=citizen[0], address=citizen[1], phone=citizen[2], email=email,
                                      title=topic[2], content=topic[3], consent_publish=name in ("published", "answer_returned") or i % 2 == 0,
                                      channel="web" if i % 4 else "email"))
            for event, after in events:
                day = calendar.add_working_days(day, after)
                if day > today:
                    break
                CLOCK.set(datetime.combine(day, time(9, 0), LOCAL_TZ) + timedelta(minutes=5 * i))
                actor = CITIZEN if event == "provide_info" else _actor(event, topic[1], users)
                apply_event(case, event, actor, _args(event, topic))
                if event == "forward" and i % 2:  # the unit's officer takes it (services.assignment)
                    assignment.assign(case, users[topic[1]], users[topic[1]].id, case.version)
            progress(f"  {case.code}  {case.state:<13} {case.title[:60]}")
        if n_cases:
            period, played, past = _last_quarter(calendar, users, n_cases, real_now)
            first = min([calendar.add_working_days(today, -max(age for _, age, _ in SCENARIOS)),
                         *(local_date(at) for at, _ in past)])
            _the_days_gone_by(first, today, progress, past)
            progress(f"the quarter before, {period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}):")
            for p in played:
                progress(f"  {p.case.code}  {p.case.state:<13} {p.case.title[:60]}")
            total = report_of(period).report.total.values  # as closed
            progress(f"  closed by HCTH: {total['received']} received, {total['answered']} answered "
                     f"({total['answered_late']} late), {total['pending']} in hand at its end")
    finally:
        CLOCK.set(real_now if fixed else None)


@dataclass
class _Played:
    """A case of PAST_QUARTER while it is played: it exists once its first action has run."""

    submission: Submission
    case: Feedback | None = None

    def receive(self) -> None:
        self.case = receive(self.submission)

    def fire(self, event: str, actor: User, args: dict) -> None:
        apply_event(self.case, event, actor, args)

    def rate(self, score: int) -> None:
        rate(self.case, score)


def _last_quarter(calendar: WorkingCalendar, users: dict[str, User], first: int, now: datetime
                  ) -> tuple[Period, list[_Played], list[tuple[datetime, Callable[[], object]]]]:
    """The quarter before the one of ``now`` (over: it ended before today), its PAST_QUARTER cases
    (numbered from ``first``, after the demo's others), and what happened to them as (instant, action),
    HCTH closing the period (chốt số liệu) included: when it sends the report, on the first working day
    after the period (the plan, chapter III: by the 15th), at 16:00, or now if that is still to come.
    What would come after ``now`` has not happened: it is left out."""
    period = quarter_of(quarter_of(local_date(now)).start - timedelta(days=1))
    anchors = {"start": period.start, "end": period.end}
    played, actions = [], []
    for j, (_name, (anchor, n), events, score) in enumerate(PAST_QUARTER):
        i = first + j
        topic, citizen = TOPICS[j % len(TOPICS)], CITIZENS[i % len(CITIZENS)]
        p = _Played(Submission(full_name=citizen[0], address=citizen[1], phone=citizen[2],
                               email=f"congdan{i + 1}@example.com", title=topic[2], content=topic[3],
                               consent_publish=any(e == "publish" for e, _ in events),
                               channel="web" if j % 4 else "email"))
        played.append(p)
        day = calendar.add_working_days(anchors[anchor], n)
        # minutes apart by the case's place in PAST_QUARTER, not its number: a demo of hundreds of cases
        # would push its later ones past midnight, onto a weekend or behind their own next step
        actions.append((datetime.combine(day, time(8, 30), LOCAL_TZ) + timedelta(minutes=7 * j), p.receive))
        for event, after in events:
            day = calendar.add_working_days(day, after)
            actions.append((datetime.combine(day, time(9, 0), LOCAL_TZ) + timedelta(minutes=5 * j),
                            partial(p.fire, event, _actor(event, topic[1], users), _args(event, topic))))
            if event == "approve" and score is not None:
                actions.append((datetime.combine(day + timedelta(days=1), time(20, 0), LOCAL_TZ),
                                partial(p.rate, score)))
    sent = datetime.combine(calendar.add_working_days(period.end, 1), time(16, 0), LOCAL_TZ)
    actions.append((min(sent, now), partial(close_report, period, users["office"])))
    return period, played, [(at, action) for at, action in actions if at <= now]


def _the_days_gone_by(first: date, today: date, progress: Callable[[str], None],
                      actions: Iterable[tuple[datetime, Callable[[], object]]] = ()) -> None:
    """The deadline sweep as the scheduler would have run it each morning since the oldest case came
    in: apology letters dated the day after the date they missed (not today, as a first sweep of
    old cases would), reminders, progress notices, and the cases whose promised date passed too
    escalated to the leader, each on its day; and after each day's sweep the ``actions`` of that day
    (instant, action), in order, each at its instant: what staff did after a letter the sweep sent."""
    from .services.sweep import sweep
    todo = sorted(actions, key=itemgetter(0))
    day, done = first, {}
    while True:
        while todo and local_date(todo[0][0]) <= day:
            at, action = todo.pop(0)
            CLOCK.set(at)
            action()
        if day >= today:
            break
        day += timedelta(days=1)
        at = datetime.combine(day, time(0, 5), LOCAL_TZ)
        CLOCK.set(at)  # what the sweep queues is dated then, as the scheduler's would be
        result = sweep(at)
        for name in ("letters", "escalations", "progress"):
            done[name] = done.get(name, 0) + getattr(result, name)
    progress(f"the sweep of each day since {first:%d/%m/%Y}: {done.get('letters', 0)} apology letters, "
             f"{done.get('escalations', 0)} escalations, {done.get('progress', 0)} progress notices")
