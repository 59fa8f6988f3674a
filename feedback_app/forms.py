"""The base of every form of the app: WTForms' own messages ("Not a valid choice.", "Not a valid date
value." …) in the page's language, and no text with characters nobody types (``Form.validate``).
WTForms ships no Vietnamese catalogue, so the app keeps one (``translations/wtforms/vi``); an English
page gets WTForms' English, its msgids."""
from __future__ import annotations

from pathlib import Path

from babel.support import Translations
from flask_babel import get_locale, lazy_gettext
from flask_wtf import FlaskForm

from workflows.lifecycle import UNSAFE_TEXT, has_unsafe_chars

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

    def validate(self, extra_validators=None) -> bool:
        """Also refuse, on its field, a text with characters nobody types (``lifecycle.UNSAFE_CHARS``: NUL,
        other control characters, lone surrogates), before it reaches the database: the citizen's forms
        and the staff's alike, as the lifecycle refuses them in an event's arguments sent to the API."""
        ok = super().validate(extra_validators)
        for field in self:
            if has_unsafe_chars(field.data):
                field.errors = [*field.errors, lazy_gettext(UNSAFE_TEXT)]
                ok = False
        return ok
