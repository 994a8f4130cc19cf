"""The SVG chart module: scales, ticks, bucket filling, escaping and well-formed output."""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from heron.ui.charts import (
    Series,
    bar_chart,
    fill_buckets,
    format_value,
    histogram,
    line_chart,
    nice_ticks,
    time_ticks,
)

T0 = datetime(2026, 1, 31, 0, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def parse(markup: object) -> ET.Element:
    """Charts are XML-well-formed: parse them like a browser's SVG parser would."""
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def points(poly: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in poly.attrib["points"].split()]  # type: ignore[misc]


@pytest.mark.parametrize(("low", "high"), [(0, 0.37), (0, 1234), (3, 7), (0, 1), (-5, 5), (0, 0)])
def test_nice_ticks_cover_the_range_with_round_steps(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low
    assert ticks[-1] >= high
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    mantissa = float(f"{steps.pop():e}".split("e")[0])
    assert mantissa in (1.0, 2.0, 2.5, 5.0)


def test_time_ticks_are_round_and_inside_the_range() -> None:
    start, end = T0 + timedelta(minutes=7), T0 + timedelta(hours=24, minutes=7)
    ticks = time_ticks(start, end)
    assert 3 <= len(ticks) <= 7
    assert all(start <= t <= end for t in ticks)
    assert all(t.minute == 0 and t.second == 0 for t in ticks)


def test_fill_buckets_gives_every_bucket_and_fills_the_missing() -> None:
    filled = fill_buckets({minutes(2): 5.0}, minutes(0), minutes(5), timedelta(minutes=1), 0.0)
    assert [t for t, _ in filled] == [minutes(i) for i in range(5)]
    assert [v for _, v in filled] == [0.0, 0.0, 5.0, 0.0, 0.0]
    gaps = fill_buckets({minutes(2): 5.0}, minutes(0), minutes(3), timedelta(minutes=1), None)
    assert [v for _, v in gaps] == [None, None, 5.0]


def test_line_chart_draws_one_polyline_per_series_scaled_to_the_axis() -> None:
    up = Series("up", [(minutes(i), float(i)) for i in range(10)])
    flat = Series("flat", [(minutes(i), 2.0) for i in range(10)])
    svg = parse(line_chart([up, flat], title="t", start=minutes(0), end=minutes(10)))
    lines = svg.iter(f"{SVG}polyline")
    first, second = next(lines), next(lines)
    assert "s0" in first.attrib["class"]
    assert "s1" in second.attrib["class"]
    ys = [y for _, y in points(first)]
    assert ys == sorted(ys, reverse=True)  # growing values go up the screen
    xs = [x for x, _ in points(first)]
    assert xs == sorted(xs)
    assert len({y for _, y in points(second)}) == 1
    legend = ["".join(li.itertext()) for li in svg.iter("li")]
    assert legend == ["up", "flat"]


def test_a_missing_value_splits_the_line() -> None:
    pts = [(minutes(i), None if i == 4 else 1.0 + i) for i in range(8)]
    svg = parse(line_chart([Series("s", pts)], title="gap", start=minutes(0), end=minutes(8)))
    assert len(list(svg.iter(f"{SVG}polyline"))) == 2


def test_an_isolated_point_is_drawn_as_a_dot() -> None:
    pts = [(minutes(0), None), (minutes(1), 3.0), (minutes(2), None)]
    svg = parse(line_chart([Series("s", pts)], title="dot", start=minutes(0), end=minutes(3)))
    assert len(list(svg.iter(f"{SVG}circle"))) == 1
    assert not list(svg.iter(f"{SVG}polyline"))


def test_area_chart_fills_under_the_line() -> None:
    pts = [(minutes(i), float(i % 3)) for i in range(6)]
    svg = parse(
        line_chart([Series("s", pts)], title="a", start=minutes(0), end=minutes(6), area=True)
    )
    assert len(list(svg.iter(f"{SVG}polygon"))) == 1


def test_no_data_says_so() -> None:
    chart = line_chart(
        [Series("s", [(minutes(0), None)])],
        title="Latency",
        start=minutes(0),
        end=minutes(5),
        empty_message="Nothing here yet",
    )
    assert "Nothing here yet" in str(chart)
    assert "chart-empty" in str(chart)


def test_hover_data_carries_every_series_value() -> None:
    pts = [(minutes(i), float(i)) for i in range(3)]
    chart = str(
        line_chart([Series("a", pts)], title="h", start=minutes(0), end=minutes(3), unit="ms")
    )
    raw = re.search(r'data-chart="([^"]*)"', chart)
    assert raw is not None
    data = json.loads(raw.group(1).replace("&#34;", '"'))
    assert data["u"] == "ms"
    assert data["s"][0]["v"] == [0.0, 1.0, 2.0]
    assert len(data["x"]) == 3
    assert data["x"] == sorted(data["x"])


def test_hostile_names_and_titles_are_escaped() -> None:
    evil = '<script>alert(1)</script>"onload="x'
    pts = [(minutes(i), 1.0) for i in range(3)]
    charts = [
        line_chart([Series(evil, pts)], title=evil, start=minutes(0), end=minutes(3)),
        bar_chart([(evil, 3.0)], title=evil),
        histogram([1.0, 2.0], title=evil),
        line_chart([], title=evil, start=minutes(0), end=minutes(3), empty_message=evil),
    ]
    for chart in charts:
        text = str(chart)
        assert "<script>" not in text
        assert '"onload="' not in text
        assert "&lt;script&gt;" in text
        parse(chart)  # still well-formed


def test_bar_chart_widths_are_proportional() -> None:
    svg = parse(bar_chart([("a", 10.0), ("b", 5.0), ("c", 0.0)], title="bars", unit="cost"))
    widths = [float(r.attrib["width"]) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[2] == 0


def test_histogram_counts_every_value_once() -> None:
    values = [10.0, 12.0, 250.0, 260.0, 270.0, 990.0]
    chart = str(histogram(values, title="latency", bins=10))
    counts = [int(c) for c in re.findall(r":\s(\d+)</title></rect>", chart)]
    assert sum(counts) == len(values)
    assert max(counts) == 3


@pytest.mark.parametrize("high", [1, 2, 3, 4, 7, 10, 13, 99, 1234])
def test_integer_ticks_are_whole_distinct_and_cover_the_count(high: int) -> None:
    ticks = nice_ticks(0.0, float(high), 4, integer=True)
    assert all(float(t).is_integer() for t in ticks)
    assert ticks[0] == 0
    assert ticks[-1] >= high
    labels = [format_value(t, "count") for t in ticks]
    assert len(set(labels)) == len(labels)


def test_fractional_count_ticks_are_not_truncated() -> None:
    labels = [format_value(t, "count") for t in nice_ticks(0.0, 1.0, 4)]
    assert len(set(labels)) == len(labels)
    assert labels[-1] == "1"


def test_histogram_of_few_values_has_whole_count_ticks() -> None:
    # One score per bin: the tallest bar is 1, the y axis must read 0 and 1, not 0 0 0 0 1.
    chart = parse(histogram([0.1, 0.5, 0.9], title="scores", unit="score", bins=10))
    labels = [t.text for t in chart.iter(f"{SVG}text") if t.attrib.get("text-anchor") == "end"]
    assert labels == ["0", "1"]
