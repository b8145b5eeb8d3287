"""The shipped translation catalogues are whole and well-formed.

Every .po file passes GNU gettext's `msgfmt --check`; every shipped language has every text of its
app's current extraction (makemessages run afresh in a copy of the app), none fuzzy, every plural
form filled (as many as the header's nplurals), the same placeholders as the English; and the
compiled .mo holds what the .po says. GNU gettext is required: without msgfmt these tests fail.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

SOURCE = Path(__file__).resolve().parents[2] / "src" / "portal2fa"
APPS = ("twofactor", "audit", "accounts", "api")
SHIPPED = ("de", "fr", "es", "pt_BR", "ja", "ar", "en_XA")
# "%%" first: a literal percent sign, never the start of a placeholder ("100 %% sont")
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXc]")
EVERY_PO = sorted(SOURCE.glob("*/locale/*/LC_MESSAGES/*.po"))


def msgfmt() -> str:
    found = shutil.which("msgfmt")
    if not found:
        pytest.fail("msgfmt not found: install GNU gettext (apt-get install gettext)", False)
    return found


def domains(app: str) -> list[str]:
    has_js = any((SOURCE / app / "static" / "portal2fa").glob("*.js"))
    return ["django", "djangojs"] if has_js else ["django"]


CATALOGUES = [
    (app, language, domain) for app in APPS for language in SHIPPED for domain in domains(app)
]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], set[tuple[str | None, str]]]:
    """{(app, domain): its (msgctxt, msgid)s} as makemessages extracts them now, in a copy of each
    app (the shipped catalogues stay untouched)."""
    msgfmt()
    texts, before = {}, os.getcwd()
    try:
        for app in APPS:
            copy = tmp_path_factory.mktemp(app) / app
            ignore = shutil.ignore_patterns("locale", "__pycache__")
            shutil.copytree(SOURCE / app, copy, ignore=ignore)
            (copy / "locale").mkdir()
            os.chdir(copy)  # makemessages extracts from the current folder
            for domain in domains(app):
                call_command(
                    "makemessages",
                    locale=["xx"],
                    domain=domain,
                    ignore_patterns=["migrations/*"],
                    verbosity=0,
                    no_obsolete=True,
                )
                catalogue = polib.pofile(copy / "locale/xx/LC_MESSAGES" / f"{domain}.po")
                texts[(app, domain)] = {(entry.msgctxt, entry.msgid) for entry in catalogue}
    finally:
        os.chdir(before)
    return texts


def shipped(app: str, language: str, domain: str) -> Path:
    return SOURCE / app / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def test_every_app_ships_every_language():
    assert EVERY_PO, "no catalogue under src/portal2fa/*/locale"
    missing = [str(shipped(*key)) for key in CATALOGUES if not shipped(*key).is_file()]
    assert missing == []


@pytest.mark.parametrize("path", EVERY_PO, ids=lambda p: str(p.relative_to(SOURCE)))
def test_msgfmt_check_passes(path, tmp_path):
    result = subprocess.run(
        [msgfmt(), "--check", "-o", str(tmp_path / "out.mo"), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def plural_count(catalogue: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    assert match, "no nplurals in the header's Plural-Forms"
    return int(match.group(1))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) - {"%%"}


def problems(catalogue: polib.POFile, wanted: set) -> list[str]:
    have = {(entry.msgctxt, entry.msgid): entry for entry in catalogue if not entry.obsolete}
    found = [f"missing: {msgid!r}" for _, msgid in sorted(wanted - set(have), key=str)]
    forms = plural_count(catalogue)
    for entry in have.values():
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            translations = [entry.msgstr_plural.get(n, "") for n in range(forms)]
            # a form may say its number in words ("once more") instead of %(times)s: what both
            # English forms name is required, what either names is allowed
            allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            required = placeholders(entry.msgid) & placeholders(entry.msgid_plural)
        else:
            translations = [entry.msgstr]
            allowed = required = placeholders(entry.msgid)
        if not all(translations):
            found.append(f"untranslated: {entry.msgid!r}")
            continue
        for text in translations:
            if not required <= placeholders(text) <= allowed:
                found.append(f"placeholders of {text!r} for {entry.msgid!r}")
    return found


@pytest.mark.parametrize("app,language,domain", CATALOGUES)
def test_every_language_has_every_text_translated(app, language, domain, extracted):
    catalogue = polib.pofile(shipped(app, language, domain))
    assert problems(catalogue, extracted[(app, domain)]) == []


def compiled_messages(path: Path) -> set:
    return {
        (entry.msgctxt, entry.msgid, entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in polib.mofile(str(path))
    }


@pytest.mark.parametrize("app,language,domain", CATALOGUES)
def test_the_compiled_catalogue_holds_what_the_po_says(app, language, domain, tmp_path):
    source = shipped(app, language, domain)
    compiled = source.with_suffix(".mo")
    assert compiled.is_file(), f"{compiled} missing: run make messages"
    fresh = tmp_path / "fresh.mo"
    subprocess.run([msgfmt(), "-o", str(fresh), str(source)], check=True)
    assert compiled_messages(compiled) == compiled_messages(fresh), "run make messages"


def test_the_check_finds_each_kind_of_broken_translation():
    catalogue = polib.POFile()
    catalogue.metadata = {"Plural-Forms": "nplurals=3; plural=(n==0 ? 0 : n==1 ? 1 : 2);"}
    catalogue.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Hallo %(nom)s"))
    catalogue.append(polib.POEntry(msgid="Later", msgstr="Später", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Under 100%% marked", msgstr="Sous 100 %% signalés"))
    catalogue.append(
        polib.POEntry(
            msgid="%(count)s code",
            msgid_plural="%(count)s codes",
            msgstr_plural={0: "%(count)s Code", 1: "%(count)s Codes", 2: ""},
        )
    )
    found = problems(catalogue, {(None, "Hello %(name)s"), (None, "Gone")})
    assert found == [
        "missing: 'Gone'",
        "placeholders of 'Hallo %(nom)s' for 'Hello %(name)s'",
        "fuzzy: 'Later'",
        "untranslated: '%(count)s code'",
    ]
