"""Diacritic folding for the search of published answers (feedback_app/text.py)."""
from __future__ import annotations

import unicodedata

from hypothesis import given, strategies as st

from feedback_app.text import MAX_TERM_LENGTH, MAX_TERMS, fold, like_pattern, search_terms


def test_vietnamese_letters_fold_to_plain_lowercase():
    assert fold("Học phí  ĐẠI học") == "hoc phi dai hoc"
    assert fold("Đường Nguyễn Huệ") == "duong nguyen hue"
    assert fold("ƯỚC LƯỢNG ỔN ĐỊNH") == "uoc luong on dinh"
    assert fold(None) == "" and fold("   ") == ""


def test_composed_and_decomposed_forms_fold_alike():
    composed = "Phản ánh, kiến nghị"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed and fold(composed) == fold(decomposed) == "phan anh, kien nghi"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_search_terms_are_folded_unique_and_bounded():
    assert search_terms("Học phí HOC PHI học") == ["hoc", "phi"]
    many = " ".join(f"t{i}" for i in range(30))
    assert len(search_terms(many)) == MAX_TERMS
    assert search_terms("a" * 500) == ["a" * MAX_TERM_LENGTH]
    assert search_terms("") == [] and search_terms(None) == []


def test_like_pattern_escapes_wildcards():
    assert like_pattern("hoc") == "%hoc%"
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
