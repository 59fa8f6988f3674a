"""CHUA_DU_CO_SO (NĐ 20/2008 Art 14.2b): a unit judges there is not enough basis yet and collects more,
then goes on handling the case. The queues and the citizen's page say so (never the unit's note), and
the deadline keeps running: the sweep issues the apology letter of a case still collecting."""
from __future__ import annotations

import html
from datetime import date

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter, Transition
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import forwarded_case, sign_in
from test_office import post_event, state_of, text

NOTE = "Chờ ý kiến của Sở Tư pháp về căn cứ pháp lý"


def test_a_unit_collects_more_basis_the_clock_runs_on_and_it_then_answers(app, client, clock, seeded):
    case = forwarded_case(seeded)
    sign_in(client, seeded["QLKH"])
    assert post_event(client, "don-vi", case, "collect_basis", reason="x").status_code == 422  # says nothing
    assert post_event(client, "don-vi", case, "collect_basis", reason=NOTE).status_code == 302
    assert state_of(case) == "collecting" and case.due_date == date(2024, 3, 25)  # no pause
    assert case.unit.code == "QLKH"
    row = db.session.execute(select(Transition).where(Transition.feedback_id == case.id,
                                                      Transition.event == "collect_basis")).scalar_one()
    assert row.note == NOTE

    queue = html.unescape(text(client.get("/don-vi/")))
    assert case.code in queue and "Chưa đủ cơ sở, đang thu thập thêm" in queue
    page = html.unescape(text(client.get(f"/don-vi/ho-so/{case.code}")))
    assert 'id="form-resume_handling"' in page and 'id="form-submit_draft"' not in page

    sign_in(client, seeded["office"])
    assert case.code in text(client.get("/van-phong/?tab=in_progress"))

    # the citizen reads what is happening, not the unit's note
    client.post("/tra-cuu", data={"code": case.code, "contact": "0905123456"})
    status = html.unescape(text(client.get(f"/tra-cuu/{case.code}")))
    assert "đang thu thập thêm thông tin, cơ sở" in status and "Sở Tư pháp" not in status

    # the answer's date passes while collecting: the automatic apology letter, as for any late answer
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    db.session.expire_all()
    letter = db.session.execute(select(ApologyLetter).where(ApologyLetter.feedback_id == case.id)).scalar_one()
    assert letter.missed_due_date == date(2024, 3, 25) and state_of(case) == "collecting"

    clock.set("2024-03-27T09:00:00+07:00")
    sign_in(client, seeded["QLKH"])
    assert post_event(client, "don-vi", case, "resume_handling").status_code == 302
    assert state_of(case) == "forwarded"
    assert post_event(client, "don-vi", case, "submit_draft",
                      reply="Sở trả lời: thời hạn giải quyết là 15 ngày làm việc.").status_code == 302
    assert state_of(case) == "under_review"
