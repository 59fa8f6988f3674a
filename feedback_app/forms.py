"""The base of every form of the app: WTForms' own messages ("Not a valid choice.", "Not a valid date
value." …) in the page's language. WTForms ships no Vietnamese catalogue, so the app keeps one
(``translations/wtforms/vi``); an English page gets WTForms' English, its msgids."""
from __future__ import annotations

from pathlib import Path

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm

CATALOGUES = Path(__file__).resolve().parent.parent / "translations" / "wtforms"
_loaded: dict[str, object] = {}


def _catalogue():
    locale = str(get_locale() or "vi")
    if locale not in _loaded:  # NullTranslations (the msgids) where there is no catalogue, e.g. "en"
        _loaded[locale] = Translations.load(str(CATALOGUES), [locale], domain="wtforms")
    return _loaded[locale]


class _PageLanguage:
    """What WTForms asks of ``Meta.get_translations``, looked up when a message is made, so that a
    form built before the locale is known still speaks the page's language."""

    def gettext(self, string: str) -> str:
        return _catalogue().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _catalogue().ungettext(singular, plural, n)


PAGE_LANGUAGE = _PageLanguage()


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return PAGE_LANGUAGE
