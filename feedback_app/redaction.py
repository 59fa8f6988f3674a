"""Masking of personal data before a case is published (NĐ 20/2008 Art 19 as amended: the public
copy of a case must not reveal the citizen; Luật An ninh mạng and NĐ 13/2023 on personal data).

Two passes:
1. what the citizen gave in the form (name, phone, e-mail, address) is masked wherever it occurs,
   ignoring case and diacritics ("Nguyen Van An" is found in "NGUYỄN VĂN AN"), a phone however its
   digits are grouped;
2. anything that *looks* like personal data is masked too: e-mail addresses, phone numbers,
   ID card numbers (CMND 9 digits, CCCD 12 digits, in a block or grouped), passport numbers,
   street addresses ("số 12 ngõ 34 ..."), a name introduced the way Vietnamese letters introduce one
   ("tôi là ...", "ông ...", "Người gửi: ..."), and what the citizen's own data gives away when
   written otherwise: the house number and street of their address ("8 Phan Đình Phùng"), their
   given name after a kinship word ("chị Hoa").
What the department itself publishes (its hotline, e-mail, address: ``public``) is never masked by
the second pass. Masks next to each other become one, so that no street name is left between them.

The citizen's own data alone (``only_known``: the first pass and what it gives away written
otherwise) is the safety net over HCTH's reviewed copy: HCTH may un-mask what the second pass only
guessed to be personal data, never the citizen's own. Pure Python.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .text import fold_char, nfc, search_document

__all__ = ["MASK", "Finding", "find_personal_data", "redact", "search_words"]

MASK = "[đã ẩn]"


def search_words(code: str, *texts: str | None) -> str:
    """The published search's words of a case's public copy (``Feedback.search_text``): the mask is no
    word of the case, or "đã ẩn" (folded "da an") would find every case with a name masked."""
    return search_document(code, *(t.replace(MASK, " ") if t else t for t in texts))

_UPPER = "A-ZÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ"
_WORD_CAP = rf"[{_UPPER}]\w*"
# Words of a name stay on one line: a signature's next line is not part of it.
_CAP_WORDS = rf"{_WORD_CAP}(?:[ \t]+{_WORD_CAP}){{0,5}}"

# Starts only where a word starts: unanchored, a long run of letters would be tried from every position.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers: 0, 84, +84 or (+84), then 8-10 digits grouped by spaces, dots, dashes,
# slashes or brackets ("(091) 234-5678", "0905 - 123 - 456").
_PHONE = re.compile(r"(?<![\w+])(?:\(\+?84\)|\+84|84(?=[2-9])|0)(?:[\s.\-/)]{0,3}\d){8,10}(?!\w)")
# CMND (9 digits) and CCCD (12 digits) written as a block ...
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
# ... or in groups of three ("051 090 001 234", "123.456.789"), which is also how money is written,
# or of four ("0510 9000 1234").
_ID_GROUPED = re.compile(r"(?<![\d.,])(?:\d{3}([ .\-])\d{3}\1\d{3}(?:\1\d{3})?|\d{4}([ .\-])\d{4}\2\d{4})"
                         r"(?![\d]|[.,]\d)"
                         r"(?![ \t]*(?i:đồng|đ\b|vnđ|vnd|triệu|tỷ))")
# A passport: one letter and 7 digits; written apart ("B 1234567") only after "hộ chiếu".
_PASSPORT = re.compile(r"(?<![\w/-])[A-Z]\d{7}(?!\w)")
_PASSPORT_INTRODUCED = re.compile(r"\b(?i:hộ\s+chiếu)(?:\s+(?i:số))?\s*:?\s*(?P<v>[A-Za-z][ .\-]?\d{7})(?!\w)")
# A name introduced as Vietnamese letters do: "tôi là Nguyễn Văn An", "ông Trần Bình", "ÔNG LÊ VĂN
# CƯỜNG", "Người gửi: Lê Văn Cường"; not a title ("ông Giám đốc Sở"), which names an office.
_INTRODUCED = (r"\b(?i:(?:tôi[ \t]+là|tôi[ \t]+tên[ \t]+là|tên[ \t]+tôi[ \t]+là)[ \t]+"
               r"|(?:họ[ \t]+và[ \t]+tên|họ[ \t]+tên|người[ \t]+gửi|người[ \t]+viết|ký[ \t]+tên)[ \t]*:[ \t]*)")
_HONORIFIC = r"\b(?i:ông|bà|anh|chị|em)[ \t]+"
_TITLE = (r"(?i:(?:phó[ \t]+|tổng[ \t]+)?(?:giám[ \t]+đốc|chủ[ \t]+tịch|trưởng[ \t]+(?:phòng|ban|thôn|khoa)"
          r"|chánh[ \t]+(?:văn[ \t]+phòng|thanh[ \t]+tra)|bộ[ \t]+trưởng|thứ[ \t]+trưởng|cục[ \t]+trưởng"
          r"|vụ[ \t]+trưởng|bí[ \t]+thư|hiệu[ \t]+trưởng|viện[ \t]+trưởng|tổ[ \t]+trưởng|thủ[ \t]+trưởng))(?!\w)")
# In capitals every word looks like a name's: a name ends before "VÀ", "BÀ", "TẠI" ...
_NOT_NAME = r"(?i:và|hoặc|với|cùng|của|tại|ở|là|ông|bà|anh|chị|em)(?!\w)"
_NAME = re.compile(rf"(?:{_INTRODUCED}|{_HONORIFIC})(?!{_TITLE})"
                   rf"(?P<v>{_WORD_CAP}(?:[ \t]+(?!{_NOT_NAME}){_WORD_CAP}){{1,4}})")
# A house number: "12", "12A", "12/3". A number with a slash and letters ("20/2008/NĐ-CP",
# "574/QĐ-TTg") is a legal document's, never an address: it does not match at all.
_NUMBER = r"\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*(?![\w/])"
_STREET_WORD = r"(?i:ngõ|ngách|hẻm|kiệt|tổ|đường|phố|thôn|xóm|ấp)"
_PLACE_WORD = r"(?i:ngõ|ngách|hẻm|kiệt|tổ|đường|phố|thôn|xóm|ấp|khu|khối|phường|xã|thị[ \t]+trấn|quận|huyện|tỉnh)"
# A street address: "số 12 ngõ 34 đường Láng", "số 8 Phan Đình Phùng", "nhà 5, tổ 3", "thôn 3".
# "số", "nhà" and "tổ" also count days, storeys and working groups ("Tổ 3 công tác liên ngành"):
# with them the number must be followed by a street name, another place word or a punctuation mark.
_ADDRESS = re.compile(
    rf"\b(?:(?i:số[ \t]+nhà|ngõ|ngách|hẻm|kiệt|tổ[ \t]+dân[ \t]+phố|thôn|xóm|ấp)[ \t]+{_NUMBER}"
    rf"|(?i:số|nhà|tổ)[ \t]+{_NUMBER}(?=[ \t]*(?:[,;.)\n]|$)|[ \t]+(?:{_PLACE_WORD}(?!\w)|[{_UPPER}])))"
    rf"(?:[ \t]+{_CAP_WORDS})?"
    rf"(?:[ \t,]+{_STREET_WORD}[ \t]+(?:{_NUMBER}|{_CAP_WORDS}))*"
)
_GUESSES = (("email", _EMAIL), ("phone", _PHONE), ("id_number", _ID_NUMBER), ("id_number", _ID_GROUPED),
            ("passport", _PASSPORT), ("passport", _PASSPORT_INTRODUCED), ("name", _NAME), ("address", _ADDRESS))

# A given name used alone: "chị Hoa", "bác Hùng" (matched against the citizen's known name).
_KINSHIP = re.compile(rf"\b(?i:anh|chị|em|ông|bà|cô|chú|bác|cụ|dì|cậu|mợ|thím)[ \t]+(?P<v>{_WORD_CAP})")
_PERSON_NAME = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+){1,5}")
_PHONE_VALUE = re.compile(r"[\d\s.()+\-]+")
# The words of a folded address that name a kind of place below the ward, and the areas above it.
_HOME_PLACE_RX = (r"(?:so\s+nha|so|nha|ngo|ngach|hem|kiet|to\s+dan\s+pho|to|duong|pho|thon|xom|ap|khu\s+pho|khu"
                  r"|khoi|lo|can\s+ho|phong)")
_HOME_PLACE = re.compile(rf"(?<=\s){_HOME_PLACE_RX}(?=\s)")
_AREA = re.compile(r"(?:phuong|xa|thi\s+tran|thi\s+xa|quan|huyen|thanh\s+pho|tp\.?|tinh)\b")
_SEP = r"[\s,.\-/]*"
# Between two masks only these are swallowed: "([đã ẩn], [đã ẩn])" reads "([đã ẩn])"; not a new line.
_BETWEEN_MASKS = re.compile(r"[ \t,;\-–/]*")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str


def _fold(text: str) -> str:
    return "".join(fold_char(c) for c in text)


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded character, the index of the original one."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for f in fold_char(ch):
            out.append(f)
            where.append(i)
    return "".join(out), where


def _value_pattern(value: str) -> str:
    """A regex over folded text for a known value: its words apart by any whitespace; a phone by
    its digits, however grouped, with 0 or the country code in front."""
    if _PHONE_VALUE.fullmatch(value) and sum(c.isdigit() for c in value) >= 9:
        digits = re.sub(r"\D", "", value)
        national = digits[2:] if digits.startswith("84") else digits.lstrip("0")
        return r"(?<!\d)(?:\(?\+?84\)?[\s.\-]?|0)" + r"[\s.\-/,()]{0,3}".join(national) + r"(?!\d)"
    return r"\s+".join(re.escape(part) for part in _fold(value).split())


def _address_patterns(value: str) -> list[str]:
    """Regexes over folded text for where the citizen lives, from their stored address: each part
    before the administrative areas (house number, lane, street, village: "Số 5 ngõ 34 phố Huế",
    "thôn Đông") with its words in order, its place words ("số", "ngõ", "đường" ...) and punctuation
    written or not ("số 5, ngõ 34 phố Huế", "5 ngõ 34 Huế", "12 Lê-Lợi"), and a street before its
    number ("Lê Lợi số 12"). A part without a number, or with nothing but numbers, needs its place
    word ("thôn Đông", "tổ 3"): alone, "Đông" is an ordinary word and "3" is everywhere. The ward,
    district and province say too little to mask."""
    if "@" in value or not re.search(r"[^\W\d_]", value):
        return []
    patterns = []
    for part in (p.strip() for p in _fold(value).split(",")):
        if not part or _AREA.match(part):
            continue
        words = [w for w in _HOME_PLACE.sub(" ", f" {part} ").split()]
        numbers = [w for w in words if w[0].isdigit()]
        names = [w for w in words if not w[0].isdigit()]
        if not words or (names and len(" ".join(names)) < 3 and not numbers):
            continue
        between = rf"{_SEP}(?:{_HOME_PLACE_RX}{_SEP})?"
        body = between.join(re.escape(w) for w in words)
        if numbers and not names:  # "Tổ 3": a bare number is everywhere ("Điều 3"); with its place word only
            patterns.append(rf"(?<![\w/]){_HOME_PLACE_RX}{_SEP}{body}(?![\w/])")
        elif numbers:
            patterns.append(rf"(?<![\w/])(?:{_HOME_PLACE_RX}{_SEP})?{body}(?![\w/])")
            if names and words[0][0].isdigit() and len(" ".join(names)) >= 3:  # the street first
                patterns.append(rf"(?<![\w/])(?:{_HOME_PLACE_RX}{_SEP})?" + between.join(
                    re.escape(w) for w in names + numbers) + r"(?![\w/])")
        elif len(" ".join(names)) >= 3:
            patterns.append(rf"(?<!\w){_HOME_PLACE_RX}{_SEP}{body}(?!\w)")
    return patterns


def _folded_findings(text: str, patterns: Iterable[str], kind: str) -> list[Finding]:
    folded, where = _folded_with_map(text)
    findings = []
    for pattern in patterns:
        for m in re.finditer(pattern, folded):
            if m.end() > m.start():
                start, end = where[m.start()], where[m.end() - 1] + 1
                findings.append(Finding(start, end, kind, text[start:end]))
    return findings


def _known_findings(text: str, known: list[str]) -> list[Finding]:
    return _folded_findings(text, [_value_pattern(v) for v in known], "known")


def _derived_findings(text: str, known: list[str]) -> list[Finding]:
    """The citizen's address and name as written otherwise than in the form."""
    findings = _folded_findings(text, [p for v in known for p in _address_patterns(v)], "known_address")
    given = {_fold(v.split()[-1]) for v in known if _PERSON_NAME.fullmatch(v)}
    findings += [Finding(m.start("v"), m.end("v"), "known_name", m.group("v"))
                 for m in _KINSHIP.finditer(text) if _fold(m.group("v")) in given]
    return findings


def _guessed_findings(text: str, public: list[str]) -> list[Finding]:
    """What looks like personal data, except what lies inside the department's own public details."""
    shields = _folded_findings(text, [_value_pattern(v) for v in public]
                               + [p for v in public for p in _address_patterns(v)], "public")
    findings = []
    for kind, rx in _GUESSES:
        for m in rx.finditer(text):
            start, end = m.span("v") if "v" in rx.groupindex else m.span()
            if not any(s.start <= start and end <= s.end for s in shields):
                findings.append(Finding(start, end, kind, text[start:end]))
    return findings


def _merged(text: str, findings: list[Finding]) -> list[Finding]:
    findings = sorted(findings, key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for f in findings:
        last = merged[-1] if merged else None
        if last and (f.start <= last.end or _BETWEEN_MASKS.fullmatch(text, last.end, f.start)):
            if f.end > last.end:
                merged[-1] = Finding(last.start, f.end, last.kind, text[last.start:f.end])
        else:
            merged.append(f)
    return merged


def find_personal_data(text: str, known: Iterable[str | None] = (), *, public: Iterable[str | None] = (),
                       only_known: bool = False) -> list[Finding]:
    """Every span of ``text`` that is or looks like personal data, merged and in order.

    ``known``: the citizen's own data; ``public``: the department's details, never masked by the
    second pass; ``only_known``: the citizen's own data alone, as given or written otherwise (their
    street, their given name after a kinship word), without the guesses of the second pass."""
    if not text:
        return []
    # in NFC on both sides: a name stored as a combining-marks keyboard wrote it (before request_text
    # composed every input) still matches the same name in the text, and the other way round
    text = nfc(text)
    known = [nfc(v.strip()) for v in known if v and len(v.strip()) >= 3]
    # the citizen's own data, as given or written otherwise, is masked on every pass
    findings = _known_findings(text, known) + _derived_findings(text, known)
    if not only_known:
        findings += _guessed_findings(text, [v.strip() for v in public if v and len(v.strip()) >= 3])
    return _merged(text, findings)


def redact(text: str | None, known: Iterable[str | None] = (), *, public: Iterable[str | None] = (),
           only_known: bool = False) -> str:
    """``text`` with every personal-data span replaced by ``MASK``. Idempotent."""
    if not text:
        return text or ""
    text = nfc(text)  # the spans below are find_personal_data's, in NFC
    out, pos = [], 0
    for f in find_personal_data(text, known, public=public, only_known=only_known):
        out.append(text[pos:f.start])
        out.append(MASK)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
