"""How the department addresses a sender (feedback_app/addressing.py): a person as Ông/Bà, an organisation
(NĐ 20/2008/NĐ-CP Art 3) by its name and as Quý cơ quan, tổ chức, in the mails and the apology letter."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from feedback_app.addressing import addressee, is_organisation, you
from feedback_app.extensions import db
from feedback_app.letters import render_letter_pdf
from feedback_app.models import ApologyLetter, OutboxMail
from feedback_app.services.cases import apply_event
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import SUBMISSION, forwarded_case
from test_letters import pdf_text


@pytest.mark.parametrize("name", ["Công ty TNHH Cơ khí Sông Trà", "CÔNG TY CỔ PHẦN ABC", "cong ty co phan A",
                                  "Hợp tác xã Nông nghiệp Tịnh Phong", "HTX Tỏi Lý Sơn", "Trường Đại học Phạm Văn Đồng",
                                  "Bệnh viện Đa khoa tỉnh", "Phòng khám Đa khoa Hưng Thịnh", "UBND xã Tịnh Sơn",
                                  "Hội Nông dân huyện", "Trung tâm Y tế", "  Doanh  nghiệp tư nhân X  ",
                                  "Ban quản trị chung cư Hoàng Anh", "Tổ dân phố 3", "Nhà thuốc Minh Châu",
                                  "Chi cục Tiêu chuẩn Đo lường Chất lượng", "CTCP Thép Dung Quất", "ubnd xa Tinh Son"])
def test_an_organisation_is_known_by_the_words_its_name_begins_with(name):
    assert is_organisation(name) and you(name) == "Quý cơ quan, tổ chức"
    assert addressee(name) == " ".join(name.split())


@pytest.mark.parametrize("name", ["Nguyễn Văn An", "Trương Văn Hội", "Trường Nguyễn", "Truong Van Hoi",
                                  "Phong Lê", "Văn Thị Hoa", "Viên Thị Lan", "Tô Chúc Anh", "Ngân Hằng",
                                  "Thôi Văn Nam", "Cù Thị Lan", "", None])
def test_a_person_is_ong_ba_and_named(name):
    assert not is_organisation(name) and you(name) == "Ông/Bà"
    assert addressee(name) == (f"Ông/Bà {name}" if name else "Ông/Bà")


def test_an_organisation_s_mails_and_letter_address_it_by_its_name_never_as_ong_ba(app, clock, seeded):
    company = replace(SUBMISSION, full_name="Công ty TNHH Cơ khí Sông Trà")
    case = forwarded_case(seeded, submission=company)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))  # not answered by 25 March: the apology letter
    mails = lambda: dict(db.session.execute(select(OutboxMail.kind, OutboxMail.body_text)  # noqa: E731
                                            .where(OutboxMail.recipients == company.email)).all())
    before_answer = mails()
    apply_event(case, "submit_draft", seeded["QLKH"], {"reply": "Trả lời: thời hạn là 10 ngày làm việc."})
    apply_event(case, "approve", seeded["leader"])
    bodies = {**before_answer, **mails()}
    assert {"received", "apology", "answered"} <= set(bodies), set(bodies)
    for kind, body in bodies.items():
        assert "Ông/Bà" not in body, kind
    for kind in ("apology", "answered"):
        assert bodies[kind].startswith("Kính gửi Công ty TNHH Cơ khí Sông Trà,"), kind
    assert "xin lỗi Quý cơ quan, tổ chức" in bodies["apology"]
    assert "Quý cơ quan, tổ chức" in bodies["received"]
    letter = db.session.execute(select(ApologyLetter)).scalar_one()
    text = " ".join(pdf_text(render_letter_pdf(letter)).split())
    assert "gây phiền hà cho Quý cơ quan, tổ chức" in text and "Ông/Bà" not in text
    public = " ".join(pdf_text(render_letter_pdf(letter, public=True)).split())  # masked: nobody in particular
    assert "gây phiền hà cho Ông/Bà" in public and "Quý cơ quan" not in public and "Sông Trà" not in public
