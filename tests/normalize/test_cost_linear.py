"""The linear fast path prices exactly as genai-prices itself does."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price
from genai_prices.types import TieredPrices

from heron.model import Span
from heron.normalize.cost import CostCalculator, LinearPrice

MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-3-5-haiku-latest"),
]


@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_linear_price_equals_library_price(provider: str, model: str) -> None:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    first = calc_price(
        Usage(input_tokens=10, output_tokens=1),
        model,
        provider_id=provider,
        genai_request_timestamp=when,
    )
    linear = LinearPrice.of(first.model_price)
    if linear is None:
        # Tiered prices are not linear: the calculator must keep asking the library.
        assert any(isinstance(v, TieredPrices) for v in vars(first.model_price).values())
        return
    rng = random.Random(5)
    for _ in range(200):
        read = rng.randrange(0, 5000)
        write = rng.randrange(0, 500)
        usage = Usage(
            input_tokens=read + write + rng.randrange(0, 20_000),
            cache_read_tokens=read,
            cache_write_tokens=write,
            output_tokens=rng.randrange(0, 4000),
        )
        expected = calc_price(
            usage, model, provider_id=provider, genai_request_timestamp=when
        ).total_price
        assert linear.total(usage) == expected  # exact: the same Decimal arithmetic


@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_below_tiers_price_equals_library_price_up_to_the_first_tier(
    provider: str, model: str
) -> None:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    first = calc_price(
        Usage(input_tokens=10, output_tokens=1),
        model,
        provider_id=provider,
        genai_request_timestamp=when,
    )
    linear = LinearPrice.below_tiers(first.model_price)
    assert linear is not None
    tiered = any(isinstance(v, TieredPrices) for v in vars(first.model_price).values())
    assert (linear.max_input is not None) == tiered
    rng = random.Random(7)
    bound = linear.max_input or 2_000_000
    for input_tokens in [0, 1, bound - 1, bound, *(rng.randrange(0, bound) for _ in range(100))]:
        read = rng.randrange(0, input_tokens + 1)
        usage = Usage(
            input_tokens=input_tokens,
            cache_read_tokens=read,
            cache_write_tokens=rng.randrange(0, input_tokens - read + 1),
            output_tokens=rng.randrange(0, 4000),
        )
        assert linear.covers(usage)
        expected = calc_price(
            usage, model, provider_id=provider, genai_request_timestamp=when
        ).total_price
        assert linear.total(usage) == expected
    if tiered:
        assert not linear.covers(Usage(input_tokens=bound + 1, output_tokens=1))


def test_calculator_prices_past_the_first_tier_with_the_library() -> None:
    calculator = CostCalculator()
    when = datetime(2026, 11, 1, tzinfo=UTC)
    priced = []
    for input_tokens in (1_000, 150_000, 250_000, 1_000):
        span = Span(
            project_id="p",
            trace_id="t",
            span_id=f"s{input_tokens}",
            name="chat",
            start_time=when,
            end_time=when,
            kind="llm",
            provider="anthropic",
            request_model="claude-sonnet-4-5",
            input_tokens=input_tokens,
            output_tokens=100,
        )
        cost, _note = calculator.price(span)
        expected = calc_price(
            Usage(input_tokens=input_tokens, output_tokens=100),
            "claude-sonnet-4-5",
            provider_id="anthropic",
            genai_request_timestamp=when,
        ).total_price
        assert cost == expected
        priced.append(cost)
    # Past the 200K tier every token costs more than at the base rate.
    assert priced[2] is not None
    assert priced[1] is not None
    assert priced[2] / 250_000 > priced[1] / 150_000
