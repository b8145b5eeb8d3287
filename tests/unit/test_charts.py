"""The SVG chart geometry of the Overview: widths add up, the trend fits its values and target."""

from portal2fa.twofactor.core import charts


def test_stacked_bar_segments_fill_the_bar_in_order():
    parts = [("a", "A", 6), ("b", "B", 1), ("c", "C", 3)]
    segments = charts.stacked_bar(parts)
    assert [s.key for s in segments] == ["a", "b", "c"]
    assert [s.width for s in segments] == [60.0, 10.0, 30.0]
    assert [s.x for s in segments] == [0.0, 60.0, 70.0]
    assert [s.percent for s in segments] == [60.0, 10.0, 30.0]


def test_stacked_bar_of_nothing_has_no_width():
    segments = charts.stacked_bar([("a", "A", 0), ("b", "B", 0)])
    assert [s.width for s in segments] == [0.0, 0.0]


def test_trend_chart_fits_the_largest_value_or_the_target_and_labels_every_other_date():
    values = [(f"d{i}", v) for i, v in enumerate([2, 4, 6, 8, 9])]
    chart = charts.trend_chart(values, target=12, width=500, height=200, gap=0, inset=0)
    plot = chart.bottom - chart.top
    assert chart.target_y == chart.top  # the target is the largest: the plot's top
    assert [c.height for c in chart.columns] == [round(plot * v / 12, 2) for _, v in values]
    assert all(round(c.y + c.height, 2) == chart.bottom for c in chart.columns)
    assert [c.label for c in chart.columns] == ["d0", "", "d2", "", "d4"]  # the newest written
    assert [c.middle for c in chart.columns] == [50.0, 150.0, 250.0, 350.0, 450.0]


def test_trend_chart_values_above_the_target_push_the_target_line_down():
    chart = charts.trend_chart([("a", 20), ("b", 0)], target=10, width=100, height=200)
    assert chart.columns[0].y == chart.top
    assert chart.target_y == round(chart.bottom - (chart.bottom - chart.top) / 2, 2)
    assert chart.columns[1].height == 1.0  # a zero still shows as a line


def test_trend_chart_keeps_the_first_and_last_dates_inside_the_box():
    chart = charts.trend_chart([(f"d{i}", i) for i in range(13)], target=20, width=520)
    first, last = chart.columns[0], chart.columns[-1]
    assert first.x >= 24 and last.x + last.width <= 520 - 24
    # a date ~48 units wide centred under the end columns stays within the 520-unit box
    assert first.middle - 24 >= 0 and last.middle + 24 <= 520
