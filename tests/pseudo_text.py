"""Finding English that was not translated, on a page or in an e-mail rendered in the pseudo-locale.

In `en-xa` every translated text is bracketed and every ASCII letter in it accented
(tools/pseudo_locale.py): "[Ŝîĝñ îñ ·····]". What a reader sees that is still two or more plain
ASCII words in a row, outside the brackets, is English nobody marked for translation, unless it is
data (a name, an address, a role, a code, the product's name, a date, a URL), which the allow-list
below names.
"""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

PSEUDO = "en-xa"
BREAK = "\x00"  # where a run of words ends: a tag, a pseudo-translated text, an item of data
# What readers see besides the text between tags: a control's name, a hint, an image's text, a
# button's value.
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")
BUTTON_VALUES = ("submit", "button", "reset")
HIDDEN_CONTENT = ("script", "style", "template", "noscript")

WORD = r"[A-Za-z][A-Za-z'’]*"
ENGLISH_RUN = re.compile(rf"{WORD}(?:[ \t\n]+{WORD})+")
# Data, not text: kept in English (or as typed) whatever the language.
DATA = [
    r"Portal 2FA",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    r"https?://\S+",
    r"\b[\w-]+(?:\.[\w-]+)+/\S*",  # host/path
    r"\b[a-z_]+(?:\.[a-z_]+)+\b",  # dotted names (webhook event types, settings)
    r"\b[A-Z2-7]{4}(?: [A-Z2-7]{1,4})+\b",  # an authenticator's manual key, grouped
    r"\b[A-Z0-9]{4,}(?:-[A-Z0-9]{4,})+\b",  # backup codes, passes
    r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?(?: UTC)?",  # ISO dates (English keeps)
]


PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sdif]|\{[^}]*\}")


def _django_texts() -> list[str]:
    """Django's own texts (a required field, a too-long value...): Django's catalogues translate
    them in every language it ships, so only the pseudo-locale, which Django does not ship, shows
    them in English."""
    import django
    import polib

    folder = Path(django.__file__).parent
    texts = []
    for catalogue in ("conf/locale/en/LC_MESSAGES/django.po",):
        for entry in polib.pofile(folder / catalogue):
            # the parts around placeholders: "Select a valid choice. %(value)s is not one of..."
            texts += [part.strip(" .") for part in PLACEHOLDER.split(entry.msgid)]
    return sorted({text for text in texts if " " in text}, key=len, reverse=True)


DJANGO_TEXTS = _django_texts()


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in HIDDEN_CONTENT:
            self.hidden += 1
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(BREAK + values[name] + BREAK)
        if tag == "input" and values.get("type") in BUTTON_VALUES and values.get("value"):
            self.parts.append(BREAK + values["value"] + BREAK)
        self.parts.append(BREAK)  # a tag ends a run of words

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN_CONTENT:
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in HIDDEN_CONTENT and self.hidden:
            self.hidden -= 1
        self.parts.append(BREAK)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """What a reader sees or hears of an HTML page: the text between tags (the title too) and the
    shown attributes, without scripts and styles."""
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def outside_brackets(text: str) -> str:
    """The text with every pseudo-translated part (brackets nest when one text goes into another's
    placeholder) replaced by BREAK, so that words on its two sides are no run."""
    kept, depth = [], 0
    for char in text:
        if char == "[":
            depth += 1
            kept.append(BREAK)
        elif char == "]" and depth:
            depth -= 1
            kept.append(BREAK)
        elif not depth:
            kept.append(char)
    return "".join(kept)


def english_runs(text: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """Every run of 2+ plain ASCII words in `text` outside the pseudo brackets, data removed:
    `data` names this page's own data (user names, role names) besides the allow-list."""
    rest = outside_brackets(html.unescape(text))
    for item in sorted(data, key=len, reverse=True):
        rest = rest.replace(item, BREAK)
    for item in DJANGO_TEXTS:
        rest = rest.replace(item, BREAK)
    for pattern in DATA:
        rest = re.sub(pattern, BREAK, rest)
    return [" ".join(run.split()) for run in ENGLISH_RUN.findall(rest)]


def page_english(page: str, *, data: tuple[str, ...] = ()) -> list[str]:
    return english_runs(visible_text(page), data=data)
