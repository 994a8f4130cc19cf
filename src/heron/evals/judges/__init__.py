"""LLM judges: the real provider clients behind :class:`StructuredJudge`.

The provider modules import their client package only when a judge is built,
so a plain ``pip install heron`` works until someone configures a judge, who
then gets :class:`heron.errors.MissingExtraError` with the install line.
"""

from __future__ import annotations

from typing import Any

from heron.errors import ConfigError
from heron.evals.judges.base import (
    JudgeReply,
    StructuredJudge,
    estimate_cost,
    extract_json_object,
    structured_answer,
)

__all__ = [
    "JudgeReply",
    "StructuredJudge",
    "create_judge",
    "estimate_cost",
    "extract_json_object",
    "structured_answer",
]


def create_judge(provider: str, **config: Any) -> StructuredJudge:
    """Build a judge by provider name: ``anthropic`` or ``openai`` (any compatible server).

    ``config`` goes to the judge's constructor (model, api_key, base_url,
    timeout_s, max_retries, ...).
    """
    if provider == "anthropic":
        from heron.evals.judges.anthropic import AnthropicJudge

        return AnthropicJudge(**config)
    if provider in ("openai", "openai-compatible", "vllm", "ollama", "litellm"):
        from heron.evals.judges.openai import OpenAIJudge

        return OpenAIJudge(**config)
    raise ConfigError(
        f"unknown judge provider {provider!r}: use 'anthropic' or 'openai' "
        "(the latter for any OpenAI-compatible server such as vLLM, Ollama or LiteLLM)"
    )
