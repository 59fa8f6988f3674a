"""HTML documents turned into PDF on the server with WeasyPrint: the apology letters (``letters``) and the
report (``reports.exports``). Their templates live in ``templates/letters/`` and declare the DejaVu
Serif faces of ``templates/letters/_fonts.html``, which carry every Vietnamese diacritic; the folder
holding them is ``LETTER_FONT_DIR`` (default the Debian/Ubuntu one). A character those faces lack in
what someone typed (an emoji, a pictograph, another script) is left out (``in_fonts``), not drawn as
a box or in a font the system picks."""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from flask import current_app

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# the faces templates/letters/_fonts.html declares: a character must be in all of them to be drawn
FACES = ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf")


def font_dir() -> str:
    return current_app.config.get("LETTER_FONT_DIR") or str(FONT_DIR)


@functools.lru_cache(maxsize=4)
def _drawable(folder: str) -> frozenset[int] | None:
    """The code points every face has a glyph for; None if a face cannot be read."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency
    try:
        faces = [set(TTFont(Path(folder) / name, lazy=True).getBestCmap()) for name in FACES]
    except Exception:  # noqa: BLE001 - a missing or unreadable font: nothing is left out
        return None
    return frozenset(set.intersection(*faces))


def in_fonts(text: str | None, folder: str) -> str | None:
    """``text`` without the characters the documents' fonts lack: WeasyPrint would draw each as an empty
    box, or in another font picked by the system. Vietnamese typed with combining marks is composed
    first (every composed letter is in DejaVu); white space stays."""
    drawable = _drawable(folder)
    if not text or drawable is None:
        return text
    return "".join(c for c in unicodedata.normalize("NFC", text) if ord(c) in drawable or c.isspace())


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is really wanted
    # tagged (headings, paragraphs, reading order), so that a screen reader can read a letter (WCAG 1.3.1)
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(pdf_tags=True)
