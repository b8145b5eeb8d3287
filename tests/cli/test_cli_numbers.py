"""Every numeric CLI option is bounded: a huge, negative or non-numeric value is one error line
and exit 2, never a traceback."""

import pytest

from portal2fa.cli import main

HUGE = "99999999999999999999999"


def _no_server(*args):
    raise AssertionError("the server was started")


@pytest.mark.parametrize(
    "argv",
    [
        ("user", "list", "--limit", HUGE),
        ("user", "list", "--limit", "-1"),
        ("user", "list", "--limit", "ten"),
        ("overview", "--limit", HUGE),
        ("overview", "--limit", "-5"),
        ("settings", "set", "max-invalid-attempts", HUGE),
        ("settings", "set", "clock-skew-steps", "-" + HUGE),
        ("settings", "set", "backup-codes-per-set", HUGE),
        ("settings", "set", "low-codes-threshold", HUGE),
        ("serve", "--workers", HUGE),
        ("serve", "--workers", "0"),
    ],
)
def test_numeric_options_out_of_range_are_one_line_exit_2(db, capsys, monkeypatch, argv):
    monkeypatch.setattr("os.execv", _no_server)
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert lines and lines[-1].startswith("portal2fa"), err
    assert len([line for line in lines if not line.startswith("usage:")]) == 1, err


@pytest.mark.parametrize(
    ("port", "argv"),
    [(HUGE, ["serve"]), ("0", ["serve"]), ("8000", ["serve", "--bind", "127.0.0.1:" + HUGE])],
)
def test_a_port_out_of_range_is_refused(db, capsys, monkeypatch, port, argv):
    monkeypatch.setattr("os.execv", _no_server)
    monkeypatch.setenv("PORT", port)
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
