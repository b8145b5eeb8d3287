"""This host is `startproject` + the README's snippet: the README must still say what was pasted."""

import re
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
README = HERE.parents[2] / "README.md"
SNIPPET = re.compile(r"<!-- snippet:([\w-]+) -->\s*```python\n(.*?)```", re.S)


def test_the_pasted_snippets_are_the_readmes():
    snippets = dict(SNIPPET.findall(README.read_text(encoding="utf-8")))
    assert set(snippets) == {"settings", "urls", "no-login-page"}
    for name in ("settings", "urls"):  # this host has a login page of its own
        pasted = (HERE / "stockhost" / f"{name}.py").read_text(encoding="utf-8")
        assert snippets[name].strip() in pasted, name
