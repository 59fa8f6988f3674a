"""Everything a person sends enters pakn in Unicode's composed form (NFC, ``text.nfc``): the query
string, form fields, upload names and JSON bodies, normalised once where Flask parses them, so that no
form, service or API handler can forget to (a citizen typing with a combining-marks keyboard was told
their Vietnamese was not Vietnamese, and their name escaped the masking of a published answer)."""
from __future__ import annotations

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from .text import nfc, nfc_deep


def _composed(value):
    if isinstance(value, str):
        return nfc(value)
    if isinstance(getattr(value, "filename", None), str):  # an upload: its name as the citizen's system wrote it
        value.filename = nfc(value.filename)
    return value


class ComposedMultiDict(ImmutableMultiDict):
    """The query string's and the form's parameters, each value in NFC."""

    def __init__(self, mapping=None):
        if isinstance(mapping, MultiDict):
            mapping = mapping.items(multi=True)
        if mapping is not None and not isinstance(mapping, dict):
            mapping = [(nfc(key) if isinstance(key, str) else key, _composed(value)) for key, value in mapping]
        super().__init__(mapping)


class ComposedRequest(Request):
    parameter_storage_class = ComposedMultiDict


class ComposedJSONProvider(DefaultJSONProvider):
    """Parsed JSON (``request.get_json``) with its strings in NFC; what pakn writes is unchanged."""

    def loads(self, s, **kwargs):
        # nested deeper than Python's stack (about a thousand "[" of a 2 KB body): refused as JSON that
        # cannot be read (request.get_json's ValueError: a 400), not a RecursionError's 500
        try:
            return nfc_deep(super().loads(s, **kwargs))
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    app.request_class = ComposedRequest
    provider = ComposedJSONProvider(app)
    provider.sort_keys, provider.ensure_ascii = app.json.sort_keys, app.json.ensure_ascii
    app.json = provider
