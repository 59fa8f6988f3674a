"""Demo data: the department's real units (from its 2024 plan), one user per role and cases in
every state, some of them overdue. Every case is driven through the real lifecycle with the clock
set back in time, so its audit trail, due dates and mails are exactly what production would make."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable

from workflows.clock import CLOCK, LOCAL_TZ

from .extensions import db
from .models import Category, Unit, User
from .services.calendar import load_calendar
from .services.cases import CITIZEN, Submission, apply_event, receive

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
            progress(f"  {case.code}  {case.state:<13} {case.title[:60]}")
        if n_cases:
            _the_days_gone_by(calendar.add_working_days(today, -max(age for _, age, _ in SCENARIOS)), today, progress)
    finally:
        CLOCK.set(real_now if fixed else None)


def _the_days_gone_by(first: date, today: date, progress: Callable[[str], None]) -> None:
    """The deadline sweep as the scheduler would have run it each morning since the oldest case came
    in: apology letters dated the day after the date they missed (not today, as a first sweep of
    old cases would), reminders, progress notices, and the cases whose promised date passed too
    escalated to the leader, each on its day."""
    from .services.sweep import sweep
    day, done = first, {}
    while day < today:
        day += timedelta(days=1)
        result = sweep(datetime.combine(day, time(0, 5), LOCAL_TZ))
        for name in ("letters", "escalations", "progress"):
            done[name] = done.get(name, 0) + getattr(result, name)
    progress(f"the sweep of each day since {first:%d/%m/%Y}: {done.get('letters', 0)} apology letters, "
             f"{done.get('escalations', 0)} escalations, {done.get('progress', 0)} progress notices")
