"""Translation catalogs: gettext for interface text and flow text, per language.

Catalogs live in `translations/<lang>/LC_MESSAGES/messages.po`; they are
compiled in memory when loaded, so there is no build step. A language with no
catalog falls back to the msgids, which are English.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def load_catalogs(directory: Path = TRANSLATIONS) -> dict[str, NullTranslations]:
    catalogs: dict[str, NullTranslations] = {}
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


def translator_for(catalogs: dict[str, NullTranslations], language: str):
    """The gettext function for `language`, or English msgids if it has no catalog."""
    return catalogs.get(language, ENGLISH_MSGIDS).gettext
