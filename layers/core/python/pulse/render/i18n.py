"""Translations: one gettext catalogue (``locales/<lang>.po``) per language.

Message ids are the English texts, so English needs no catalogue and adding a
language is adding ``locales/<lang>.po``. Catalogues are read with Babel and
compiled in memory once per process.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED = ("en", "fr")

#: Babel locale used for numbers and dates, per report language.
LOCALES = {"en": "en_US", "fr": "fr_FR"}


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English falls back to the message ids)."""
    source = resources.files("pulse.render").joinpath(f"locales/{lang}.po")
    if not source.is_file():
        return NullTranslations()
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, "en_US")
