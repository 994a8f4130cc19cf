"""Significance tests in pure Python (scipy is only a dev dependency).

* Mann-Whitney U, normal approximation with tie correction and continuity
  correction, two-sided: the same definition as
  ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")``. It is computed from
  sufficient statistics (group sizes, the rank sum of the first group and the
  tie term ``sum(t**3 - t)`` over groups of equal values), so the store can
  rank a million values in SQL and send back three numbers.
* Two proportions: the pooled two-proportion z-test (equal to a 2x2 chi-square
  test without Yates' correction); when an expected cell count is below 5 the
  normal approximation is poor, so Fisher's exact test is used instead.

Effect sizes: the rank-biserial correlation for Mann-Whitney (``P(a > b) -
P(a < b)``, in -1..1) and Cohen's h for proportions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ALPHA",
    "MIN_SAMPLES",
    "ProportionTest",
    "RankTest",
    "average_ranks",
    "cohens_h",
    "fisher_exact",
    "holm_adjust",
    "mann_whitney",
    "mann_whitney_from_ranks",
    "normal_sf",
    "two_proportions",
]

ALPHA = 0.05
MIN_SAMPLES = 30
# Below this expected count in any 2x2 cell the z-test's normal approximation is unreliable.
_MIN_EXPECTED = 5.0


@dataclass(frozen=True, slots=True)
class RankTest:
    """A two-sided Mann-Whitney U test of sample a against sample b."""

    u: float
    """U of sample a: pairs where a > b, plus half the ties."""
    z: float
    p_value: float
    rank_biserial: float
    """Effect size in -1..1: P(a > b) - P(a < b)."""
    n_a: int
    n_b: int


@dataclass(frozen=True, slots=True)
class ProportionTest:
    """A two-sided test of two proportions x_a/n_a against x_b/n_b."""

    method: str
    """``z`` (pooled two-proportion z-test) or ``fisher`` (exact, for small counts)."""
    p_value: float
    z: float | None
    cohens_h: float
    n_a: int
    n_b: int


def normal_sf(z: float) -> float:
    """Survival function of the standard normal distribution, P(Z > z)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def average_ranks(values: Sequence[float]) -> tuple[list[float], float]:
    """(1-based average ranks in input order, tie term ``sum(t**3 - t)``)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    tie_term = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        t = j - i + 1
        tie_term += float(t**3 - t)
        i = j + 1
    return ranks, tie_term


def mann_whitney_from_ranks(n_a: int, n_b: int, rank_sum_a: float, tie_term: float) -> RankTest:
    """Mann-Whitney U from sufficient statistics of the pooled ranking of a and b."""
    if n_a < 1 or n_b < 1:
        raise ValueError(f"both samples need at least one value (got n_a={n_a}, n_b={n_b})")
    n = n_a + n_b
    u_a = rank_sum_a - n_a * (n_a + 1) / 2.0
    u_b = n_a * n_b - u_a
    mean = n_a * n_b / 2.0
    variance = n_a * n_b / 12.0 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    effect = 2.0 * u_a / (n_a * n_b) - 1.0
    if variance <= 0.0:
        # Every value equal: no evidence of a difference.
        return RankTest(u_a, 0.0, 1.0, effect, n_a, n_b)
    sd = math.sqrt(variance)
    # Two-sided with continuity correction, as scipy does: the larger U, shifted by 1/2.
    z = (max(u_a, u_b) - mean - 0.5) / sd
    p_value = min(1.0, 2.0 * normal_sf(z))
    signed_z = z if u_a >= u_b else -z
    return RankTest(u_a, signed_z, p_value, effect, n_a, n_b)


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> RankTest:
    """Two-sided Mann-Whitney U test of samples a and b (normal approximation)."""
    ranks, tie_term = average_ranks([*a, *b])
    return mann_whitney_from_ranks(len(a), len(b), sum(ranks[: len(a)]), tie_term)


def cohens_h(p_a: float, p_b: float) -> float:
    """Cohen's h effect size of two proportions (positive when p_a > p_b)."""
    return 2.0 * math.asin(math.sqrt(p_a)) - 2.0 * math.asin(math.sqrt(p_b))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(x_a: int, n_a: int, x_b: int, n_b: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table [[x_a, n_a-x_a], [x_b, n_b-x_b]].

    Sums the hypergeometric probabilities of every table with the same margins
    that is no more likely than the observed one (scipy's definition, with its
    relative tolerance for float ties).
    """
    successes = x_a + x_b
    total = n_a + n_b
    low, high = max(0, successes - n_b), min(successes, n_a)
    denominator = _log_comb(total, successes)

    def pmf(k: int) -> float:
        return math.exp(_log_comb(n_a, k) + _log_comb(n_b, successes - k) - denominator)

    observed = pmf(x_a)
    threshold = observed * (1.0 + 1e-7)
    p_value = sum(p for p in (pmf(k) for k in range(low, high + 1)) if p <= threshold)
    return min(1.0, p_value)


def two_proportions(x_a: int, n_a: int, x_b: int, n_b: int) -> ProportionTest:
    """Two-sided test of x_a/n_a against x_b/n_b: z-test, or Fisher for small counts."""
    if n_a < 1 or n_b < 1:
        raise ValueError(f"both groups need at least one trial (got n_a={n_a}, n_b={n_b})")
    for x, n in ((x_a, n_a), (x_b, n_b)):
        if not 0 <= x <= n:
            raise ValueError(f"{x} successes out of {n} trials is not a proportion")
    p_a, p_b = x_a / n_a, x_b / n_b
    h = cohens_h(p_a, p_b)
    pooled = (x_a + x_b) / (n_a + n_b)
    expected = [n * share for n in (n_a, n_b) for share in (pooled, 1.0 - pooled)]
    if min(expected) < _MIN_EXPECTED:
        return ProportionTest("fisher", fisher_exact(x_a, n_a, x_b, n_b), None, h, n_a, n_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    z = (p_a - p_b) / se
    return ProportionTest("z", min(1.0, 2.0 * normal_sf(abs(z))), z, h, n_a, n_b)


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order), for testing many users at once."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
