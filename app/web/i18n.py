"""Translatable strings of the workspace: gettext catalogues read with Babel.

Catalogues live in ``app/web/locale/<lang>/LC_MESSAGES/messages.po`` and are compiled in memory
when first used (no ``.mo`` file is committed). A centre adds its language by copying
``messages.pot`` to ``<lang>/LC_MESSAGES/messages.po`` and translating it (README "Workspace");
the language is chosen from the browser's ``Accept-Language`` among the catalogues present,
English otherwise.

Strings are marked in templates with ``{{ _("…") }}`` / ``{% trans %}`` and in Python with
``tr("…")`` (a :class:`Translator`); ``N_("…")`` marks a string to translate later (for
tables built at import time). ``make i18n-extract`` refreshes ``messages.pot``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "en"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


@cache
def available_locales() -> tuple[str, ...]:
    """The languages with a catalogue, English first."""
    found = sorted(
        p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po") if p.is_file()
    )
    return (DEFAULT_LOCALE, *(lang for lang in found if lang != DEFAULT_LOCALE))


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (empty for a language without one)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return Translations()
    with po.open("rb") as fp:
        catalogue = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """The best available language for an ``Accept-Language`` header."""
    if not accept_language:
        return DEFAULT_LOCALE
    wanted: list[tuple[float, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality + index * 1e-6, tag.strip()))
    available = available_locales()
    for _, tag in sorted(wanted):
        try:
            language = Locale.parse(tag.replace("-", "_")).language
        except (ValueError, UnknownLocaleError):
            continue
        if language in available:
            return language
    return DEFAULT_LOCALE


@dataclass(frozen=True, slots=True)
class Translator:
    """``tr("Signed out.")`` / ``tr("%(n)d rows", n=3)`` in a view, in the request's language."""

    locale: str

    def __call__(self, message: str, **values: Any) -> str:
        text = translations(self.locale).ugettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = translations(self.locale).ungettext(singular, plural, n)
        return text % {"num": n, **values}
