"""CHANGELOG.md follows Keep a Changelog, and its newest release is the version pyproject.toml
builds: a release bumps both, or neither."""

import re
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELEASE = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$")


def changelog_lines() -> list[str]:
    return (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()


def releases(lines: list[str]) -> list[tuple[tuple[int, int, int], date]]:
    """(version, date) of each release heading, newest first as written."""
    found = []
    for line in lines:
        if match := RELEASE.match(line):
            major, minor, patch, day = match.groups()
            found.append(((int(major), int(minor), int(patch)), date.fromisoformat(day)))
    return found


def test_the_changelog_has_the_keep_a_changelog_headings():
    lines = changelog_lines()
    assert lines[0] == "# Changelog"
    versions = [line for line in lines if line.startswith("## ")]
    assert versions[0] == "## [Unreleased]", "new entries go in an Unreleased section on top"
    wrong = [line for line in versions[1:] if not RELEASE.match(line)]
    assert not wrong, f"a release heading reads '## [1.2.3] - YYYY-MM-DD': {wrong}"
    first_version = lines.index(versions[0])
    assert not any(line.startswith("### ") for line in lines[:first_version])


def test_releases_go_from_the_newest_down():
    found = releases(changelog_lines())
    assert found, "at least one release"
    numbers = [number for number, _ in found]
    days = [day for _, day in found]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)
    assert days == sorted(days, reverse=True)


def test_the_newest_release_is_the_version_pyproject_builds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (newest, _), *_ = releases(changelog_lines())
    assert ".".join(map(str, newest)) == project["version"]
