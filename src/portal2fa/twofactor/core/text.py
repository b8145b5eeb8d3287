"""Texts of the pure core: English, marked for the translators' catalogue without importing Django;
the page that shows one translates it (messages.translated), the CLI prints the English."""


def gettext_noop(text: str) -> str:
    """Marks a text for makemessages, which knows this name; translation happens where it is shown."""
    return text


class Refusal(ValueError):
    """A refused value: str() is the English message; `template` and `params` let a page say it in
    the reader's language."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template, self.params = template, params
