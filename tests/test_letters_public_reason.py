"""The reason of an apology letter as the public reads it in the case's JSON: the citizen's data
masked, the department's own published contact details (AGENCY_*) kept, as in the published copy."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import ApologyLetter
from feedback_app.services.sweep import sweep
from workflows.clock import parse_instant

from deadline_helpers import forwarded_case


@pytest.fixture
def letter(app, clock, seeded):
    forwarded_case(seeded)
    sweep(parse_instant("2024-03-26T00:01:00+07:00"))
    clock.set("2024-03-26T00:05:00+07:00")
    return db.session.execute(select(ApologyLetter)).scalar_one()


def test_the_public_reason_keeps_the_departments_hotline_and_masks_the_citizen(app, client, letter):
    phone, email = app.config["AGENCY_PHONE"], app.config["AGENCY_EMAIL"]
    letter.reason = (f"Chờ ý kiến của Sở Tài chính; ông Nguyễn Văn An (0905123456) có thể gọi đường dây "
                     f"nóng {phone} hoặc viết về {email} để biết thêm.")
    db.session.commit()
    data = client.get(f"/api/v1/feedback/{letter.feedback.code}").get_json()
    reason = data["letters"][0]["reason"]
    assert f"đường dây nóng {phone} hoặc viết về {email}" in reason
    assert "0905123456" not in reason and "Nguyễn Văn An" not in reason and "[đã ẩn]" in reason
