"""Cost: genai-prices with cache parts priced apart, the YAML prices file, unknown models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from heron.errors import ConfigError
from heron.model import Span
from heron.normalize import Normalizer
from heron.normalize.cost import CostCalculator, load_prices_file

from .conftest import make_request, make_span

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _llm(model: str, provider: str | None = "anthropic", **tokens: int) -> Span:
    return Span(
        project_id="p",
        trace_id="t" * 32,
        span_id="s" * 16,
        name="chat",
        start_time=WHEN,
        end_time=WHEN,
        kind="llm",
        provider=provider,
        request_model=model,
        model=model,
        **tokens,
    )  # type: ignore[arg-type]


def test_cache_reads_and_writes_are_priced_apart_never_twice() -> None:
    calc = CostCalculator()
    full = calc(_llm("claude-haiku-4-5", input_tokens=1325, output_tokens=42))
    cached = calc(
        _llm(
            "claude-haiku-4-5",
            input_tokens=1325,
            cached_input_tokens=1200,
            cache_write_input_tokens=100,
            output_tokens=42,
        )
    )
    assert full.cost_usd is not None
    assert cached.cost_usd is not None
    # Claude Haiku 4.5 prices: $1 input, $0.10 cache read, $1.25 cache write, $5 output / MTok.
    assert cached.cost_usd == Decimal("0.000270") + Decimal("0.000210")
    assert cached.cost_usd < full.cost_usd
    assert cached.cost_note is None


def test_unknown_model_has_no_cost_and_says_why() -> None:
    span = CostCalculator()(_llm("foo-9000", provider="bar", input_tokens=10, output_tokens=1))
    assert span.cost_usd is None
    assert span.cost_note is not None
    assert "'foo-9000'" in span.cost_note
    assert "'bar'" in span.cost_note
    assert "HERON_PRICES_FILE" in span.cost_note


def test_prices_file_adds_and_overrides_models(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "models:\n"
        "  foo-9000: {input: 2, output: 8, cache_read: 0.5}\n"
        "  'claude-haiku-*': {input: 10, output: 10}\n"
    )
    calc = CostCalculator(prices)
    foo = calc(
        _llm(
            "foo-9000",
            provider="bar",
            input_tokens=1_000_000,
            cached_input_tokens=500_000,
            output_tokens=1_000_000,
        )
    )
    # 500k uncached at $2 + 500k cached at $0.5 + 1M output at $8.
    assert foo.cost_usd == Decimal("9.25")
    assert "HERON_PRICES_FILE" in (foo.cost_note or "")
    haiku = calc(_llm("claude-haiku-4-5-20251001", input_tokens=1_000_000, output_tokens=0))
    assert haiku.cost_usd == Decimal(10)


@pytest.mark.parametrize(
    "text",
    [
        "models: [1, 2]\n",
        "models:\n  foo: {input: 1}\n",
        "models:\n  foo: {input: -1, output: 1}\n",
        "models:\n  foo: {input: 1, output: 1, cached: 2}\n",
        "models:\n  foo: {input: abc, output: 1}\n",
        "models: {foo: [\n",
    ],
)
def test_malformed_prices_file_fails_at_construction(tmp_path: Path, text: str) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(text)
    with pytest.raises(ConfigError, match="HERON_PRICES_FILE"):
        Normalizer(prices_file=prices)


def test_missing_prices_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        load_prices_file(tmp_path / "nope.yaml")


def test_non_llm_spans_and_spans_without_usage_are_not_priced() -> None:
    request = make_request(
        (
            "app",
            [
                make_span("ab" * 8, attrs={"app": 1}),
                make_span(
                    "cd" * 8,
                    attrs={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
                ),
            ],
        )
    )
    plain, no_usage = Normalizer().normalize("p", request)
    assert plain.cost_usd is None
    assert plain.cost_note is None
    assert no_usage.cost_usd is None
    assert no_usage.cost_note == "no token usage reported"


def test_price_is_taken_at_the_span_start_time() -> None:
    # Deterministic: the same span priced twice, long apart, gives the same figure.
    calc = CostCalculator()
    a = calc(_llm("gpt-4o-mini", provider="openai", input_tokens=1000, output_tokens=10))
    b = calc(_llm("gpt-4o-mini", provider="openai", input_tokens=1000, output_tokens=10))
    assert a.cost_usd == b.cost_usd is not None
