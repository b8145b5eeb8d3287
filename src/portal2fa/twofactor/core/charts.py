"""Geometry for the Overview's server-rendered SVG charts (no chart library, no script, no inline
style: the templates draw <rect>s with these numbers and CSS classes, under the strict CSP).

Every chart has a table beside it with the same numbers, for screen readers and for print.
The trend also writes its values, dates and target in the SVG itself.
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
class TrendColumn:
    label: str  # the date written under the column ("" where it would crowd its neighbour)
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def value_y(self) -> float:  # the value's baseline, just above the column
        return round(self.y - 6, 2)


@dataclass(frozen=True)
class TrendChart:
    """A column chart with its own text: a value over each column, dates under them and a
    dashed target line, in a `width` x `height` box of SVG units (drawn with its proportions, so
    the text is not stretched). `top` and `bottom` are the plot's edges, room left for the text."""

    columns: list[TrendColumn]
    target: int
    target_y: float
    width: int
    height: int
    top: float
    bottom: float

    @property
    def date_y(self) -> float:  # the dates' baseline, under the plot
        return self.height - 4


def trend_chart(
    values: list[tuple[str, int]],
    *,
    target: int,
    width: int = 520,
    height: int = 200,
    gap: int = 6,
    label_every: int = 2,
    inset: int = 24,
) -> TrendChart:
    """(date label, value) columns scaled so both the largest value and the target fit; every
    `label_every`-th date is written, the newest always (they would overlap on a phone). The
    columns keep `inset` units from either side, so the first and last dates are not cut off."""
    top, bottom = 34.0, height - 24.0  # room for the values above and the dates below
    plot = bottom - top
    scale = max([target, *(value for _, value in values)]) or 1
    step = (width - 2 * inset) / len(values) if values else width
    newest = len(values) - 1
    result = []
    for i, (label, value) in enumerate(values):
        h = max(1.0, plot * value / scale)
        shown = label if (newest - i) % label_every == 0 else ""
        result.append(
            TrendColumn(
                shown,
                value,
                round(inset + i * step + gap / 2, 2),
                round(bottom - h, 2),
                round(step - gap, 2),
                round(h, 2),
            )
        )
    return TrendChart(
        columns=result,
        target=target,
        target_y=round(bottom - plot * target / scale, 2),
        width=width,
        height=height,
        top=top,
        bottom=bottom,
    )
