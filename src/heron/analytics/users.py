"""Users whose experience is significantly worse than the rest of the project's.

Each user with at least ``min_n`` calls is tested against every other call of
the range (user vs rest): errors with the two-proportion test, latency and
eval scores with Mann-Whitney U. With hundreds of users some would pass
p < 0.05 by chance, so p-values are Holm-Bonferroni adjusted across the users
tested on each measure, and a user is degraded when an adjusted p-value is
below alpha in the worse direction.
"""

from __future__ import annotations

from typing import Any

from heron.analytics.source import AnalyticsSource
from heron.analytics.stats import (
    ALPHA,
    MIN_SAMPLES,
    holm_adjust,
    mann_whitney_from_ranks,
    two_proportions,
)
from heron.model import TimeRange, format_time
from heron.model.analytics import RankSample

__all__ = ["degraded_users", "usage_dict"]


def _error_evidence(
    source: AnalyticsSource, project_id: str, time: TimeRange, min_n: int
) -> dict[str, dict[str, Any]]:
    counts = source.user_counts(project_id, time)
    total_n = sum(g.n for g in counts.values())
    total_x = sum(g.x for g in counts.values())
    evidence: dict[str, dict[str, Any]] = {}
    for user, g in counts.items():
        rest_n, rest_x = total_n - g.n, total_x - g.x
        if not user or g.n < min_n or rest_n < 1:
            continue
        test = two_proportions(g.x, g.n, rest_x, rest_n)
        evidence[user] = {
            "metric": "error_rate",
            "test": "two_proportion_z" if test.method == "z" else "fisher_exact",
            "n": g.n,
            "value": g.x / g.n,
            "project_value": total_x / total_n,
            "rest_value": rest_x / rest_n,
            "p_value": test.p_value,
            "effect_size": {"name": "cohens_h", "value": test.cohens_h},
            "worse": g.x / g.n > rest_x / rest_n,
        }
    return evidence


def _rank_evidence(
    sample: RankSample, metric: str, higher_is_worse: bool, min_n: int
) -> dict[str, dict[str, Any]]:
    evidence: dict[str, dict[str, Any]] = {}
    for user, g in sample.groups.items():
        rest_n = sample.total - g.n
        if not user or g.n < min_n or rest_n < 1:
            continue
        rest_rank_sum = sample.total * (sample.total + 1) / 2.0 - g.rank_sum
        test = mann_whitney_from_ranks(g.n, rest_n, g.rank_sum, sample.tie_term)
        evidence[user] = {
            "metric": metric,
            "test": "mann_whitney_u",
            "n": g.n,
            "value": g.median,
            "value_mean": g.mean,
            "project_value": sample.median,
            "project_mean": sample.mean,
            "rest_mean_rank": rest_rank_sum / rest_n,
            "p_value": test.p_value,
            "effect_size": {"name": "rank_biserial", "value": test.rank_biserial},
            "worse": (test.rank_biserial > 0) == higher_is_worse and test.rank_biserial != 0,
        }
    return evidence


def degraded_users(
    source: AnalyticsSource,
    project_id: str,
    time: TimeRange,
    *,
    min_n: int = MIN_SAMPLES,
    alpha: float = ALPHA,
    limit: int = 100,
) -> dict[str, Any]:
    """Users significantly worse than the rest on errors, latency or score, with evidence."""
    per_metric = {
        "error_rate": _error_evidence(source, project_id, time, min_n),
        "latency_ms": _rank_evidence(
            source.user_ranks(project_id, time, "latency"), "latency_ms", True, min_n
        ),
        "score": _rank_evidence(
            source.user_ranks(project_id, time, "score"), "score", False, min_n
        ),
    }
    found: dict[str, list[dict[str, Any]]] = {}
    tested: set[str] = set()
    for evidence in per_metric.values():
        users = sorted(evidence)
        tested.update(users)
        adjusted = holm_adjust([evidence[u]["p_value"] for u in users])
        for user, p_adjusted in zip(users, adjusted, strict=True):
            item = evidence[user]
            item["p_adjusted"] = p_adjusted
            item["significant"] = p_adjusted < alpha
            if item["significant"] and item["worse"]:
                found.setdefault(user, []).append(item)
    degraded: list[dict[str, Any]] = [
        {"user_id": user, "evidence": items, "min_p_adjusted": min(i["p_adjusted"] for i in items)}
        for user, items in found.items()
    ]
    degraded.sort(key=lambda u: (u["min_p_adjusted"], u["user_id"]))
    return {
        "start": format_time(time.start),
        "end": format_time(time.end),
        "alpha": alpha,
        "min_n": min_n,
        "correction": "holm",
        "users_tested": len(tested),
        "users": degraded[:limit],
    }


def usage_dict(
    source: AnalyticsSource, project_id: str, user_id: str, time: TimeRange, bucket: str
) -> dict[str, Any]:
    """One user's cost, tokens and requests per bucket, with totals."""
    points = source.user_usage(project_id, user_id, time, bucket)
    costs = [p.cost_usd for p in points if p.cost_usd is not None]
    return {
        "user_id": user_id,
        "bucket": bucket,
        "start": format_time(time.start),
        "end": format_time(time.end),
        "series": [
            {
                "bucket_start": format_time(p.bucket_start),
                "requests": p.requests,
                "errors": p.errors,
                "input_tokens": p.input_tokens,
                "output_tokens": p.output_tokens,
                "cached_input_tokens": p.cached_input_tokens,
                "total_tokens": p.total_tokens,
                "cost_usd": p.cost_usd,
            }
            for p in points
        ],
        "totals": {
            "requests": sum(p.requests for p in points),
            "errors": sum(p.errors for p in points),
            "input_tokens": sum(p.input_tokens for p in points),
            "output_tokens": sum(p.output_tokens for p in points),
            "total_tokens": sum(p.total_tokens for p in points),
            "cost_usd": sum(costs) if costs else None,
        },
    }
