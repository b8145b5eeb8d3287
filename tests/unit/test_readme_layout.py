"""The README's Layout names every module of src/portal2fa, and only modules that exist.

The Layout block is read as a tree: a line whose first word ends in `.py` or `/` names what its
leading words ending so name, inside the package of the nearest line above it that is indented
less and begins with a package (`name/`); other lines (descriptions) name nothing.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "portal2fa"
NOT_LISTED = ("migrations", "management")  # Django's folders, one file each kind


def layout_block(readme: str) -> list[str]:
    section = readme.split("\n## Layout\n", 1)[1]
    return section.split("```", 2)[1].splitlines()


def named_paths(lines: list[str]) -> set[str]:
    """Paths below src/portal2fa named by the block (packages end in "/")."""
    named, packages, inside = set(), [], False  # packages: (indent, path) of the open ones
    for line in lines:
        indent = len(line) - len(line.lstrip())
        words = line.split()
        if indent == 0:
            inside = words[:1] == ["src/portal2fa/"]
            packages = [(0, "")] if inside else []
            continue
        if not inside:
            continue
        names = []
        for word in words:
            if not re.fullmatch(r"[\w./]+(\.py|/)", word):
                break
            names.append(word)
        if not names:
            continue
        while packages and packages[-1][0] >= indent:
            packages.pop()
        parent = packages[-1][1]
        named.update(parent + name for name in names)
        if names[0].endswith("/"):
            packages.append((indent, parent + names[0]))
    return named


def modules() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE)
        if path.name == "__init__.py" or set(relative.parts) & set(NOT_LISTED):
            continue
        found.add(relative.as_posix())
    return found


def readme_named() -> set[str]:
    return named_paths(layout_block((ROOT / "README.md").read_text(encoding="utf-8")))


def test_every_module_is_named_in_the_readme_layout():
    assert sorted(modules() - readme_named()) == []


def test_everything_the_readme_layout_names_exists():
    assert sorted(name for name in readme_named() if not (SOURCE / name).exists()) == []


def test_the_layout_reader_follows_indentation_and_skips_descriptions():
    block = [
        "Makefile  bench/           build",
        "src/portal2fa/",
        "  urls.py        what a host includes",
        "  twofactor/     THE LIBRARY",
        "    core/        pure",
        "      totp.py  crypto.py   codes",
        "                 (a description naming nothing.py)",
        "    models.py",
        "  audit/",
        "    models.py  services.py",
        "tests/           unit/",
    ]
    assert named_paths(block) == {
        "urls.py",
        "twofactor/",
        "twofactor/core/",
        "twofactor/core/totp.py",
        "twofactor/core/crypto.py",
        "twofactor/models.py",
        "audit/",
        "audit/models.py",
        "audit/services.py",
    }
