"""Eval rules: validation, span filters and deterministic sampling."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from heron.evals.rules import EvalRule, sample_fraction

from .conftest import SpanFactory


def _rule(**fields: Any) -> EvalRule:
    values: dict[str, Any] = {"id": "r1", "project_id": "p1", "name": "rule", "evaluator": "pii"}
    values.update(fields)
    return EvalRule.model_validate(values)


def test_sampling_is_deterministic_and_close_to_the_rate(make_span: SpanFactory) -> None:
    spans = [make_span("q", "a") for _ in range(4000)]
    rule = _rule(sample_rate=0.25)
    first = [s.span_id for s in spans if rule.selects(s)]
    again = [s.span_id for s in spans if _rule(sample_rate=0.25).selects(s)]
    assert first == again  # a replay samples exactly the same spans
    assert 0.21 < len(first) / len(spans) < 0.29
    # A higher rate keeps every span a lower rate kept.
    wider = {s.span_id for s in spans if _rule(sample_rate=0.5).selects(s)}
    assert set(first) < wider
    assert sample_fraction("ABCDEF0123456789") == sample_fraction("abcdef0123456789")


def test_rate_zero_and_one(make_span: SpanFactory) -> None:
    spans = [make_span("q", "a") for _ in range(200)]
    assert not any(_rule(sample_rate=0.0).selects(s) for s in spans)
    assert all(_rule(sample_rate=1.0).selects(s) for s in spans)


def test_filter_by_kind_model_tag_template_and_user(make_span: SpanFactory) -> None:
    rule = _rule(
        filter={
            "kinds": ["llm"],
            "models": ["gpt-4o"],
            "tags": ["checkout"],
            "prompt_template_hashes": ["h1"],
            "user_ids": ["u1"],
        }
    )
    good = {
        "model": "gpt-4o",
        "tags": ["checkout", "x"],
        "prompt_template_hash": "h1",
        "user_id": "u1",
    }
    assert rule.selects(make_span("q", "a", **good))
    for change in (
        {"kind": "tool"},
        {"model": "gpt-4o-mini"},
        {"tags": ["other"]},
        {"prompt_template_hash": "h2"},
        {"user_id": "u2"},
    ):
        assert not rule.selects(make_span("q", "a", **{**good, **change})), change
    assert _rule().selects(make_span("q", "a"))  # default: every LLM span
    assert not _rule().selects(make_span("q", "a", kind="retriever"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"evaluator": "nope"}, "unknown evaluator"),
        ({"evaluator": None}, "exactly one"),
        ({"template": {"name": "t", "template": "{output}"}}, "exactly one"),
        ({"sample_rate": 1.5}, "less than or equal"),
        ({"filter": {"kinds": ["llm", "banana"]}}, "unknown span kinds"),
        ({"judge": {"api_key_env": "not a name"}}, "pattern"),
    ],
)
def test_invalid_rules_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _rule(**fields)


def test_judge_need_and_names() -> None:
    assert not _rule().needs_judge
    assert _rule(evaluator="quality").needs_judge
    template = _rule(evaluator=None, template={"name": "polite", "template": "Polite? {output}"})
    assert template.needs_judge
    assert template.evaluator_name == template.score_label == "polite"
    assert _rule(score_name="pii_v2").score_label == "pii_v2"
    stored = _rule(sample_rate=0.3, delay_s=5)
    again = EvalRule.from_record("p1", "r1", "rule", stored.definition(), True)
    assert again == stored
