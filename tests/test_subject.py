"""What a PAKN is about, decided when HCTH classifies it (NĐ 20/2008 Art 9.1b–c): an administrative
regulation, or the behaviour of an agency or official. The case page, the register, the case JSON and
the report (brief §5: the form's figures split by the two) all say it."""
from __future__ import annotations

import html

import pytest

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Feedback, Transition
from feedback_app.reports.periods import quarter
from feedback_app.reports.queries import build_report
from feedback_app.services.cases import InvalidEventArguments, apply_event, receive
from feedback_app.services.serialize import staff_case

from test_office import SUBMISSION, login, post_event, state_of, text


def test_hcth_classifies_a_pakn_about_an_officials_behaviour_and_every_view_says_so(app, client, clock, seeded):
    clock.set("2024-03-04T09:00:00+07:00")
    behaviour, regulation = receive(SUBMISSION), receive(SUBMISSION)
    login(client, seeded["office"])
    page = html.unescape(text(client.get(f"/van-phong/ho-so/{behaviour.code}")))
    assert '<legend>Phản ánh, kiến nghị về</legend>' in page
    assert 'value="regulation" checked' in page or 'checked id="classify-subject-0"' in page  # the default

    assert post_event(client, "van-phong", behaviour, "classify", category="TTHC", subject="behaviour").status_code == 302
    assert post_event(client, "van-phong", regulation, "classify", category="TTHC").status_code == 302  # none sent
    db.session.expire_all()
    assert (behaviour.subject, regulation.subject) == ("behaviour", "regulation")
    note = db.session.execute(select(Transition.note).where(Transition.feedback_id == behaviour.id,
                                                            Transition.event == "classify")).scalar_one()
    assert "về hành vi hành chính" in note

    page = html.unescape(text(client.get(f"/van-phong/ho-so/{behaviour.code}")))
    assert "Hành vi hành chính của cơ quan, cán bộ, công chức" in page
    register = html.unescape(text(client.get("/van-phong/so-tiep-nhan?from=2024-03-01&to=2024-03-04")))
    line = register[register.index(behaviour.code):]
    assert "hành vi hành chính" in line[:line.index("</tr>")]
    line = register[register.index(regulation.code):]
    assert "hành vi hành chính" not in line[:line.index("</tr>")]
    assert staff_case(behaviour)["subject"] == "behaviour"

    q1, q2 = build_report(quarter(2024, 1)), build_report(quarter(2024, 2))  # 15/12–14/3, 15/3–14/6
    assert q1.total.values["about_behaviour"] == 1 and q1.total.values["to_handle"] == 2
    assert q2.total.values["about_behaviour"] == 1  # still in hand: carried over into Q2


def test_a_subject_outside_the_two_is_refused_at_the_field(app, client, clock, seeded):
    case = receive(SUBMISSION)
    login(client, seeded["office"])
    response = post_event(client, "van-phong", case, "classify", category="TTHC", subject="weather")
    assert response.status_code == 422
    assert 'id="classify-subject-error"' in text(response)
    assert state_of(case) == "received"
    with pytest.raises(InvalidEventArguments):
        apply_event(case, "classify", seeded["office"], {"category": "TTHC", "subject": "weather"})
    assert db.session.get(Feedback, case.id).subject is None
