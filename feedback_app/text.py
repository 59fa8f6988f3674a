"""Diacritic folding for search.

Vietnamese text is stored with diacritics ("học phí"), but citizens often type without them
("hoc phi"). ``fold`` maps both to the same plain lowercase ASCII-ish form. Search is by whole
words: ``words`` cuts folded text into runs of letters and digits; the app stores the public text as
``search_document(...)`` (its folded words separated by single spaces) in ``Feedback.search_text``,
and a query is ``search_terms(q)``, the same words, every one of which must occur. Because both sides
are already plain space-separated words, SQLite's FTS5 tokenizer and PostgreSQL's ``simple`` text
search parser see the same tokens (no ``unaccent`` extension, no collation tricks).

Pure Python: no Flask, no database.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "fold_char", "fold_ascii", "words", "search_document", "search_terms", "nfc", "nfc_deep",
           "ascii_name", "MAX_TERMS", "MAX_TERM_LENGTH"]

MAX_TERMS = 10
MAX_TERM_LENGTH = 100

# A word: letters and digits; everything else (spaces, punctuation, SQL or full-text operators) separates.
_WORD = re.compile(r"[^\W_]+")
# Letters that do not decompose under NFD but that a Vietnamese reader treats as plain letters.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ı": "i"})


def ascii_name(name: str) -> str:
    """A file name in ASCII, for the ``filename=`` fallback beside ``filename*=``: diacritics dropped,
    Đ/đ as D/d (NFKD does not decompose them, so "Đơn" would become "on"), case kept.

    >>> ascii_name("Đơn đề nghị số 12.pdf")
    'Don de nghi so 12.pdf'
    """
    plain = unicodedata.normalize("NFKD", name.translate(_D_AS_ASCII))
    return plain.encode("ascii", "ignore").decode("ascii")


_D_AS_ASCII = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D", "ð": "d"})


class _WithoutMarks(dict):
    """``str.translate``'s table that drops combining marks (what NFKD splits off a letter) and keeps
    every other character: filled in on first sight of a character, in C from then on, instead of a
    Python test per character. Only the scripts below U+3000 are remembered, so that text made of
    rare characters cannot grow it without bound."""

    def __missing__(self, codepoint: int) -> int | None:
        ch = chr(codepoint)
        kept = None if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else codepoint
        if codepoint < 0x3000:
            self[codepoint] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL)).translate(_WITHOUT_MARKS)
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


# Neither ASCII nor a combining mark (NFKD puts Vietnamese marks in U+0300-U+036F): “ ” – … and other scripts
_NOT_ASCII_OR_MARK = re.compile("[^\x00-\x7f\u0300-\u036f]")


def fold_ascii(text: str | None) -> str:
    """``fold``'s letters for Vietnamese at a tenth of its cost, for reading thousands of texts in one
    request (services.staff_search): lowercase, no diacritics, đ -> d, whitespace left as it is, and any
    character with no ASCII letter in it (“ ” – …, other scripts) a space, so that it still separates words.

    >>> fold_ascii("Giảm 50% phí – “Đăng ký”")
    'giam 50% phi    dang ky '
    """
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return _NOT_ASCII_OR_MARK.sub(" ", plain).encode("ascii", "ignore").decode("ascii")


def words(text: str | None) -> list[str]:
    """The folded words of ``text``, in order.

    >>> words("Máy X-quang: 50% phí, mã a_b")
    ['may', 'x', 'quang', '50', 'phi', 'ma', 'a', 'b']
    """
    return _WORD.findall(fold(text))


def search_document(*texts: str | None) -> str:
    """What ``Feedback.search_text`` stores: the folded words of ``texts``, separated by one space."""
    return " ".join(w for text in texts for w in words(text))


def search_terms(q: str | None) -> list[str]:
    """The words of a user's search query: folded, at most 10, each at most 100 characters, no repeats.

    Punctuation, quotes and operators (``% _ ' " * ( ) : -``) only separate words, so the terms are
    plain letters and digits whatever was typed.
    """
    terms: list[str] = []
    for raw in words(q):
        term = raw[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def nfc(text: str) -> str:
    """``text`` in Unicode's composed form (NFC), the form TCVN 6909:2001 text is exchanged in.

    Some Vietnamese keyboards (Unikey's "Unicode tổ hợp") and text pasted from some PDFs write a letter
    and its marks as separate code points (NFD: "ệ" as "e" + U+0323 + U+0302). It reads the same but
    compares differently: the Vietnamese-text check, the masking of the citizen's name in a published
    answer and exact lookups would all miss it."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def nfc_deep(value):
    """``value`` (parsed JSON: dicts, lists, strings, numbers) with every string, key or value, in NFC."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    return value
