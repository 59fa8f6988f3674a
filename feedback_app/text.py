"""Diacritic folding for search.

Vietnamese text is stored with diacritics ("học phí"), but citizens often type without them
("hoc phi"). ``fold`` maps both to the same plain lowercase ASCII-ish form; the app stores
``fold(public text)`` in ``Feedback.search_text`` and searches it with a LIKE on every folded
query term, which behaves the same on SQLite and PostgreSQL (no ``unaccent`` extension, no
collation tricks).

Pure Python: no Flask, no database.
"""
from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_char", "search_terms", "like_pattern", "MAX_TERMS", "MAX_TERM_LENGTH"]

MAX_TERMS = 10
MAX_TERM_LENGTH = 100

# Letters that do not decompose under NFD but that a Vietnamese reader treats as plain letters.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ı": "i"})


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")
    return text.lower().translate(_SPECIAL)


def fold_char(ch: str) -> str:
    """Fold one character (no whitespace handling); may return "" or several characters.

    ``"".join(fold_char(c) for c in s)`` has the same letters as ``fold(s)``; the redaction
    module uses it to keep a map from folded positions back to the original text.
    """
    return _fold_once(ch)


def fold(text: str | None) -> str:
    """Lowercase, drop diacritics (đ -> d), collapse whitespace, strip.

    >>> fold("Học phí  ĐẠI học")
    'hoc phi dai hoc'
    """
    if not text:
        return ""
    folded = _fold_once(text)
    # A second pass is a no-op for Vietnamese; it makes fold idempotent for the odd Unicode
    # character whose lowercase form decomposes again (e.g. "İ").
    for _ in range(3):
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return " ".join(folded.split())


def search_terms(q: str | None) -> list[str]:
    """The folded terms of a user's search query: at most 10, each at most 100 characters.

    Duplicates are dropped (they would only repeat the same LIKE condition).
    """
    terms: list[str] = []
    for raw in fold(q).split():
        term = raw[:MAX_TERM_LENGTH]
        if term and term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def like_pattern(term: str) -> str:
    """``%term%`` for a LIKE with ``escape="\\\\"``: backslash, ``%`` and ``_`` are escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
