"""Diacritic folding for the search of published answers (feedback_app/text.py)."""
from __future__ import annotations

import unicodedata

from hypothesis import given, strategies as st

from feedback_app.text import MAX_TERM_LENGTH, MAX_TERMS, fold, search_document, search_terms, words


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


@given(st.text())
def test_dropping_the_marks_through_the_remembered_table_is_the_per_character_rule(text):
    """text._WithoutMarks fills str.translate's table as it meets characters (and keeps only those
    below U+3000): the result is the plain per-character rule, whatever came before."""
    from feedback_app.text import _WITHOUT_MARKS

    decomposed = unicodedata.normalize("NFKD", text)
    expected = "".join(ch for ch in decomposed
                       if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")
    assert decomposed.translate(_WITHOUT_MARKS) == expected
    assert all(codepoint < 0x3000 for codepoint in _WITHOUT_MARKS)


def test_search_terms_are_folded_unique_and_bounded():
    assert search_terms("Học phí HOC PHI học") == ["hoc", "phi"]
    many = " ".join(f"t{i}" for i in range(30))
    assert len(search_terms(many)) == MAX_TERMS
    assert search_terms("a" * 500) == ["a" * MAX_TERM_LENGTH]
    assert search_terms("") == [] and search_terms(None) == []


def test_words_are_runs_of_folded_letters_and_digits_and_everything_else_separates():
    assert words("Máy X-quang: giảm 50% phí, mã a_b") == ["may", "x", "quang", "giam", "50", "phi", "ma", "a", "b"]
    assert words("PAKN.20240304.0001") == ["pakn", "20240304", "0001"]
    assert words("% _ ' \" * ( ) : - ^ NEAR AND OR") == ["near", "and", "or"]
    assert search_document("Học phí", None, "ĐẠI học!") == "hoc phi dai hoc"


def test_search_terms_of_operators_only_are_empty_and_operator_words_are_plain_words():
    assert search_terms("%_%") == [] and search_terms("' OR '1'='1") == ["or", "1"]
    assert search_terms('"hoc" NEAR(phi)') == ["hoc", "near", "phi"]
