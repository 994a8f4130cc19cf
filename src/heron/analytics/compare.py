"""Version comparison: is version b of a prompt worse than version a, and how sure are we?

Each measure gets the test suited to it: Mann-Whitney U for latency, cost and
scores (skewed, not normal), a two-proportion test for error and hallucination
rates. ``significant`` needs p < alpha *and* at least ``min_n`` samples per
side; below that ``insufficient_data`` is set and the verdict says so, so
nobody ships (or rolls back) on a dozen calls.
"""

from __future__ import annotations

from typing import Any

from heron.analytics.source import AnalyticsSource
from heron.analytics.stats import ALPHA, MIN_SAMPLES, mann_whitney_from_ranks, two_proportions
from heron.model import format_time
from heron.model.analytics import CompareSide, CountGroup, RankSample

__all__ = ["compare_sides", "side_dict"]

# Measure -> (source measure, True when higher is worse).
_RANKED = {"latency_ms": ("latency", True), "cost_usd": ("cost", True), "score": ("score", False)}
_COUNTED = {"error_rate": ("errors", True), "hallucination_rate": ("hallucinations", True)}


def side_dict(side: CompareSide) -> dict[str, Any]:
    """A side as echoed in the response."""
    return {
        "prompt_template_hash": side.template_hash,
        "version": side.version,
        "start": format_time(side.time.start),
        "end": format_time(side.time.end),
    }


def _verdict(significant: bool, insufficient: bool, worse: bool | None) -> str:
    if insufficient:
        return "insufficient_data"
    if not significant or worse is None:
        return "no_significant_change"
    return "worse" if worse else "better"


def _ranked(sample: RankSample, higher_is_worse: bool, min_n: int, alpha: float) -> dict[str, Any]:
    a, b = sample.groups.get("a"), sample.groups.get("b")
    result: dict[str, Any] = {
        "test": "mann_whitney_u",
        "a": {
            "n": a.n if a else 0,
            "mean": a.mean if a else None,
            "median": a.median if a else None,
        },
        "b": {
            "n": b.n if b else 0,
            "mean": b.mean if b else None,
            "median": b.median if b else None,
        },
    }
    n_a, n_b = (a.n if a else 0), (b.n if b else 0)
    insufficient = min(n_a, n_b) < min_n
    if a is None or b is None:
        result.update(
            difference=None,
            relative_difference=None,
            statistic=None,
            p_value=None,
            effect_size=None,
            significant=False,
            insufficient_data=True,
            verdict="insufficient_data",
        )
        return result
    # b against a: a positive effect means b's values tend to be larger.
    test = mann_whitney_from_ranks(b.n, a.n, b.rank_sum, sample.tie_term)
    significant = test.p_value < alpha and not insufficient
    worse = (test.rank_biserial > 0) == higher_is_worse if test.rank_biserial != 0 else None
    result.update(
        difference=b.mean - a.mean,
        relative_difference=(b.mean - a.mean) / a.mean if a.mean else None,
        statistic=test.u,
        z=test.z,
        p_value=test.p_value,
        effect_size={"name": "rank_biserial", "value": test.rank_biserial},
        significant=significant,
        insufficient_data=insufficient,
        verdict=_verdict(significant, insufficient, worse),
    )
    return result


def _counted(
    groups: dict[str, CountGroup], higher_is_worse: bool, min_n: int, alpha: float
) -> dict[str, Any]:
    a, b = groups.get("a"), groups.get("b")

    def part(g: CountGroup | None) -> dict[str, Any]:
        return {"n": g.n if g else 0, "count": g.x if g else 0, "rate": g.x / g.n if g else None}

    result: dict[str, Any] = {"a": part(a), "b": part(b)}
    insufficient = min(a.n if a else 0, b.n if b else 0) < min_n
    if a is None or b is None:
        result.update(
            test=None,
            difference=None,
            statistic=None,
            p_value=None,
            effect_size=None,
            significant=False,
            insufficient_data=True,
            verdict="insufficient_data",
        )
        return result
    test = two_proportions(b.x, b.n, a.x, a.n)
    significant = test.p_value < alpha and not insufficient
    diff = b.x / b.n - a.x / a.n
    worse = (diff > 0) == higher_is_worse if diff != 0 else None
    result.update(
        test="two_proportion_z" if test.method == "z" else "fisher_exact",
        difference=diff,
        statistic=test.z,
        p_value=test.p_value,
        effect_size={"name": "cohens_h", "value": test.cohens_h},
        significant=significant,
        insufficient_data=insufficient,
        verdict=_verdict(significant, insufficient, worse),
    )
    return result


def compare_sides(
    source: AnalyticsSource,
    project_id: str,
    a: CompareSide,
    b: CompareSide,
    *,
    min_n: int = MIN_SAMPLES,
    alpha: float = ALPHA,
    score_name: str | None = None,
) -> dict[str, Any]:
    """Differences b - a in quality, error rate, latency and cost, each with its test."""
    metrics: dict[str, Any] = {}
    samples = source.compare_rankings(
        project_id, a, b, [measure for measure, _ in _RANKED.values()], score_name
    )
    for name, (measure, higher_is_worse) in _RANKED.items():
        metrics[name] = _ranked(samples[measure], higher_is_worse, min_n, alpha)
    for name, (what, higher_is_worse) in _COUNTED.items():
        counts = source.compare_counts(project_id, a, b, what)
        metrics[name] = _counted(counts, higher_is_worse, min_n, alpha)
    regressions = [m for m, v in metrics.items() if v["verdict"] == "worse"]
    return {
        "a": side_dict(a),
        "b": side_dict(b),
        "alpha": alpha,
        "min_n": min_n,
        "metrics": metrics,
        "regressions": regressions,
    }
