"""Choosing what a template page compares, and printing a comparison; parsing the settings form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from heron.errors import ConfigError, QueryError
from heron.model import TimeRange
from heron.security.pii import PII_KINDS
from heron.ui.pages.project_form import ProjectForm, parse_project_form
from heron.ui.prompt_compare import compare_rows, plan_comparison

from .factories import T0

RANGE = TimeRange(T0, T0 + timedelta(hours=2))


def test_nothing_is_tested_until_asked_then_the_two_newest_versions() -> None:
    # The page shows each version's figures; the significance tests run on request.
    assert plan_comparison("h1", ["v1", "v2", "v3"], RANGE, {}) is None
    plan = plan_comparison("h1", ["v1", "v2", "v3"], RANGE, {"vs": "versions"})
    assert plan is not None
    assert (plan.mode, plan.a.version, plan.b.version) == ("versions", "v2", "v3")
    assert plan_comparison("h1", ["v1"], RANGE, {}) is None
    assert plan_comparison("h1", [], RANGE, {"vs": " "}) is None
    split = plan_comparison("h1", ["v1"], RANGE, {"vs": "split"})
    assert split is not None
    assert split.mode == "split"
    assert split.a.time.end == split.b.time.start == T0 + timedelta(hours=1)
    assert (split.a.time.start, split.b.time.end) == (RANGE.start, RANGE.end)


def test_explicit_versions_and_another_template() -> None:
    plan = plan_comparison(
        "h1", ["v1", "v2", "v3"], RANGE, {"vs": "versions", "a_version": "v1", "b_version": "v3"}
    )
    assert plan is not None
    assert (plan.a.version, plan.b.version) == ("v1", "v3")
    other = plan_comparison("h1", [], RANGE, {"vs": "h2"})
    assert other is not None
    assert (other.mode, other.a.template_hash, other.b.template_hash) == ("template", "h1", "h2")


@pytest.mark.parametrize(
    ("versions", "params", "words"),
    [
        (["v1"], {"vs": "versions"}, "1 recorded version"),
        (["v1", "v2"], {"vs": "versions", "a_version": "v9"}, "'v9'"),
        (["v1", "v2"], {"vs": "versions", "a_version": "v2", "b_version": "v2"}, "different"),
        ([], {"vs": "h1"}, "another template"),
        ([], {"vs": "<script>"}, "another template"),
    ],
)
def test_impossible_comparisons_say_why(
    versions: list[str], params: dict[str, str], words: str
) -> None:
    with pytest.raises(QueryError, match=words):
        plan_comparison("h1", versions, RANGE, params)


def test_rows_show_values_sample_sizes_tests_and_verdicts() -> None:
    ranked = {
        "test": "mann_whitney_u",
        "a": {"n": 40, "mean": 1200.0, "median": 1100.0},
        "b": {"n": 35, "mean": 1800.0, "median": 1700.0},
        "difference": 600.0,
        "p_value": 0.0004,
        "verdict": "worse",
    }
    counted = {
        "test": None,
        "a": {"n": 3, "count": 0, "rate": 0.0},
        "b": {"n": 0, "count": 0, "rate": None},
        "difference": None,
        "p_value": None,
        "verdict": "insufficient_data",
    }
    rows = compare_rows({"metrics": {"latency_ms": ranked, "error_rate": counted}})
    assert [r.label for r in rows] == ["Error rate", "Latency (mean)"]
    errors, latency = rows
    assert (errors.a, errors.a_n, errors.b, errors.b_n) == ("0.0%", 3, "—", 0)
    assert (errors.p_value, errors.verdict) == ("—", "insufficient_data")
    assert (latency.a, latency.b, latency.difference) == ("1.20 s", "1.80 s", "+600 ms")
    assert (latency.p_value, latency.test, latency.verdict) == (
        "< 0.001",
        "Mann-Whitney U",
        "worse",
    )


def test_settings_form_parses_every_field() -> None:
    change = parse_project_form(
        {
            "retention_days": " 30 ",
            "pii_email": "on",
            "pii_card": "on",
            "patterns": "emp = EMP-\\d{6}\n\n  code = [A-Z]{3}=\\d  ",
            "deny_attributes": "a.b\n  c.*  \n",
        }
    )
    assert change.retention_days == 30
    assert change.capture_content is False  # an unchecked box is absent from the post
    assert change.apply_to_existing is False
    redaction = change.redaction
    assert isinstance(redaction, Mapping)
    assert redaction["pii"] == {k: k in ("email", "card") for k in PII_KINDS}
    assert redaction["patterns"] == [
        {"name": "emp", "regex": "EMP-\\d{6}"},
        {"name": "code", "regex": "[A-Z]{3}=\\d"},
    ]
    assert redaction["deny_attributes"] == ["a.b", "c.*"]
    assert parse_project_form({"retention_days": ""}).retention_days is None
    with pytest.raises(ConfigError, match="whole number"):
        parse_project_form({"retention_days": "3.5"})
    with pytest.raises(ConfigError, match="line 2"):
        parse_project_form({"patterns": "a = b\nmissing"})


def test_a_refused_form_is_shown_again_as_submitted() -> None:
    form = ProjectForm.of_fields({"retention_days": "x", "pii_ip": "on", "patterns": "p = ("})
    assert form.retention_days == "x"
    assert form.pii == {k: k == "ip" for k in PII_KINDS}
    assert (form.patterns, form.capture_content) == ("p = (", False)
