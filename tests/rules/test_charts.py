"""Chart geometry (app/charts.py): round ticks, thinned labels, bars, lines with gaps, shaded runs."""

from __future__ import annotations

import re

import pytest

from app import charts


@pytest.mark.parametrize(("high", "ticks"), [
    (0, (0, 1)),            # an empty chart still has a scale
    (-3, (0, 1)),
    (0.4, (0, 1)),          # counts: never a fractional step
    (1, (0, 1)),
    (3, (0, 1, 2, 3)),
    (4, (0, 1, 2, 3, 4)),
    (5, (0, 2, 4, 6)),
    (7, (0, 2, 4, 6, 8)),
    (11, (0, 5, 10, 15)),
    (20, (0, 5, 10, 15, 20)),
    (58, (0, 20, 40, 60)),  # 31 → 58 a week: the top tick covers the highest bar
    (60, (0, 20, 40, 60)),
    (100, (0, 50, 100)),
    (1234, (0, 500, 1000, 1500)),
])
def test_ticks_are_round_steps_from_zero_covering_the_highest_value(high, ticks):
    assert charts.nice_ticks(high) == ticks


@pytest.mark.parametrize(("high", "ticks"), [
    (10, (0, 2.5, 5, 7.5, 10)),
    (0.9, (0, 0.25, 0.5, 0.75, 1)),
    (0.3, (0, 0.1, 0.2, 0.3)),
])
def test_fractional_ticks_allow_steps_of_two_and_a_half(high, ticks):
    assert charts.nice_ticks(high, whole=False) == ticks


@pytest.mark.parametrize(("texts", "band", "stride"), [
    ([], 20, 1),
    (["1"], 20, 1),                # 7.8 + 6 fits in 20
    (["24 Nov"], 23.3, 3),         # 6 × 7.8 + 6 = 52.8 units: every third of twelve weeks
    (["24. Nov."], 23.3, 3),       # 8 × 7.8 + 6 = 68.4 ≤ 69.9
    (["24. Sept."], 23.3, 4),      # 9 × 7.8 + 6 = 76.2 > 69.9
    (["24 Nov"], 60, 1),
    (["24 Nov"], 0, 1),
])
def test_week_labels_are_thinned_so_that_none_overlaps_the_next(texts, band, stride):
    assert charts.label_stride(texts, band) == stride


@pytest.mark.parametrize(("flags", "found"), [
    ([], ()),
    ([False, False], ()),
    ([True], ((0, 0),)),
    ([False, True, True, False, True], ((1, 2), (4, 4))),
    ([True, True, True], ((0, 2),)),
])
def test_shaded_weeks_are_drawn_as_one_band_per_run(flags, found):
    assert charts.runs(flags) == found


def test_bars_stand_on_the_baseline_in_the_middle_of_their_week():
    chart = charts.bar_chart([31, 40, 58, 12], ["a", "b", "c", "d"], partial_last=True)
    band = (chart.right - chart.left) / 4
    assert [t.value for t in chart.ticks] == [0, 20, 40, 60]
    assert chart.ticks[0].y == chart.bottom and chart.ticks[-1].y == chart.top
    for i, bar in enumerate(chart.bars):
        assert bar.y + bar.height == pytest.approx(chart.bottom, abs=0.11)
        centre = chart.left + (i + 0.5) * band
        assert bar.x + bar.width / 2 == pytest.approx(centre, abs=0.11)
        assert bar.width == pytest.approx(band * charts.BAR_SHARE, abs=0.06)
    # heights in proportion to the values on the 0–60 scale
    plot = chart.bottom - chart.top
    assert [b.height for b in chart.bars] == pytest.approx([plot * v / 60 for v in (31, 40, 58, 12)], abs=0.11)
    assert [b.partial for b in chart.bars] == [False, False, False, True]


def test_a_zero_week_has_no_height_and_an_all_zero_chart_a_unit_scale():
    chart = charts.bar_chart([0, 0, 0], ["a", "b", "c"])
    assert [t.value for t in chart.ticks] == [0, 1]
    assert all(b.height == 0 and b.y == chart.bottom for b in chart.bars)


def test_the_left_margin_fits_the_widest_tick_label():
    narrow = charts.bar_chart([5], ["a"])
    wide = charts.bar_chart([1500], ["a"], tick_label=lambda v: f"{v:,.0f}")
    assert narrow.left == pytest.approx(1 * charts.CHAR + charts.TICK_GAP + charts.EDGE, abs=0.06)
    assert wide.left == pytest.approx(5 * charts.CHAR + charts.TICK_GAP + charts.EDGE, abs=0.06)  # "1,500"


def test_the_latest_week_is_always_labelled_and_labels_do_not_crowd():
    labels = [f"{d} Nov" for d in range(10, 22)]  # twelve weeks, six characters each
    chart = charts.bar_chart([1] * 12, labels)
    shown = [label.index for label in chart.labels]
    assert shown[-1] == 11 and shown == [2, 5, 8, 11]
    gaps = [b.x - a.x for a, b in zip(chart.labels, chart.labels[1:])]
    assert min(gaps) >= 6 * charts.CHAR


def test_shaded_weeks_span_the_plot_height_over_their_weeks():
    chart = charts.bar_chart([1, 2, 3, 4, 5], list("abcde"), shaded=[False, True, True, False, True])
    band = (chart.right - chart.left) / 5
    first, second = chart.bands
    assert (first.first, first.last, second.first, second.last) == (1, 2, 4, 4)
    assert first.x == pytest.approx(chart.left + band, abs=0.06)
    assert first.width == pytest.approx(2 * band, abs=0.06)
    assert (first.y, first.height) == (chart.top, chart.bottom - chart.top)
    assert second.x + second.width == pytest.approx(chart.right, abs=0.11)


def test_a_goal_is_a_step_per_week_and_counts_for_the_scale():
    chart = charts.bar_chart([3, 4, 2], ["a", "b", "c"], goal=[15, 9, None])
    assert [t.value for t in chart.ticks][-1] == 15  # the goal, not the bars, sets the top
    band = (chart.right - chart.left) / 3
    steps = [tuple(map(float, m)) for m in re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)", chart.goal)]
    assert len(steps) == 2  # the week without a goal has no step
    plot = chart.bottom - chart.top
    expected = [(chart.left, chart.top, band), (chart.left + band, chart.bottom - plot * 9 / 15, band)]
    assert steps == [pytest.approx(e, abs=0.11) for e in expected]


def test_a_line_breaks_where_a_week_has_no_value_and_reaches_a_partial_week_apart():
    chart = charts.line_chart([50, None, 80, 90, 95], list("abcde"), high=100, partial_last=True)
    assert [t.value for t in chart.ticks] == [0, 25, 50, 75, 100]
    assert [p.index for p in chart.points] == [0, 2, 3, 4]
    p = {point.index: point for point in chart.points}
    assert chart.line == f"M{p[0].x} {p[0].y}M{p[2].x} {p[2].y}L{p[3].x} {p[3].y}"
    assert chart.partial_line == f"M{p[3].x} {p[3].y}L{p[4].x} {p[4].y}"
    assert p[4].partial and not p[3].partial
    assert p[0].y == pytest.approx(chart.bottom - (chart.bottom - chart.top) / 2, abs=0.06)


def test_a_partial_week_after_a_gap_is_a_lone_point():
    chart = charts.line_chart([50, None, 70], list("abc"), high=100, partial_last=True)
    assert chart.partial_line == "" and chart.points[-1].partial


def test_a_line_without_a_fixed_top_scales_to_its_values():
    chart = charts.line_chart([None, None], ["a", "b"])
    assert chart.points == () and chart.line == "" and [t.value for t in chart.ticks] == [0, 1]
    assert [t.value for t in charts.line_chart([3, 7], ["a", "b"]).ticks] == [0, 2, 4, 6, 8]


def test_values_beyond_the_scale_are_clamped_into_the_plot():
    chart = charts.line_chart([120, -5], ["a", "b"], high=100)
    assert chart.points[0].y == chart.top and chart.points[1].y == chart.bottom


def test_a_sparkline_scales_to_its_own_highest_week():
    chart = charts.sparkline([0, 5, 10], shaded=[False, True, False], partial_last=True)
    assert (chart.width, chart.height) == (charts.SPARK_WIDTH, charts.SPARK_HEIGHT)
    assert chart.bars[2].y == 1 and chart.bars[0].height == 0
    assert chart.bars[1].height == pytest.approx(chart.bars[2].height / 2, abs=0.06)
    assert chart.bars[2].partial and [(b.first, b.last) for b in chart.bands] == [(1, 1)]
    assert all(b.height == 0 for b in charts.sparkline([0, 0]).bars)


@pytest.mark.parametrize(("values", "shaded", "partial", "expected"), [
    ([31, 30, 58, 58, 40], [False, False, True, True, False], False, (58, 101 / 3, 2, 3)),
    ([31, 30, 58, 58, 4], [False, False, True, True, True], True, (58, 30.5, 2, 2)),  # this week is partial
    ([None, 80, 90], [True, True, False], False, (80, 90, 1, 1)),  # a week without a value counts nowhere
    ([5, 6], [False, False], False, (None, 5.5, 0, 2)),
    ([], [], True, (None, None, 0, 0)),
])
def test_means_inside_and_outside_the_shaded_weeks(values, shaded, partial, expected):
    split = charts.split_means(values, shaded, partial_last=partial)
    assert (split.shaded_weeks, split.other_weeks) == expected[2:]
    for got, want in ((split.shaded, expected[0]), (split.other, expected[1])):
        assert got == (None if want is None else pytest.approx(want))


def test_a_shaded_run_is_labelled_from_its_left_edge_unless_the_label_would_leave_the_chart():
    chart = charts.bar_chart([1] * 12, ["w"] * 12, shaded=[True] + [False] * 9 + [False, True], band_label="Crisis")
    left, right = chart.bands
    assert (left.label_x, left.anchor) == (left.x, "start")
    assert right.anchor == "end" and right.label_x == pytest.approx(chart.right, abs=0.11)
    assert right.label_x - len("Crisis") * charts.CHAR >= chart.left


def test_a_label_that_would_leave_the_chart_on_the_right_ends_at_its_edge():
    chart = charts.bar_chart([1] * 12, ["30. Nov."] * 12)  # centred at 302, it would reach 333
    *others, last = chart.labels
    assert (last.anchor, last.x) == ("end", chart.width)
    assert others and all(label.anchor == "middle" for label in others)
    assert charts.bar_chart([1] * 12, ["W48"] * 12).labels[-1].anchor == "middle"  # reaches 314
