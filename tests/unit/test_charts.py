"""The SVG chart geometry of the Overview: widths add up, columns scale to the largest value."""

from portal2fa.twofactor import charts


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


def test_columns_scale_to_the_largest_value_and_show_zero_as_a_line():
    cols = charts.columns([("w1", 0), ("w2", 5), ("w3", 10)], width=300, height=100, gap=0)
    assert [c.height for c in cols] == [1.0, 50.0, 100.0]
    assert [c.y for c in cols] == [99.0, 50.0, 0.0]
    assert [c.x for c in cols] == [0.0, 100.0, 200.0]
    assert all(c.width == 100.0 for c in cols)


def test_columns_of_all_zero_do_not_divide_by_zero():
    assert [c.height for c in charts.columns([("w", 0)] * 3, width=30, height=10)] == [1.0] * 3
