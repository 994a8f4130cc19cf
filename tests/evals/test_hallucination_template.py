"""Hallucination grounded on retriever spans, and user-defined template evaluators."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from heron.errors import ConfigError
from heron.evals import HallucinationEvaluator, TemplateEvaluator
from heron.evals.judges import StructuredJudge
from heron.evals.types import EvalInput
from heron.model import Span
from heron.testing.fake_provider import FakeProvider, Reply

JudgeFactory = Callable[..., StructuredJudge]
SpanFactory = Callable[..., Span]

DOC_A = "Heron Air flight HA12 departs Lisbon at 09:40 and lands in Oslo at 14:05."
DOC_B = "Checked baggage allowance on HA12 is one bag of 23 kg."


def rag_trace(make_span: SpanFactory, answer: str) -> tuple[Span, list[Span]]:
    """A retriever span (OpenInference documents), a reranker (JSON output), then the LLM span."""
    retriever = make_span(
        None,
        None,
        kind="retriever",
        offset_s=0,
        attributes={
            "retrieval.documents.1.document.content": DOC_B,
            "retrieval.documents.0.document.content": DOC_A,
        },
    )
    reranker = make_span(
        None,
        None,
        kind="reranker",
        offset_s=0.5,
        output_value=json.dumps([{"document": {"content": DOC_A}}]),
    )
    llm = make_span("When does HA12 leave and what can I check in?", answer, offset_s=1)
    unrelated_later = make_span(None, None, kind="retriever", offset_s=60, output_value="LATER")
    return llm, [retriever, reranker, llm, unrelated_later]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_hallucination_fraction_from_claims(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    llm, trace = rag_trace(make_span, "HA12 leaves at 09:40, allows 23 kg and serves free meals.")
    fp.enqueue(
        Reply.json(
            {
                "claims": [
                    {"claim": "HA12 leaves at 09:40", "supported": True, "evidence": "[1]"},
                    {"claim": "allows 23 kg", "supported": True, "evidence": "[2]"},
                    {"claim": "serves free meals", "supported": False, "evidence": ""},
                ],
                "reasoning": "meals are not in the sources",
            }
        )
    )
    result = HallucinationEvaluator(make_judge(provider)).evaluate(EvalInput(llm, trace))
    assert result.value == pytest.approx(1 / 3)
    assert result.label == "fail"  # above the default threshold 0.2
    assert result.flags == ["hallucination"]
    assert result.criteria == {"claims": 3.0, "unsupported": 1.0}
    prompt = json.dumps(fp.requests[-1].body)
    assert DOC_A in prompt
    assert DOC_B in prompt
    assert prompt.index(DOC_A) < prompt.index(DOC_B)  # documents keep their rank order
    assert prompt.count(DOC_A) == 1  # the reranker's copy is not repeated
    assert "LATER" not in prompt  # retrieved after the answer: not a source


def test_hallucination_grounded_and_threshold(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    llm, trace = rag_trace(make_span, "HA12 leaves at 09:40.")
    fp.enqueue(
        Reply.json({"claims": [{"claim": "leaves 09:40", "supported": True}], "reasoning": ""}),
        Reply.json({"claims": [{"claim": "x", "supported": "maybe"}], "reasoning": ""}),
        Reply.json({"claims": [], "reasoning": ""}),
    )
    evaluator = HallucinationEvaluator(make_judge("openai"), threshold=0.0)
    grounded = evaluator.evaluate(EvalInput(llm, trace))
    assert (grounded.value, grounded.label, grounded.flags) == (0.0, "pass", [])
    malformed = evaluator.evaluate(EvalInput(llm, trace))
    assert (malformed.label, malformed.flags) == ("unclear", ["judge:bad_answer"])
    no_claims = evaluator.evaluate(EvalInput(llm, trace))
    assert (no_claims.value, no_claims.label) == (0.0, "pass")


def test_hallucination_without_sources_does_not_call_the_model(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    llm = make_span("q", "an answer with claims")
    result = HallucinationEvaluator(make_judge("anthropic")).evaluate(EvalInput(llm, [llm]))
    assert (result.label, result.value, result.applicable) == ("unclear", None, False)
    assert "no retrieved documents" in result.reasoning
    assert fp.requests == []


def test_hallucination_uses_tool_results(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    tool = make_span(None, None, kind="tool", name="weather", output_value="Oslo: 3°C, snow")
    llm = make_span("weather in Oslo?", "It is 3°C and snowing in Oslo.", offset_s=1)
    fp.enqueue(Reply.json({"claims": [{"claim": "3°C", "supported": True}], "reasoning": ""}))
    result = HallucinationEvaluator(make_judge("anthropic")).evaluate(EvalInput(llm, [tool, llm]))
    assert result.label == "pass"
    assert "Oslo: 3°C, snow" in json.dumps(fp.requests[-1].body, ensure_ascii=False)


RUBRIC_SCHEMA = {
    "type": "object",
    "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "tone": {"type": "number", "minimum": 0, "maximum": 1},
        "reasoning": {"type": "string"},
    },
    "required": ["rating", "reasoning"],
}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_template_evaluator_fills_placeholders_and_rescales(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    llm, trace = rag_trace(make_span, "Departure is 09:40.")
    evaluator = TemplateEvaluator(
        make_judge(provider),
        name="politeness",
        template=(
            "Rate 1-5. Q: {input}\nA: {output}\nDocs: {context}\nRef: {expected}\n"
            'Answer like {"rating": 3}.'
        ),
        output_schema=RUBRIC_SCHEMA,
        score_field="rating",
    )
    fp.enqueue(Reply.json({"rating": 4, "tone": 0.5, "reasoning": "polite"}))
    result = evaluator.evaluate(EvalInput(llm, trace, expected="It departs at 09:40."))
    assert (result.evaluator, result.value, result.label) == ("politeness", 0.75, "pass")
    assert result.criteria == {"tone": 0.5}
    prompt = fp.requests[-1].body["messages"][-1]["content"]
    if isinstance(prompt, list):
        prompt = prompt[0]["text"]
    assert "Q: When does HA12 leave" in prompt
    assert "A: Departure is 09:40." in prompt
    assert DOC_B in prompt
    assert "Ref: It departs at 09:40." in prompt
    assert 'Answer like {"rating": 3}.' in prompt  # other braces left alone


def test_template_evaluator_schema_breach_and_label(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}, "label": {"enum": ["pass", "fail"]}},
        "required": ["ok", "label"],
    }
    evaluator = TemplateEvaluator(
        make_judge("openai"),
        name="policy",
        template="{output}",
        output_schema=schema,
        score_field="ok",
    )
    item = EvalInput(make_span("q", "a"))
    fp.enqueue(Reply.json({"ok": True, "label": "fail"}), Reply.json({"ok": True}))
    explicit = evaluator.evaluate(item)
    assert (explicit.value, explicit.label) == (1.0, "fail")
    breach = evaluator.evaluate(item)
    assert (breach.label, breach.flags) == ("unclear", ["judge:bad_answer"])
    assert "label" in breach.reasoning


def test_template_configuration_errors(make_judge: JudgeFactory) -> None:
    judge = make_judge("openai")
    with pytest.raises(ConfigError, match="uses none of"):
        TemplateEvaluator(judge, name="x", template="Rate the answer.")
    with pytest.raises(ConfigError, match="number or boolean property 'score'"):
        TemplateEvaluator(
            judge,
            name="x",
            template="{output}",
            output_schema={"type": "object", "properties": {"verdict": {"type": "string"}}},
        )
    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        TemplateEvaluator(judge, name="x", template="{output}", output_schema={"type": 5})
