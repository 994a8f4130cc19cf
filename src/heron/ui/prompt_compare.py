"""What a template page compares, and the comparison as table rows.

A template (one hash: one template text) is compared with itself across its
recorded versions (``prompt_template_version``), with another template the user
picks (a reworded prompt has a new hash), or with itself before and after the
middle of the range. The numbers and tests come from
:func:`heron.analytics.compare_sides`; this module only chooses the sides and
turns the result into text for the page.

Unasked, the page shows each version's figures side by side (one grouping set
of the template's aggregate, no extra scan). The significance tests run when
the user asks (``vs=versions``, ``vs=split`` or another hash; plain links and
forms): they rank every call's latency and cost and count errors and judged
hallucinations per side, ~400-600 ms at 1M spans for one template with ~370k
calls in 24 h, which would more than double the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from heron.analytics import TEMPLATE_HASH_PATTERN
from heron.errors import QueryError
from heron.model import TimeRange
from heron.model.analytics import CompareSide
from heron.ui.format import MISSING, format_cost, format_ms, format_pct, format_score

__all__ = ["HASH_PATTERN", "ComparePlan", "CompareRow", "compare_rows", "plan_comparison"]

HASH_PATTERN: Final = re.compile(TEMPLATE_HASH_PATTERN)
"""Template hashes accepted in URLs (the REST API's pattern)."""


@dataclass(frozen=True, slots=True)
class ComparePlan:
    """The two sides to compare and how the page names them."""

    mode: str
    """``versions``, ``template`` (another hash) or ``split`` (before/after the middle)."""
    a: CompareSide
    b: CompareSide
    a_label: str
    b_label: str


def plan_comparison(
    template_hash: str, versions: Sequence[str], time: TimeRange, params: Mapping[str, str]
) -> ComparePlan | None:
    """The comparison asked for by ``vs`` / ``a_version`` / ``b_version``.

    ``vs`` is ``versions`` (the two newest unless ``a_version``/``b_version``
    say otherwise), ``split``, another template's hash, or empty: None, nothing
    is tested until the user asks.
    """
    vs = (params.get("vs") or "").strip()
    if not vs:
        return None
    if vs == "versions":
        if len(versions) < 2:
            raise QueryError(
                f"template {template_hash} has {len(versions)} recorded version(s) in this "
                "range; compare with another template or before/after instead"
            )
        a_version = params.get("a_version") or versions[-2]
        b_version = params.get("b_version") or versions[-1]
        unknown = [v for v in (a_version, b_version) if v not in versions]
        if unknown:
            raise QueryError(
                f"version {unknown[0]!r} of template {template_hash} has no calls in this "
                f"range; pick one of {', '.join(versions)}"
            )
        if a_version == b_version:
            raise QueryError("pick two different versions to compare")
        return ComparePlan(
            "versions",
            CompareSide(template_hash, time, a_version),
            CompareSide(template_hash, time, b_version),
            f"version {a_version}",
            f"version {b_version}",
        )
    if vs == "split":
        middle = time.start + (time.end - time.start) / 2
        return ComparePlan(
            "split",
            CompareSide(template_hash, TimeRange(time.start, middle)),
            CompareSide(template_hash, TimeRange(middle, time.end)),
            "first half of the range",
            "second half of the range",
        )
    if not HASH_PATTERN.match(vs) or vs == template_hash:
        raise QueryError(
            f"cannot compare with {vs!r}: give another template's hash, 'versions' or 'split'"
        )
    return ComparePlan(
        "template",
        CompareSide(template_hash, time),
        CompareSide(vs, time),
        f"this template ({template_hash[:12]})",
        f"template {vs[:12]}",
    )


@dataclass(frozen=True, slots=True)
class CompareRow:
    """One measure of the comparison, ready to print."""

    label: str
    a: str
    a_n: int
    b: str
    b_n: int
    difference: str
    p_value: str
    test: str
    verdict: str
    """``worse``, ``better``, ``no_significant_change`` or ``insufficient_data``."""


# metric -> (label, formatter of a value, formatter of a difference)
_SHOWN: Final[dict[str, tuple[str, Callable[[Any], str], Callable[[float], str]]]] = {
    "score": ("Quality (mean score)", format_score, lambda d: f"{d:+.2f}"),
    "error_rate": ("Error rate", format_pct, lambda d: f"{d * 100:+.1f} pts"),
    "hallucination_rate": (
        "Hallucination rate",
        format_pct,
        lambda d: f"{d * 100:+.1f} pts",
    ),
    "latency_ms": (
        "Latency (mean)",
        format_ms,
        lambda d: ("+" if d >= 0 else "-") + format_ms(abs(d)),
    ),
    "cost_usd": (
        "Cost per call (mean)",
        format_cost,
        lambda d: ("+" if d >= 0 else "-") + format_cost(abs(d)),
    ),
}
_TESTS: Final = {
    "mann_whitney_u": "Mann-Whitney U",
    "two_proportion_z": "two-proportion z",
    "fisher_exact": "Fisher exact",
}


def _side_value(side: Mapping[str, Any]) -> Any:
    return side["rate"] if "rate" in side else side["mean"]


def _p_text(p_value: float | None) -> str:
    if p_value is None:
        return MISSING
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def compare_rows(result: Mapping[str, Any]) -> list[CompareRow]:
    """The measures of a ``compare_sides`` result in the page's order."""
    metrics = result["metrics"]
    rows = []
    for name, (label, fmt, diff_fmt) in _SHOWN.items():
        metric = metrics.get(name)
        if metric is None:
            continue
        a_value, b_value = _side_value(metric["a"]), _side_value(metric["b"])
        difference = metric.get("difference")
        rows.append(
            CompareRow(
                label=label,
                a=fmt(a_value) if a_value is not None else MISSING,
                a_n=int(metric["a"]["n"]),
                b=fmt(b_value) if b_value is not None else MISSING,
                b_n=int(metric["b"]["n"]),
                difference=diff_fmt(float(difference)) if difference is not None else MISSING,
                p_value=_p_text(metric.get("p_value")),
                # No p-value, no test run: naming one would suggest a result that is not there.
                test=(
                    _TESTS.get(str(metric.get("test")), MISSING)
                    if metric.get("p_value") is not None
                    else MISSING
                ),
                verdict=str(metric["verdict"]),
            )
        )
    return rows
