"""tools/pseudo_locale.py: every letter accented, the text lengthened and bracketed, and what a page
or a format needs kept exactly (placeholders, HTML tags and attributes, entities, URLs)."""

import importlib.util
import re
from pathlib import Path

import polib

TOOL = Path(__file__).resolve().parents[2] / "tools" / "pseudo_locale.py"
_spec = importlib.util.spec_from_file_location("pseudo_locale", TOOL)
pseudo_locale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pseudo_locale)
pseudo = pseudo_locale.pseudo


def test_text_is_accented_lengthened_and_bracketed():
    shown = pseudo("Sign in")
    assert shown.startswith("[Šîĝñ îñ ") and shown.endswith("]")
    assert len(shown) > len("Sign in") * 1.3
    assert not re.search(r"[A-Za-z]", shown)  # no plain ASCII letter left


def test_placeholders_tags_entities_and_urls_are_kept():
    english = (
        'You are <bdi class="who">%(email)s</bdi>: %s of %d, 100%% &amp; &#8212; '
        "see https://example.com/help"
    )
    shown = pseudo(english)
    for kept in ('<bdi class="who">', "</bdi>", "%(email)s", "%s", "%d", "%%", "&amp;", "&#8212;"):
        assert kept in shown
    assert "https://example.com/help" in shown


def test_leading_and_trailing_newlines_stay_outside_the_brackets():
    assert pseudo("Hello,\n").endswith("]\n")
    assert pseudo("\nBye").startswith("\n[")
    assert pseudo("") == ""


def test_a_catalogue_is_filled_every_plural_form_and_the_header(tmp_path):
    path = tmp_path / "django.po"
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.metadata_is_fuzzy = True
    catalogue.append(polib.POEntry(msgid="Save", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="%(count)s code", msgid_plural="%(count)s codes"))
    catalogue.save(str(path))
    pseudo_locale.fill(str(path))
    filled = polib.pofile(str(path))
    assert filled.metadata["Language"] == "en_XA"
    assert filled.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    save, codes = list(filled)
    assert save.msgstr.startswith("[Šáṽé") and "fuzzy" not in save.flags
    assert codes.msgstr_plural[0].startswith("[%(count)s çöðé ")
    assert codes.msgstr_plural[1].startswith("[%(count)s çöðéš ")
