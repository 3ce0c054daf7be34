"""Translatable strings: a centre adds its language with a gettext catalogue, and the browser's
Accept-Language picks it; the committed English catalogue matches the template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.web import i18n, templating
from tests.web.conftest import WebServer

POT = i18n.LOCALE_DIR / "messages.pot"


def _clear() -> None:
    i18n.available_locales.cache_clear()
    i18n.translations.cache_clear()
    templating.environment.cache_clear()


@pytest.fixture
def french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A copy of the catalogues with a French one, as a centre would add it."""
    locale = tmp_path / "locale"
    (locale / "fr" / "LC_MESSAGES").mkdir(parents=True)
    for path in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"):
        target = locale / path.relative_to(i18n.LOCALE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    catalog = Catalog(locale="fr")
    catalog.add("Sign in", "Se connecter")
    catalog.add("API key", "Clé d'API")
    catalog.add("Sign in to the workspace", "Connexion à l'espace de travail")
    with (locale / "fr" / "LC_MESSAGES" / "messages.po").open("wb") as fp:
        write_po(fp, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    _clear()
    yield
    monkeypatch.undo()
    _clear()


def test_accept_language_picks_an_added_catalogue(web: WebServer, french: None) -> None:
    assert i18n.available_locales() == ("en", "fr")
    assert i18n.negotiate("fr-CH, en;q=0.5") == "fr"
    assert i18n.negotiate("de, en;q=0.5") == "en"
    page = httpx.get(f"{web.url}/sign-in", headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert '<html lang="fr">' in page.text
    # (jinja's newstyle gettext marks translations safe: a catalogue is trusted like a template)
    assert "<h1>Connexion à l'espace de travail</h1>" in page.text
    assert ">Clé d'API" in page.text
    # an untranslated string falls back to English
    assert "Skip to main content" in page.text
    english = httpx.get(f"{web.url}/sign-in", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in english.text and "Sign in to the workspace" in english.text


def test_the_english_catalogue_has_every_message_of_the_template() -> None:
    with POT.open("rb") as fp:
        template = {m.id for m in read_po(fp) if m.id}
    with (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        english = {m.id for m in read_po(fp) if m.id}
    assert template, "messages.pot is empty: run `make i18n-extract`"
    assert template <= english, "run `make i18n-extract` (pybabel update)"
    assert ("Sign in to the workspace" in template) and ("Compare levels" in template)
