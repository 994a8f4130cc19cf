"""Server-rendered SVG charts: lines and areas over time buckets, bars, histograms.

The charts are plain SVG strings built here, with every piece of text escaped,
returned as ``Markup`` so templates embed them without ``|safe``. Colours come
from CSS classes (``s0`` ... ``s7``) so the light and dark themes restyle them.
A compact ``data-chart`` JSON attribute lets ``heron.js`` show a tooltip on
hover; without JavaScript the chart still reads (axes, labels, legend).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from markupsafe import Markup, escape

from heron.ui.format import format_cost, format_count, format_ms, format_pct, format_tokens

__all__ = [
    "INTEGER_UNITS",
    "UNITS",
    "Series",
    "Unit",
    "bar_chart",
    "fill_buckets",
    "format_value",
    "histogram",
    "line_chart",
    "nice_ticks",
    "time_ticks",
]

Unit = Literal["count", "rate", "ms", "cost", "tokens", "pct", "score"]
INTEGER_UNITS: frozenset[str] = frozenset({"count", "tokens"})
"""Units whose values are whole numbers: their axes get whole-number ticks only."""


def _count_label(value: float) -> str:
    # A fractional tick must not print as its truncation ("0.25" as "0").
    if float(value).is_integer():
        return format_count(value)
    return f"{value:,.2f}".rstrip("0").rstrip(".")


UNITS: dict[str, Callable[[float], str]] = {
    "count": _count_label,
    "rate": lambda v: f"{v:.2f}" if v < 10 else f"{v:,.0f}",
    "ms": format_ms,
    "cost": lambda v: f"${v:.3g}" if 0 < abs(v) < 1 else format_cost(v),
    "tokens": format_tokens,
    "pct": lambda v: format_pct(v, 0 if v >= 0.1 or v == 0 else 1),
    "score": lambda v: f"{v:.2f}",
}
PALETTE_SIZE = 8
_W, _H = 640, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 14, 10, 24


def format_value(value: float, unit: Unit) -> str:
    """A value as the axis and tooltips show it."""
    return UNITS[unit](value)


@dataclass(frozen=True, slots=True)
class Series:
    """One named line: points in time order; ``None`` values leave a gap."""

    name: str
    points: Sequence[tuple[datetime, float | None]]


def nice_ticks(low: float, high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering ``low..high``.

    ``integer`` keeps the step a whole number (at least 1, never 2.5), for axes
    of counts: a histogram whose tallest bar is 1 gets ``0, 1``, not five
    fractional ticks that all print as ``0``.
    """
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    if integer:
        raw = max(raw, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    step = next(
        m * power
        for m in (1, 2, 2.5, 5, 10)
        if m * power >= raw and (not integer or float(m * power).is_integer())
    )
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 12))
        value += step
    return ticks


_TIME_STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
    timedelta(days=14),
    timedelta(days=30),
)


def time_ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    """Round instants (whole minutes, hours, days in UTC) between ``start`` and ``end``."""
    span = end - start
    step = next((s for s in _TIME_STEPS if span / s <= count), _TIME_STEPS[-1])
    seconds = int(step.total_seconds())
    first = math.ceil(start.timestamp() / seconds) * seconds
    ticks = []
    t = first
    while t <= end.timestamp():
        ticks.append(datetime.fromtimestamp(t, tz=UTC))
        t += seconds
    return ticks


def fill_buckets(
    values: Mapping[datetime, float | None],
    start: datetime,
    end: datetime,
    step: timedelta,
    fill: float | None,
) -> list[tuple[datetime, float | None]]:
    """Every bucket from ``start`` to ``end``; a bucket with no row gets ``fill``.

    Stats rows exist only for buckets with traffic: a missing bucket means zero
    requests (``fill=0``) but an unknown latency (``fill=None``, a gap).
    """
    seconds = int(step.total_seconds())
    t = math.floor(start.timestamp() / seconds) * seconds
    by_ts = {int(k.timestamp()): v for k, v in values.items()}
    out: list[tuple[datetime, float | None]] = []
    while t < end.timestamp():
        out.append((datetime.fromtimestamp(t, tz=UTC), by_ts.get(t, fill)))
        t += seconds
    return out


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _time_label(value: datetime, span: timedelta) -> str:
    if span <= timedelta(days=2):
        return value.strftime("%H:%M")
    return value.strftime("%b %d")


def _figure(title: str, svg: str, legend: Sequence[str], data: str | None, empty: bool) -> Markup:
    parts = [f'<figure class="chart{" chart-empty" if empty else ""}"']
    if data is not None:
        parts.append(f' data-chart="{escape(data)}"')
    parts.append(f"><figcaption>{escape(title)}</figcaption>{svg}")
    if legend:
        items = "".join(
            f'<li><span class="swatch s{i % PALETTE_SIZE}" aria-hidden="true"></span>'
            f"{escape(name)}</li>"
            for i, name in enumerate(legend)
        )
        parts.append(f'<ul class="legend">{items}</ul>')
    parts.append("</figure>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped


def _svg_open(title: str, height: int) -> str:
    return (
        f'<svg viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
    )


def _empty(title: str, height: int, message: str) -> Markup:
    height = min(height, 110)  # an empty chart needs room for its message only
    svg = (
        _svg_open(title, height)
        + f'<text class="empty" x="{_W / 2}" y="{height / 2}" text-anchor="middle">'
        + f"{escape(message)}</text></svg>"
    )
    return _figure(title, svg, (), None, True)


def _y_axis(ticks: Sequence[float], y: Callable[[float], float], unit: Unit) -> list[str]:
    out = []
    for tick in ticks:
        py = _num(y(tick))
        out.append(f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py}" y2="{py}"/>')
        out.append(
            f'<text class="tick" x="{_LEFT - 6}" y="{py}" dy="0.32em" text-anchor="end">'
            f"{escape(format_value(tick, unit))}</text>"
        )
    return out


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    start: datetime,
    end: datetime,
    unit: Unit = "count",
    area: bool = False,
    height: int = _H,
    empty_message: str = "No data in this time range",
) -> Markup:
    """Lines (or filled areas) of values over time, one per series, on a shared y axis."""
    values = [v for s in series for _, v in s.points if v is not None and math.isfinite(v)]
    if not values or end <= start:
        return _empty(title, height, empty_message)
    ticks = nice_ticks(min(0.0, min(values)), max(values), integer=unit in INTEGER_UNITS)
    lo, hi = ticks[0], ticks[-1]
    plot_h = height - _TOP - _BOTTOM
    t0, span_s = start.timestamp(), (end - start).total_seconds()

    def x(t: datetime) -> float:
        return _LEFT + (t.timestamp() - t0) / span_s * (_W - _LEFT - _RIGHT)

    def y(v: float) -> float:
        return _TOP + plot_h - (v - lo) / (hi - lo) * plot_h

    parts = [_svg_open(title, height), *_y_axis(ticks, y, unit)]
    for tick in time_ticks(start, end):
        px = _num(x(tick))
        parts.append(
            f'<text class="tick" x="{px}" y="{height - 6}" text-anchor="middle">'
            f"{escape(_time_label(tick, end - start))}</text>"
        )
    base = _num(y(max(lo, 0.0)))
    for index, s in enumerate(series):
        cls = f"s{index % PALETTE_SIZE}"
        for segment in _segments(s.points):
            coords = [(_num(x(t)), _num(y(v))) for t, v in segment]
            if len(coords) == 1:
                cx, cy = coords[0]
                parts.append(f'<circle class="dot {cls}" cx="{cx}" cy="{cy}" r="2.5"/>')
                continue
            line = " ".join(f"{px},{py}" for px, py in coords)
            if area:
                parts.append(
                    f'<polygon class="area {cls}" points="{coords[0][0]},{base} {line} '
                    f'{coords[-1][0]},{base}"/>'
                )
            parts.append(f'<polyline class="line {cls}" points="{line}"/>')
    parts.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{base}" y2="{base}"/></svg>'
    )
    hover = _hover_data(series, unit, x)
    return _figure(title, "".join(parts), [s.name for s in series], hover, False)


def _segments(
    points: Sequence[tuple[datetime, float | None]],
) -> list[list[tuple[datetime, float]]]:
    """Runs of consecutive known values (a ``None`` breaks the line)."""
    out: list[list[tuple[datetime, float]]] = [[]]
    for t, v in points:
        if v is None or not math.isfinite(v):
            if out[-1]:
                out.append([])
        else:
            out[-1].append((t, v))
    return [seg for seg in out if seg]


def _hover_data(series: Sequence[Series], unit: Unit, x: Callable[[datetime], float]) -> str:
    """What the tooltip script needs: instants, their x positions, each series' values."""
    times = sorted({t for s in series for t, _ in s.points})
    index = {t: i for i, t in enumerate(times)}
    rows = []
    for s in series:
        vals: list[float | None] = [None] * len(times)
        for t, v in s.points:
            vals[index[t]] = None if v is None or not math.isfinite(v) else round(v, 6)
        rows.append({"n": s.name, "v": vals})
    return json.dumps(
        {
            "t": [int(t.timestamp()) for t in times],
            "x": [round(x(t), 1) for t in times],
            "s": rows,
            "u": unit,
            "w": _W,
        },
        separators=(",", ":"),
    )


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: Unit = "count",
    empty_message: str = "No data in this time range",
) -> Markup:
    """Horizontal bars, one per labelled value, in the order given."""
    if not items:
        return _empty(title, 80, empty_message)
    row = 24
    height = _TOP + row * len(items) + _BOTTOM
    top = max(max(v for _, v in items), 0.0)
    ticks = nice_ticks(0.0, top or 1.0, 4, integer=unit in INTEGER_UNITS)
    label_w = 150
    x_max = _W - _RIGHT - 60

    def x(v: float) -> float:
        return label_w + v / ticks[-1] * (x_max - label_w)

    parts = [_svg_open(title, height)]
    for tick in ticks:
        px = _num(x(tick))
        parts.append(
            f'<line class="grid" x1="{px}" x2="{px}" y1="{_TOP}" y2="{height - _BOTTOM}"/>'
        )
        parts.append(
            f'<text class="tick" x="{px}" y="{height - 6}" text-anchor="middle">'
            f"{escape(format_value(tick, unit))}</text>"
        )
    for i, (label, value) in enumerate(items):
        top_y = _TOP + i * row
        shown = label if len(label) <= 22 else label[:21] + "…"
        width = max(x(max(value, 0.0)) - label_w, 0.0)
        parts.append(
            f"<g><title>{escape(label)}: {escape(format_value(value, unit))}</title>"
            f'<text class="label" x="{label_w - 8}" y="{top_y + row / 2}" dy="0.32em" '
            f'text-anchor="end">{escape(shown)}</text>'
            f'<rect class="bar s0" x="{label_w}" y="{top_y + 4}" width="{_num(width)}" '
            f'height="{row - 8}" rx="2"/>'
            f'<text class="value" x="{_num(label_w + width + 6)}" y="{top_y + row / 2}" '
            f'dy="0.32em">{escape(format_value(value, unit))}</text></g>'
        )
    parts.append("</svg>")
    return _figure(title, "".join(parts), (), None, False)


def histogram(
    values: Sequence[float],
    *,
    title: str,
    unit: Unit = "ms",
    bins: int = 20,
    height: int = 160,
    empty_message: str = "No values to show",
) -> Markup:
    """The distribution of ``values`` as vertical bars over equal-width bins."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return _empty(title, height, empty_message)
    edges = nice_ticks(min(finite), max(finite), bins)
    if len(edges) < 2:
        edges = [edges[0], edges[0] + 1]
    counts = [0] * (len(edges) - 1)
    width = edges[1] - edges[0]
    for v in finite:
        counts[min(int((v - edges[0]) / width), len(counts) - 1)] += 1
    yticks = nice_ticks(0.0, float(max(counts)), 4, integer=True)
    plot_h = height - _TOP - _BOTTOM
    slot = (_W - _LEFT - _RIGHT) / len(counts)

    def y(v: float) -> float:
        return _TOP + plot_h - v / yticks[-1] * plot_h

    parts = [_svg_open(title, height), *_y_axis(yticks, y, "count")]
    label_every = max(1, math.ceil(len(edges) / 6))
    for i, edge in enumerate(edges):
        if i % label_every == 0:
            parts.append(
                f'<text class="tick" x="{_num(_LEFT + i * slot)}" y="{height - 6}" '
                f'text-anchor="middle">{escape(format_value(edge, unit))}</text>'
            )
    for i, count in enumerate(counts):
        top_y = y(count)
        parts.append(
            f'<rect class="bar s0" x="{_num(_LEFT + i * slot + 1)}" y="{_num(top_y)}" '
            f'width="{_num(max(slot - 2, 1))}" height="{_num(_TOP + plot_h - top_y)}">'
            f"<title>{escape(format_value(edges[i], unit))} to "
            f"{escape(format_value(edges[i + 1], unit))}: {count}</title></rect>"
        )
    parts.append("</svg>")
    return _figure(title, "".join(parts), (), None, False)
