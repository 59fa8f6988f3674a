"""Masking personal data before publication (NĐ 20/2008 Art 19; NĐ 13/2023 on personal data)."""
from __future__ import annotations

import pytest

from feedback_app.redaction import MASK, find_personal_data, redact

KNOWN = ["Nguyễn Văn An", "Số 12 đường Lê Lợi, Quảng Ngãi", "0905123456", "an@example.com"]


def test_what_the_citizen_gave_is_masked_whatever_the_case_and_diacritics():
    text = "Trả lời ông NGUYEN VAN AN và bà nguyễn văn an."
    out = redact(text, KNOWN)
    assert "NGUYEN" not in out and "nguyễn" not in out
    assert out.count(MASK) == 2


@pytest.mark.parametrize("text, secret", [
    ("Liên hệ qua thư binh.tran+pakn@mail.example.vn nhé", "binh.tran+pakn@mail.example.vn"),
    ("Gọi 0905 123 456 hoặc 0905.123.457", "0905 123 456"),
    ("Số máy +84 912 345 678", "+84 912 345 678"),
    ("CCCD số 051090001234 cấp năm 2021", "051090001234"),
    ("CMND 212345678", "212345678"),
    ("Tôi là Trần Thị Bình, giáo viên", "Trần Thị Bình"),
    ("Nhà tôi ở số 45 ngõ 12 đường Trần Hưng Đạo", "45 ngõ 12"),
    ("Tôi ở thôn 3 xã Tịnh Ấn", "thôn 3"),
])
def test_anything_that_looks_like_personal_data_is_masked(text, secret):
    out = redact(text)
    assert secret not in out and MASK in out


def test_the_subject_matter_stays_readable():
    text = ("Đề nghị cho biết phí thẩm định hợp đồng chuyển giao công nghệ theo Thông tư 169/2016/TT-BTC, "
            "thời hạn 15 ngày làm việc, Điều 9.1d.")
    assert redact(text, KNOWN) == text


def test_redaction_is_idempotent_and_keeps_what_surrounds_a_mask():
    text = "Tôi là Nguyễn Văn An, điện thoại 0905123456. Xin hỏi về học phí."
    once = redact(text, KNOWN)
    assert redact(once, KNOWN) == once
    assert once.endswith("Xin hỏi về học phí.") and once.startswith("Tôi là ")


def test_findings_are_merged_and_ordered():
    text = "an@example.com 0905123456 an@example.com"
    spans = [(f.start, f.end) for f in find_personal_data(text, KNOWN)]
    assert spans == sorted(spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    assert len(spans) == 3


def test_empty_text_and_short_known_values_are_harmless():
    assert redact("", KNOWN) == "" and redact(None, KNOWN) == ""
    assert redact("An ninh mạng", ["An"]) == "An ninh mạng"  # a known value under 3 characters is ignored
