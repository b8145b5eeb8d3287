"""The README's "Add Portal 2FA to your Django project" snippets, as each test host pasted them."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPET = re.compile(r"<!-- snippet:([\w-]+) -->\s*```python\n(.*?)```", re.S)


def readme_snippets() -> dict[str, str]:
    return dict(SNIPPET.findall(README.read_text(encoding="utf-8")))


def assert_pasted(project: Path, names=("settings", "urls")) -> None:
    """The project's settings.py and urls.py hold the README's snippets exactly as written."""
    snippets = readme_snippets()
    for name in names:
        assert snippets[name].strip() in (project / f"{name}.py").read_text(encoding="utf-8"), name
