"""The pure-Python significance tests agree with scipy on the same samples."""

from __future__ import annotations

import random

import pytest
from scipy import stats as sp

from heron.analytics.stats import (
    average_ranks,
    fisher_exact,
    holm_adjust,
    mann_whitney,
    two_proportions,
)


def _samples(seed: int, n_a: int, n_b: int, ties: bool) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    a = [rng.lognormvariate(5.0, 0.5) for _ in range(n_a)]
    b = [rng.lognormvariate(5.2, 0.5) for _ in range(n_b)]
    if ties:  # whole milliseconds: many equal values
        a, b = [float(round(x / 20)) for x in a], [float(round(x / 20)) for x in b]
    return a, b


@pytest.mark.parametrize(
    ("seed", "n_a", "n_b", "ties"),
    [(1, 30, 30, False), (2, 12, 90, True), (3, 200, 150, True), (4, 9, 11, False)],
)
def test_mann_whitney_matches_scipy(seed: int, n_a: int, n_b: int, ties: bool) -> None:
    a, b = _samples(seed, n_a, n_b, ties)
    ours = mann_whitney(a, b)
    theirs = sp.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert ours.u == pytest.approx(theirs.statistic)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-15)
    assert ours.rank_biserial == pytest.approx(2 * theirs.statistic / (n_a * n_b) - 1)


def test_mann_whitney_of_identical_constant_samples_is_not_significant() -> None:
    result = mann_whitney([5.0] * 40, [5.0] * 40)
    assert result.p_value == 1.0
    assert result.rank_biserial == 0.0


def test_average_ranks_match_scipy_rankdata() -> None:
    values = [3.0, 1.0, 3.0, 2.0, 3.0, 1.0]
    ranks, ties = average_ranks(values)
    assert ranks == list(sp.rankdata(values))
    assert ties == (3**3 - 3) + (2**3 - 2)


@pytest.mark.parametrize(
    ("x_a", "n_a", "x_b", "n_b"), [(30, 200, 12, 180), (50, 100, 50, 100), (7, 40, 20, 45)]
)
def test_two_proportion_z_test_matches_scipy_chi_square(
    x_a: int, n_a: int, x_b: int, n_b: int
) -> None:
    ours = two_proportions(x_a, n_a, x_b, n_b)
    table = [[x_a, n_a - x_a], [x_b, n_b - x_b]]
    chi2, p_value, _, _ = sp.chi2_contingency(table, correction=False)
    assert ours.method == "z"
    assert ours.p_value == pytest.approx(p_value, rel=1e-9)
    assert ours.z is not None
    assert ours.z**2 == pytest.approx(chi2)


@pytest.mark.parametrize(
    ("x_a", "n_a", "x_b", "n_b"), [(1, 12, 6, 12), (0, 30, 4, 30), (2, 9, 2, 11), (3, 50, 0, 8)]
)
def test_small_counts_use_fisher_exact_like_scipy(x_a: int, n_a: int, x_b: int, n_b: int) -> None:
    ours = two_proportions(x_a, n_a, x_b, n_b)
    _, p_value = sp.fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]])
    assert ours.method == "fisher"
    assert ours.p_value == pytest.approx(p_value, rel=1e-9)
    assert fisher_exact(x_a, n_a, x_b, n_b) == pytest.approx(p_value, rel=1e-9)


def test_two_proportions_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="not a proportion"):
        two_proportions(5, 4, 1, 10)


def test_holm_adjustment_follows_its_definition() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert holm_adjust(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
