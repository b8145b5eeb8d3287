"""The README's security guarantees name the tests that show them: every named test file and test
function must exist, or the README promises a proof nobody runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILE = re.compile(r"^([\w/]*test_\w+\.py)(?:::(\w+))?(?:\[[^\]]*\])?$")
FOLLOW_ON = re.compile(r"^(?:::)?(test_\w+)(?:\[[^\]]*\])?$")


def references(text: str):
    """(file, test name or None) for each backticked reference; a bare `test_x` or `::test_x`
    belongs to the file named just before it."""
    current = None
    for token in re.findall(r"`([^`\n]+)`", text):
        if found := FILE.match(token):
            current = found.group(1)
            yield current, found.group(2)
        elif (found := FOLLOW_ON.match(token)) and current:
            yield current, found.group(1)


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    missing = []
    seen = 0
    for path, name in references(readme):
        seen += 1
        source = ROOT / path
        if not source.exists():
            missing.append(path)
        elif name and not re.search(rf"^\s*def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert seen > 50  # the parser still finds the README's references
    assert not missing, "\n".join(missing)
