"""Masking of personal data before a case is published (NĐ 20/2008 Art 19 as amended: the public
copy of a case must not reveal the citizen; Luật An ninh mạng and NĐ 13/2023 on personal data).

Two passes:
1. what the citizen gave in the form (name, phone, e-mail, address) is masked wherever it occurs,
   ignoring case and diacritics ("Nguyen Van An" is found in "NGUYỄN VĂN AN");
2. anything that *looks* like personal data is masked too: e-mail addresses, phone numbers,
   ID card numbers (CMND 9 digits, CCCD 12 digits), street addresses ("số 12 ngõ 34 ..."), and a
   name introduced the way Vietnamese letters introduce one ("tôi là ...", "ông ...", "bà ...").

HCTH reviews the result and may mask more; this module never un-masks. Pure Python.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .text import fold_char

__all__ = ["MASK", "Finding", "find_personal_data", "redact"]

MASK = "[đã ẩn]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers: 0 or +84 then 9-10 digits, optionally grouped by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?![\w])")
# CMND (9 digits) and CCCD (12 digits) written as a block.
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
_UPPER = "A-ZÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ"
_WORD_CAP = rf"[{_UPPER}][\w]*"
# A name introduced as Vietnamese letters do: "tôi là Nguyễn Văn An", "ông Trần Bình".
_NAME = re.compile(
    rf"(?:(?<=[Tt]ôi là )|(?<=[Tt]ôi tên là )|(?<=[Tt]ên tôi là )|(?<=\b[Ôô]ng )|(?<=\b[Bb]à )"
    rf"|(?<=\b[Aa]nh )|(?<=\b[Cc]hị )|(?<=\b[Ee]m )|(?<=[Hh]ọ và tên: )|(?<=[Hh]ọ tên: ))"
    rf"{_WORD_CAP}(?:\s+{_WORD_CAP}){{1,4}}"
)
# A street address: "số 12 ngõ 34 đường Láng", "nhà 5, tổ 3", "thôn Đông".
_ADDRESS = re.compile(
    r"\b(?:[Ss]ố nhà|[Ss]ố|[Nn]hà|[Nn]gõ|[Nn]gách|[Hh]ẻm|[Kk]iệt|[Tt]ổ|[Tt]hôn|[Xx]óm|[Ấấ]p)\s+\d+[\w/]*"
    rf"(?:[\s,]+(?:[Nn]gõ|[Nn]gách|[Hh]ẻm|[Kk]iệt|[Tt]ổ|[Đđ]ường|[Pp]hố|[Tt]hôn|[Xx]óm|[Ấấ]p)\s+(?:\d+[\w/]*|{_WORD_CAP}(?:\s+{_WORD_CAP})*))*"
)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded character, the index of the original one."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for f in fold_char(ch):
            out.append(f)
            where.append(i)
    return "".join(out), where


def _known_findings(text: str, known: Iterable[str | None]) -> list[Finding]:
    folded, where = _folded_with_map(text)
    findings = []
    for value in known:
        if not value or len(value.strip()) < 3:
            continue
        needle = "".join(fold_char(c) for c in value.strip())
        # whitespace in the known value matches any run of whitespace in the text
        pattern = r"\s+".join(re.escape(part) for part in needle.split())
        for m in re.finditer(pattern, folded):
            if m.end() == m.start():
                continue
            start, end = where[m.start()], where[m.end() - 1] + 1
            findings.append(Finding(start, end, "known", text[start:end]))
    return findings


def find_personal_data(text: str, known: Iterable[str | None] = ()) -> list[Finding]:
    """Every span of ``text`` that is or looks like personal data, merged and in order."""
    if not text:
        return []
    findings = _known_findings(text, known)
    for kind, rx in (("email", _EMAIL), ("phone", _PHONE), ("id_number", _ID_NUMBER),
                     ("name", _NAME), ("address", _ADDRESS)):
        findings += [Finding(m.start(), m.end(), kind, m.group()) for m in rx.finditer(text)]
    findings.sort(key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for f in findings:
        if merged and f.start <= merged[-1].end:
            last = merged[-1]
            if f.end > last.end:
                merged[-1] = Finding(last.start, f.end, last.kind, text[last.start:f.end])
        else:
            merged.append(f)
    return merged


def redact(text: str | None, known: Iterable[str | None] = ()) -> str:
    """``text`` with every personal-data span replaced by ``MASK``. Idempotent."""
    if not text:
        return text or ""
    known = list(known)
    out, pos = [], 0
    for f in find_personal_data(text, known):
        out.append(text[pos:f.start])
        out.append(MASK)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
