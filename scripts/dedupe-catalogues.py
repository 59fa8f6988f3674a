"""Keep each msgid in one catalogue: the strings of translations/common (states, steps, legal bases,
layout) win over copies that another area's extraction picked up. Then compile every catalogue, and
the Vietnamese one of WTForms' own messages (translations/wtforms, feedback_app/forms.py)."""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "translations"
common_po = ROOT / "common" / "en" / "LC_MESSAGES" / "messages.po"
common = {m.id for m in read_po(common_po.open("rb")) if m.id}
for po in sorted(ROOT.glob("*/en/LC_MESSAGES/messages.po")):
    catalog = read_po(po.open("rb"))
    if po != common_po:
        dropped = [m.id for m in catalog if m.id and m.id in common]
        for msgid in dropped:
            del catalog[msgid]
        if dropped:
            with po.open("wb") as f:
                write_po(f, catalog)
            print(f"{po.relative_to(ROOT)}: {len(dropped)} string(s) left to translations/common")
    with po.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)

wtforms_po = ROOT / "wtforms" / "vi" / "LC_MESSAGES" / "wtforms.po"
with wtforms_po.with_suffix(".mo").open("wb") as f:
    write_mo(f, read_po(wtforms_po.open("rb")))
