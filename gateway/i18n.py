"""Translation catalogs, and which language each page and reply is in.

Catalogs live in `translations/<lang>/LC_MESSAGES/messages.po`; they are
compiled in memory when loaded, so there is no build step. A language with no
catalog falls back to the msgids, which are English.

Pages choose their language per request through Flask-Babel: a conversation's
language once a view has said which (`use_language`), before that the one a
request asks for with `?lang=`, else GATEWAY_DEFAULT_LANGUAGE. Flask-Babel
reads the catalogs compiled here, never a .mo file.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, Domain, get_locale, refresh

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SOURCE_LANGUAGE = "en"  # the language the msgids are written in


def load_catalogs(directory: Path | None = None) -> dict[str, NullTranslations]:
    """Every catalog in `directory` (default: TRANSLATIONS), compiled, by language."""
    catalogs: dict[str, NullTranslations] = {}
    directory = directory or TRANSLATIONS  # looked up now, so a test may point it
    for po_file in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        language = po_file.parent.parent.name
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        catalogs[language] = Translations(compiled)
    return catalogs


ENGLISH_MSGIDS = NullTranslations()
PAGE_CATALOG = "page_catalog"  # on flask.g: this request's catalog, once found


def translator_for(catalogs: dict[str, NullTranslations], language: str):
    """The gettext function for `language`, or English msgids if it has no catalog."""
    return catalogs.get(language, ENGLISH_MSGIDS).gettext


class RuntimeCatalogs(Domain):
    """Flask-Babel's message domain, served from the catalogs the gateway
    compiled when it started (Flask-Babel's own would look for .mo files).
    A page asks for it once a word: it is looked up once a request, and again
    after use_language."""

    def get_translations(self) -> NullTranslations:
        if not g:  # outside a request
            return ENGLISH_MSGIDS
        found = g.get(PAGE_CATALOG)
        if found is None:
            locale = get_locale()
            found = _catalogs().get(str(locale), ENGLISH_MSGIDS)
            setattr(g, PAGE_CATALOG, found)
        return found


class GatewayBabel(Babel):
    domain_instance = RuntimeCatalogs()


def install_translations(app: Flask) -> None:
    """Flask-Babel for `app`: templates' `_()`, its number and date filters, and
    `page_language()` for a page's `lang`, all in the language chosen per request."""
    GatewayBabel(
        app,
        locale_selector=_choose_language,
        default_locale=app.config["DEFAULT_LANGUAGE"],
        default_timezone=app.config["TIMEZONE"],
    )
    app.add_template_global(page_language)


def use_language(language: str | None) -> str:
    """Draw the rest of this request in `language` (a conversation's, or one a
    form asked for); returns the language the page will be in."""
    g.chosen_language = language
    g.pop(PAGE_CATALOG, None)
    refresh()  # anything already drawn in this request chose before this
    return page_language()


def page_language() -> str:
    """The language this request's words are in: one with a catalog, or English."""
    return str(get_locale() or SOURCE_LANGUAGE)


def _choose_language() -> str:
    """Flask-Babel's locale selector. It only ever names a language that has a
    catalog (or English, the msgids' own), so a page never fails on a language
    code that nobody has translated into."""
    wanted = g.get("chosen_language")
    if wanted is None and has_request_context():
        # Only the query string: the body may be what an error page is about.
        wanted = request.args.get("lang")
    catalogs = _catalogs()
    for language in (wanted, current_app.config["DEFAULT_LANGUAGE"]):
        if language in catalogs:
            return language
    return SOURCE_LANGUAGE


def _catalogs() -> dict[str, NullTranslations]:
    return current_app.extensions["gateway"].catalogs
