"""Streaming CSV that a spreadsheet cannot turn into formulas (CSV injection).

Scripts read these files: the header and every cell (an action's label, a state) are English
whatever the reader's language, the times ISO 8601 and the numbers plain."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import translation

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula: make it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    rows = iter(rows)
    with translation.override(None):  # the messages' source language: English
        line = writer.writerow([str(label) for label in header])
    while line is not None:
        yield line
        # Each row is read and written in English, and the language restored before it is
        # handed on: a streamed response runs after the view, between other work.
        with translation.override(None):
            row = next(rows, None)
            line = None if row is None else writer.writerow([_cell(value) for value in row])
