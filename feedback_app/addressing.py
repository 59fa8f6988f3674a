"""How the department addresses the sender of a PAKN in its mails and letters. Senders are persons and
organisations alike (NĐ 20/2008/NĐ-CP Art 3, domain brief): a person is "Ông/Bà Nguyễn Văn A", an
organisation is called by its name ("Kính gửi Công ty TNHH Cơ khí Sông Trà") and "Quý cơ quan, tổ chức"
in the text, never "Ông/Bà Công ty …".

The form asks for one name; an organisation is known by the word its name begins with. Only words no
Vietnamese personal name begins with count: "Trường" alone is a given name, "Trường Đại học" is not. A
name is compared with its marks; one typed without any is compared folded, and then only with the
beginnings of several words ("cong ty"), since a folded single word may be a name ("Truong", "Vien").

Pure Python: no Flask, no database.
"""
from __future__ import annotations

import re

from .text import fold, nfc

PERSON = "Ông/Bà"
ORGANISATION = "Quý cơ quan, tổ chức"

# lower case, with diacritics; each is a whole word or words at the start of the name
_BEGINNINGS = (
    "công ty", "tổng công ty", "tập đoàn", "doanh nghiệp", "hợp tác xã", "tổ hợp tác", "hộ kinh doanh",
    "chi nhánh", "văn phòng", "trường đại học", "trường cao đẳng", "trường trung cấp", "trường trung học",
    "trường tiểu học", "trường mầm non", "trường thpt", "trường thcs", "bệnh viện", "phòng khám", "trung tâm",
    "hiệp hội", "hội", "viện", "cơ sở", "cửa hàng", "ngân hàng", "nhà máy", "xí nghiệp", "liên hiệp",
    "ủy ban", "uỷ ban", "ban quản lý", "ban quản trị", "ban đại diện", "sở", "tạp chí", "nhà xuất bản",
    "tổ chức", "cơ quan", "đài", "tổ dân phố", "thôn", "nhà thuốc", "quầy thuốc", "trạm y tế", "phòng y tế",
    "phòng giáo dục", "phòng kinh tế", "phòng tài nguyên", "phòng nông nghiệp", "phòng văn hóa", "chi cục",
    "cục", "công an", "htx", "ubnd", "cty", "ctcp", "dntn",
)


def _beginning(words) -> re.Pattern:
    """One of ``words`` as the whole first word or words of a name (one match: the receipt mail asks it
    of every submission)."""
    return re.compile(f"(?:{'|'.join(re.escape(w) for w in sorted(words, key=len, reverse=True))})(?: |$)")


_MARKED = _beginning(_BEGINNINGS)
# typed without marks: the beginnings of several words, and the abbreviations
_FOLDED = _beginning({fold(b) for b in _BEGINNINGS if " " in b or b.isascii()})


def is_organisation(name: str | None) -> bool:
    """Whether ``name`` is an organisation's, by its first words.

    >>> [is_organisation(n) for n in ("Công ty TNHH Cơ khí Sông Trà", "cong ty co phan A", "HTX Nông nghiệp",
    ...                               "Trương Văn Hội", "Trường Nguyễn", "Trường Đại học Phạm Văn Đồng", "Tô Chúc Anh")]
    [True, True, True, False, False, True, False]
    """
    plain = " ".join(nfc(name or "").lower().split())
    # typed without marks: "cong ty", and never a "Tô Chúc Anh" read as "tổ chức"
    return (_FOLDED if plain.isascii() else _MARKED).match(plain) is not None


def you(name: str | None) -> str:
    """What the text calls the sender: "Ông/Bà", or "Quý cơ quan, tổ chức"."""
    return ORGANISATION if is_organisation(name) else PERSON


def addressee(name: str | None) -> str:
    """Who a mail or letter is addressed to, after "Kính gửi": "Ông/Bà Nguyễn Văn A", "Công ty TNHH X",
    or "Ông/Bà" without a name."""
    name = " ".join((name or "").split())
    if not name:
        return PERSON
    return name if is_organisation(name) else f"{PERSON} {name}"
