"""Cost in USD of each LLM call, priced with ``genai-prices`` plus user overrides.

Uncached input, cache reads, cache writes and output are priced separately, so no
token is priced twice. The price is the one in force at the span's start time
(``genai-prices`` keeps price history), with the package's bundled data only:
nothing is fetched at run time. A cost the instrumentation reported itself
(OpenInference ``llm.cost.*``, OpenLIT ``gen_ai.usage.cost``) is kept as given.

Prices file (``HERON_PRICES_FILE``), USD per million tokens; entries add models
or override ``genai-prices``; keys are exact model names or ``prefix*`` families::

    models:
      acme-large:          # matched case-insensitively against the response model,
        input: 2.0         #   then the request model
        output: 8.0
        cache_read: 0.5    # optional; default: the input price
        cache_write: 2.5   # optional; default: the input price
      "acme-small-*":      # every model whose name starts with "acme-small-"
        input: 0.1
        output: 0.4

A model known to neither gets ``cost_usd = None`` and a ``cost_note`` saying why.

Speed: ``genai-prices``' own calculation costs about half a millisecond per call,
which alone would cap ingest near 2,000 LLM spans/s per core. A price without
tiers is linear in the four token counts, so for each (provider, model, day) the
library is asked five times for the coefficients (:class:`LinearPrice`) and each
span is then priced with four multiplications. A tiered price (Anthropic's and
Google's long-context rates) is linear below its first tier, where nearly every
call falls, so it is measured there (:meth:`LinearPrice.below_tiers`) and only a
span past the threshold goes through the library. The coefficients come from the
library's own answers, so the result is the same Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from genai_prices import Usage, calc_price
from genai_prices.types import ModelPrice, TieredPrices

from heron.errors import ConfigError
from heron.model import Span
from heron.normalize.model_table import ModelTable, load_models_section

__all__ = ["CostCalculator", "LinearPrice", "PriceEntry", "load_prices_file"]

# heron provider names -> genai-prices provider ids (where they differ).
_PRICE_PROVIDERS = {
    "azure.ai.openai": "azure",
    "az.ai.inference": "azure",
    "aws.bedrock": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "xai": "x-ai",
}
# Local runtimes: a model name there must not be priced at a cloud provider's rate.
_SELF_HOSTED = frozenset({"ollama", "vllm", "lmstudio", "llama.cpp", "local", "huggingface"})
_PRICE_KEYS = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True, slots=True)
class PriceEntry:
    """A user price, USD per million tokens."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None

    def model_price(self) -> ModelPrice:
        """The entry as a ``genai-prices`` price, so one calculator prices both."""
        return ModelPrice(
            input_mtok=self.input,
            output_mtok=self.output,
            cache_read_mtok=self.cache_read if self.cache_read is not None else self.input,
            cache_write_mtok=self.cache_write if self.cache_write is not None else self.input,
        )


def load_prices_file(path: Path) -> dict[str, PriceEntry]:
    """Parse a prices file (format in this module's docstring); ConfigError when malformed."""
    entries: dict[str, PriceEntry] = {}
    for name, raw in load_models_section(path, "HERON_PRICES_FILE").items():
        if not isinstance(raw, dict) or "input" not in raw or "output" not in raw:
            raise ConfigError(
                f"HERON_PRICES_FILE={str(path)!r}: model {name!r} needs 'input' and 'output' "
                "prices in USD per million tokens (optional 'cache_read', 'cache_write')"
            )
        unknown = sorted(set(raw) - set(_PRICE_KEYS))
        if unknown:
            raise ConfigError(
                f"HERON_PRICES_FILE={str(path)!r}: model {name!r} has unknown keys {unknown}; "
                f"allowed: {', '.join(_PRICE_KEYS)}"
            )
        values = {key: _price(path, name, key, raw.get(key)) for key in _PRICE_KEYS}
        entries[name] = PriceEntry(
            input=values["input"] or Decimal(0),
            output=values["output"] or Decimal(0),
            cache_read=values["cache_read"],
            cache_write=values["cache_write"],
        )
    return entries


def _price(path: Path, name: str, key: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        price = Decimal(str(value))
    except InvalidOperation:
        price = Decimal(-1)
    if not price.is_finite() or price < 0:
        raise ConfigError(
            f"HERON_PRICES_FILE={str(path)!r}: {name}.{key} = {value!r} is not a price; "
            "write a non-negative number of USD per million tokens"
        )
    return price


_MTOK = 1_000_000


@dataclass(frozen=True, slots=True)
class LinearPrice:
    """A tier-free model price as coefficients per token (plus a per-request constant)."""

    base: Decimal
    per_input: Decimal
    per_cache_read: Decimal
    per_cache_write: Decimal
    per_output: Decimal
    # Tokens each coefficient is the price of (a power of ten up to a million).
    scale: int = _MTOK
    # Valid only for usages with at most this many input tokens (the first tier).
    max_input: int | None = None

    @classmethod
    def of(cls, model_price: ModelPrice) -> LinearPrice | None:
        """The coefficients of ``model_price``, or None when it has tiers (not linear)."""
        if any(isinstance(value, TieredPrices) for value in vars(model_price).values()):
            return None
        return cls._measure(model_price, _MTOK, None)

    @classmethod
    def below_tiers(cls, model_price: ModelPrice) -> LinearPrice | None:
        """Coefficients valid up to the first tier's threshold (``of`` when tier-free).

        A tier applies when the input tokens exceed its start, so below the lowest
        start every price is its base and the price is linear. The coefficients are
        measured at a power of ten within that range, which keeps them exact.
        """
        starts = [
            tier.start
            for value in vars(model_price).values()
            if isinstance(value, TieredPrices)
            for tier in value.tiers
        ]
        if not starts:
            return cls.of(model_price)
        bound = min(starts)
        if bound < 1:
            return None
        scale = min(10 ** (len(str(bound)) - 1), _MTOK)
        return cls._measure(model_price, scale, bound)

    def covers(self, usage: Usage) -> bool:
        """Whether ``total`` prices ``usage`` (its input is below every tier)."""
        return self.max_input is None or (usage.input_tokens or 0) <= self.max_input

    @classmethod
    def _measure(cls, model_price: ModelPrice, n: int, max_input: int | None) -> LinearPrice | None:
        def total(inp: int, read: int, write: int, out: int) -> Decimal:
            usage = Usage(
                input_tokens=inp,
                cache_read_tokens=read,
                cache_write_tokens=write,
                output_tokens=out,
            )
            return Decimal(model_price.calc_price(usage)["total_price"])

        try:
            base = total(0, 0, 0, 0)
            per_input = total(n, 0, 0, 0) - base
            return cls(
                base=base,
                per_input=per_input,
                per_cache_read=total(n, n, 0, 0) - base - per_input,
                per_cache_write=total(n, 0, n, 0) - base - per_input,
                per_output=total(0, 0, 0, n) - base,
                scale=n,
                max_input=max_input,
            )
        except (LookupError, ValueError, ArithmeticError):
            return None

    def total(self, usage: Usage) -> Decimal:
        """The price of ``usage`` in USD."""
        tokens = (
            self.per_input * Decimal(usage.input_tokens or 0)
            + self.per_cache_read * Decimal(usage.cache_read_tokens or 0)
            + self.per_cache_write * Decimal(usage.cache_write_tokens or 0)
            + self.per_output * Decimal(usage.output_tokens or 0)
        )
        return self.base + tokens / self.scale


class CostCalculator:
    """Processor setting ``cost_usd``/``cost_note`` on LLM spans."""

    def __init__(self, prices_file: Path | None = None) -> None:
        overrides = load_prices_file(prices_file) if prices_file is not None else {}
        self._overrides: ModelTable[PriceEntry] = ModelTable(overrides)
        # (provider id, model, day) -> linear price, or None when the library must be asked.
        self._linear: dict[tuple[str | None, str, date], LinearPrice | None] = {}

    def __call__(self, span: Span) -> Span:
        if not span.is_llm:
            return span
        if span.cost_usd is not None:
            return span  # reported by the instrumentation; the note says by whom
        span.cost_usd, span.cost_note = self.price(span)
        return span

    def price(self, span: Span) -> tuple[Decimal | None, str | None]:
        """(cost, note) of the span's usage; cost None with a note when it cannot be priced."""
        if span.input_tokens == 0 and span.output_tokens == 0:
            return None, "no token usage reported"
        usage = Usage(
            input_tokens=span.input_tokens,
            cache_read_tokens=span.cached_input_tokens,
            cache_write_tokens=span.cache_write_input_tokens,
            output_tokens=span.output_tokens,
        )
        models = [m for m in (span.response_model, span.request_model) if m]
        if not models:
            return None, "no model name on the span, so no price applies"
        for model in models:
            entry = self._overrides.get(model)
            if entry is not None:
                total = entry.model_price().calc_price(usage)["total_price"]
                return total, f"priced from HERON_PRICES_FILE entry for {model!r}"
        for model in models:
            priced = self._library_price(usage, model, span)
            if priced is not None:
                return priced, None
        return None, (
            f"no price known for model {models[0]!r} (provider {span.provider!r}); "
            "add it to HERON_PRICES_FILE"
        )

    def _library_price(self, usage: Usage, model: str, span: Span) -> Decimal | None:
        provider = _PRICE_PROVIDERS.get(span.provider or "", span.provider)
        attempts: list[str | None] = [provider] if provider else [None]
        if provider and provider not in _SELF_HOSTED:
            # An unknown provider id (a gateway, a proxy) still names a known model.
            attempts.append(None)
        day = span.start_time.date()
        for provider_id in attempts:
            key = (provider_id, model, day)
            linear = self._linear.get(key)
            if linear is not None and linear.covers(usage):
                return linear.total(usage)
            try:
                result = calc_price(
                    usage, model, provider_id=provider_id, genai_request_timestamp=span.start_time
                )
            except (LookupError, ValueError, ArithmeticError):
                continue
            if key not in self._linear and len(self._linear) < 10_000:
                self._linear[key] = LinearPrice.below_tiers(result.model_price)
            return Decimal(result.total_price)
        return None
