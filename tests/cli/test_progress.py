"""The progress line of long CLI jobs: rows, rows/s and ETA on stderr, never on stdout."""

import io

from portal2fa.twofactor.cli.progress import Progress


def test_progress_shows_count_rate_and_eta():
    out = io.StringIO()
    with Progress("Seeding users", 1000, stream=out, force=True) as progress:
        progress.last = -1.0  # draw at the next add
        progress.add(250)
    text = out.getvalue()
    assert "Seeding users: 250/1,000 ( 25%)" in text and "rows/s" in text and "ETA" in text
    assert text.endswith("\n")


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    out = io.StringIO()
    with Progress("Exporting", stream=out) as progress:
        progress.add(10)
    assert out.getvalue() == ""
