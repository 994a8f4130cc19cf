"""The linear fast path prices exactly as genai-prices itself does."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price
from genai_prices.types import TieredPrices

from heron.normalize.cost import LinearPrice

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
