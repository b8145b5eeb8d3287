"""Geometry for the Overview's server-rendered SVG charts (no chart library, no script, no inline
style: the templates draw <rect>s with these numbers and CSS classes, under the strict CSP).

Every chart has a table beside it with the same numbers, for screen readers and for print.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    key: str  # a CSS class: seg-enrolled, seg-pending, seg-not-started
    label: str
    value: int
    x: float  # in percent of the chart width
    width: float
    percent: float


def stacked_bar(parts: list[tuple[str, str, int]]) -> list[Segment]:
    """(key, label, value) parts as segments of one 100%-wide bar (empty parts take no width)."""
    total = sum(value for _, _, value in parts)
    segments, x = [], 0.0
    for key, label, value in parts:
        width = 100 * value / total if total else 0.0
        segments.append(Segment(key, label, value, round(x, 3), round(width, 3), round(width, 1)))
        x += width
    return segments


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def columns(
    values: list[tuple[str, int]], *, width: int, height: int, gap: int = 4
) -> list[Column]:
    """One column per (label, value), scaled to the largest value, in a width x height box
    (SVG user units, y grows downwards). A zero is drawn as a 1-unit line so the week shows."""
    if not values:
        return []
    top = max(value for _, value in values) or 1
    step = width / len(values)
    result = []
    for i, (label, value) in enumerate(values):
        h = max(1.0, height * value / top)
        result.append(
            Column(
                label,
                value,
                round(i * step + gap / 2, 2),
                round(height - h, 2),
                round(step - gap, 2),
                round(h, 2),
            )
        )
    return result
