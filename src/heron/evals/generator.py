"""Generators for experiments: a prompt template filled from a dataset item, sent to a model.

The real ``openai`` client (any OpenAI-compatible server) or ``anthropic``
client, non-streaming. The template's ``{input}`` is the item's input as text;
when the input is a JSON object, each of its keys is a placeholder too
(``{question}``); other braces are left alone.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heron.errors import ConfigError, MissingExtraError
from heron.evals.judges.base import estimate_cost

__all__ = ["Generation", "GeneratorSpec", "call_model", "render_prompt"]


class GeneratorSpec(BaseModel):
    """One side of an experiment: which model, which template."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=100, description="Default: the model name.")
    provider: Literal["openai", "anthropic"] = "openai"
    model: str = Field(min_length=1, max_length=200)
    base_url: str | None = None
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    prompt_template: str = Field("{input}", min_length=1, max_length=50_000)
    system: str | None = None
    max_tokens: int = Field(512, ge=1, le=32_000)
    temperature: float = Field(
        0.0, ge=0.0, le=2.0, description="Sent to OpenAI-compatible servers only."
    )

    @property
    def side_label(self) -> str:
        """How results name this side."""
        return self.label or self.model


@dataclass(frozen=True, slots=True)
class Generation:
    """One model answer (or the error that prevented it)."""

    output: str
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None


def render_prompt(template: str, item_input: Any) -> str:
    """Fill ``{input}`` (and, for an object input, ``{key}`` of each key)."""
    text = item_input if isinstance(item_input, str) else json.dumps(item_input)
    prompt = template.replace("{input}", text)
    if isinstance(item_input, dict):
        for key, value in item_input.items():
            prompt = prompt.replace("{" + str(key) + "}", str(value))
    return prompt


def _api_key(spec: GeneratorSpec) -> str:
    if spec.api_key_env:
        key = os.environ.get(spec.api_key_env)
        if not key:
            raise ConfigError(
                f"generator api_key_env {spec.api_key_env!r} is not set in the server's "
                "environment; export it where heron runs"
            )
        return key
    default = "ANTHROPIC_API_KEY" if spec.provider == "anthropic" else "OPENAI_API_KEY"
    key = os.environ.get(default)
    if not key and spec.base_url is None:
        raise ConfigError(f"generator {spec.model!r} has no API key: set {default} or api_key_env")
    return key or "none"  # local OpenAI-compatible servers take any key


def call_model(spec: GeneratorSpec, prompt: str, timeout_s: float = 120.0) -> Generation:
    """Send ``prompt`` to the model of ``spec``; failures come back as ``error``."""
    key = _api_key(spec)
    started = time.perf_counter()
    try:
        if spec.provider == "anthropic":
            output, tokens_in, tokens_out = _anthropic(spec, prompt, key, timeout_s)
        else:
            output, tokens_in, tokens_out = _openai(spec, prompt, key, timeout_s)
    except (ConfigError, MissingExtraError):
        raise
    except Exception as exc:  # an HTTP or SDK error is a result of the experiment
        return Generation(
            output="",
            latency_ms=(time.perf_counter() - started) * 1000.0,
            error=f"{type(exc).__name__}: {str(exc)[:300]}",
        )
    return Generation(
        output=output,
        latency_ms=(time.perf_counter() - started) * 1000.0,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=estimate_cost(
            spec.provider, spec.model, input_tokens=tokens_in, output_tokens=tokens_out
        ),
    )


def _openai(spec: GeneratorSpec, prompt: str, key: str, timeout_s: float) -> tuple[str, int, int]:
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise MissingExtraError("experiments with OpenAI-compatible models", "judges") from exc
    messages: list[Any] = []
    if spec.system:
        messages.append({"role": "system", "content": spec.system})
    messages.append({"role": "user", "content": prompt})
    with openai.OpenAI(
        api_key=key, base_url=spec.base_url, timeout=timeout_s, max_retries=1
    ) as client:
        completion = client.chat.completions.create(
            model=spec.model,
            messages=messages,
            max_tokens=spec.max_tokens,
            temperature=spec.temperature,
        )
    text = completion.choices[0].message.content or "" if completion.choices else ""
    usage = completion.usage
    return (
        text,
        int(usage.prompt_tokens if usage else 0),
        int(usage.completion_tokens if usage else 0),
    )


def _anthropic(
    spec: GeneratorSpec, prompt: str, key: str, timeout_s: float
) -> tuple[str, int, int]:
    try:
        import anthropic
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise MissingExtraError("experiments with Anthropic models", "judges") from exc
    kwargs: dict[str, Any] = {}
    if spec.system:
        kwargs["system"] = spec.system
    with anthropic.Anthropic(
        api_key=key, base_url=spec.base_url, timeout=timeout_s, max_retries=1
    ) as client:
        message = client.messages.create(
            model=spec.model,
            max_tokens=spec.max_tokens,
            messages=[{"role": "user", "content": prompt}],
            **kwargs,
        )
    text = "".join(block.text for block in message.content if block.type == "text")
    usage = message.usage
    return text, int(usage.input_tokens or 0), int(usage.output_tokens or 0)
