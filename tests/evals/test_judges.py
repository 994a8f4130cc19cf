"""LLM judges with the real anthropic/openai clients against the fake provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from heron.errors import ConfigError, JudgeError
from heron.evals import QualityEvaluator, RelevanceEvaluator, get_evaluator, to_score
from heron.evals.judges import StructuredJudge, create_judge
from heron.evals.types import EvalInput
from heron.model import Span
from heron.testing.fake_provider import FakeProvider, Reply

JudgeFactory = Callable[..., StructuredJudge]
SpanFactory = Callable[..., Span]
MODELS = {"anthropic": "claude-3-5-haiku-latest", "openai": "gpt-4o-mini"}  # as in conftest

PROVIDERS = ["anthropic", "openai"]
GOOD = {
    "accuracy": 0.9,
    "relevance": 1.0,
    "completeness": 0.8,
    "safety": 1.0,
    "helpfulness": 0.8,
    "reasoning": "Correct and on topic.",
}


@pytest.fixture
def item(make_span: SpanFactory) -> EvalInput:
    return EvalInput(span=make_span("What is the capital of France?", "Paris is the capital."))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_good_structured_reply(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.json(GOOD).with_usage(400, 60, cache_read=100))
    result = QualityEvaluator(make_judge(provider)).evaluate(item)
    assert result.label == "pass"
    assert result.value == pytest.approx((0.9 + 1.0 + 0.8 + 1.0 + 0.8) / 5)
    assert result.criteria["completeness"] == 0.8
    assert result.reasoning == "Correct and on topic."
    body = fp.requests[-1].body
    if provider == "anthropic":
        assert body["tool_choice"] == {"type": "tool", "name": "submit_evaluation"}
        assert body["tools"][0]["input_schema"]["required"][0] == "accuracy"
        input_tokens = 500  # Anthropic reports cache reads outside input_tokens
    else:
        assert body["response_format"]["type"] == "json_schema"
        input_tokens = 500  # the fake adds cached tokens into prompt_tokens
    assert "Paris is the capital." in json.dumps(body)
    assert (result.input_tokens, result.output_tokens) == (input_tokens, 60)
    expected = calc_price(
        Usage(input_tokens=input_tokens, output_tokens=60, cache_read_tokens=100),
        model_ref=MODELS[provider],
        provider_id=provider,
    ).total_price
    assert result.cost_usd == pytest.approx(float(Decimal(expected)))
    score = to_score(result, item.span)
    assert score.source == "eval"
    assert score.span_id == item.span.span_id
    assert score.metadata["criteria"]["accuracy"] == 0.9
    assert score.cost_usd == result.cost_usd


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("shape", ["fenced", "prose"])
def test_json_recovered_from_text(
    provider: str, shape: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    answer = {"score": 0.25, "reasoning": "mostly off topic"}
    fp.enqueue(Reply.fenced_json(answer) if shape == "fenced" else Reply.prose_json(answer))
    result = RelevanceEvaluator(make_judge(provider)).evaluate(item)
    assert (result.label, result.value) == ("fail", 0.25)
    assert result.reasoning == "mostly off topic"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_out_of_range_is_unclear_not_clamped(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.json({"score": 7, "reasoning": "7/10"}))
    result = RelevanceEvaluator(make_judge(provider)).evaluate(item)
    assert result.label == "unclear"
    assert result.value is None
    assert result.flags == ["judge:out_of_range"]
    assert "score=7" in result.reasoning
    assert result.output_tokens > 0  # the call still cost tokens and says so


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "reply",
    [Reply.refusal("I can't help with that."), Reply.text("I'm sorry, but I can't evaluate this.")],
    ids=["provider-refusal", "text-refusal"],
)
def test_refusal(
    provider: str, reply: Reply, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(reply)
    result = QualityEvaluator(make_judge(provider)).evaluate(item)
    assert (result.label, result.value, result.flags) == ("unclear", None, ["judge:refusal"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_garbage_and_wrong_shape(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.text("The answer looks decent overall."), Reply.json({"verdict": "good"}))
    evaluator = RelevanceEvaluator(make_judge(provider))
    first, second = evaluator.evaluate(item), evaluator.evaluate(item)
    assert (first.label, first.flags) == ("unclear", ["judge:unparseable"])
    assert "looks decent" in first.reasoning
    assert (second.label, second.flags) == ("unclear", ["judge:bad_answer"])


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [500, 429])
def test_http_errors(
    provider: str, status: int, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.error(status, "upstream trouble", retry_after=0))
    result = QualityEvaluator(make_judge(provider)).evaluate(item)
    assert result.label == "unclear"
    assert result.value is None
    assert result.flags == [f"judge:http_{status}"]
    assert f"HTTP {status}" in result.reasoning


@pytest.mark.parametrize("provider", PROVIDERS)
def test_client_retries_then_succeeds(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.error(429, retry_after=0), Reply.json({"score": 1, "reasoning": "ok"}))
    result = RelevanceEvaluator(make_judge(provider, max_retries=1)).evaluate(item)
    assert (result.label, result.value) == ("pass", 1.0)
    assert len(fp.requests) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout(
    provider: str, fp: FakeProvider, make_judge: JudgeFactory, item: EvalInput
) -> None:
    fp.enqueue(Reply.hang(10))
    result = QualityEvaluator(make_judge(provider, timeout_s=0.3)).evaluate(item)
    assert (result.label, result.flags) == ("unclear", ["judge:timeout"])
    assert "timed out" in result.reasoning


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_judge_protocol(provider: str, fp: FakeProvider, make_judge: JudgeFactory) -> None:
    judge = make_judge(provider)
    fp.enqueue(Reply.fenced_json({"a": 1}), Reply.text("no json here"))
    assert judge.judge("sys", "prompt", {"type": "object"}) == {"a": 1}
    with pytest.raises(JudgeError) as info:
        judge.judge("sys", "prompt", {"type": "object"})
    assert info.value.reason == "unparseable"


def test_evaluators_are_safe_on_worker_threads(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    fp.add_rule(Reply.json({"score": 0.75, "reasoning": "ok"}))
    evaluator = RelevanceEvaluator(make_judge("openai"))
    items = [EvalInput(span=make_span(f"question {i}", f"answer {i}")) for i in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(evaluator.evaluate, items))
    assert [r.value for r in results] == [0.75] * 16
    prompts = sorted(r.body["messages"][1]["content"] for r in fp.requests)
    assert all(f"answer {i}" in "".join(prompts) for i in range(16))


def test_nothing_to_judge_skips_the_model(
    fp: FakeProvider, make_judge: JudgeFactory, make_span: SpanFactory
) -> None:
    result = QualityEvaluator(make_judge("anthropic")).evaluate(
        EvalInput(span=make_span("question", None))
    )
    assert (result.label, result.applicable) == ("unclear", False)
    assert fp.requests == []


def test_configuration_errors(make_judge: JudgeFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="unknown evaluator"):
        get_evaluator("nope")
    with pytest.raises(ConfigError, match="LLM judge evaluator"):
        get_evaluator("quality")
    with pytest.raises(ConfigError, match="threshold"):
        get_evaluator("quality", judge=make_judge("openai"), threshold=3)
    with pytest.raises(ConfigError, match="unknown judge provider"):
        create_judge("mistral-cloud")
    with pytest.raises(ConfigError, match="API key"):
        create_judge("openai", api_key=None, base_url="http://127.0.0.1:9")
    assert get_evaluator("pii").needs_model is False
