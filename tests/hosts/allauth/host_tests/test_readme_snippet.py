"""This host is startproject + allauth's quick-start + the README's snippet, exactly as written."""

from pathlib import Path

from tests.hosts.snippet import assert_pasted


def test_the_pasted_snippets_are_the_readmes():
    assert_pasted(Path(__file__).resolve().parents[1] / "allauthhost")
