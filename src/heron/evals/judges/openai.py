"""A judge on the OpenAI Chat Completions API or any compatible server (vLLM, Ollama, LiteLLM).

Structured output through ``response_format: json_schema``. Servers that
ignore it still answer in text, which :func:`structured_answer` recovers
(fenced JSON, JSON amid prose); set ``structured=False`` for servers that
reject the parameter, and the schema is then only described in the prompt.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from heron.errors import ConfigError, JudgeError, MissingExtraError
from heron.evals.judges.base import TOOL_NAME, JudgeReply, estimate_cost, structured_answer

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAIJudge"]

DEFAULT_MODEL = "gpt-4o-mini"


def _import_openai() -> Any:
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise MissingExtraError("LLM-as-judge evals", "judges") from exc
    return openai


class OpenAIJudge:
    """Ask an OpenAI(-compatible) chat model for a JSON object matching a schema.

    ``api_key`` defaults to ``$OPENAI_API_KEY``; local servers that need no key
    take any placeholder (``api_key="none"``). ``provider`` names the price
    table for cost (``openai`` by default; None cost for unknown models).
    """

    needs_network = True

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        structured: bool = True,
        provider: str = "openai",
    ) -> None:
        sdk = _import_openai()
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ConfigError(
                "OpenAIJudge has no API key: pass api_key=... or set OPENAI_API_KEY "
                "(for a local server that needs none, pass api_key='none')"
            )
        if timeout_s <= 0 or max_retries < 0:
            raise ConfigError(
                f"OpenAIJudge timeout_s={timeout_s} / max_retries={max_retries}: "
                "use a positive timeout and a non-negative retry count"
            )
        self.name = "openai"
        self.model = model
        self.provider = provider
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.structured = structured
        self.timeout_s = timeout_s
        self._sdk = sdk
        self._client: openai.OpenAI = sdk.OpenAI(
            api_key=key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    def complete(self, system: str, prompt: str, schema: dict[str, Any]) -> JudgeReply:
        """One call; HTTP errors and timeouts become :class:`JudgeError`."""
        sdk = self._sdk
        kwargs: dict[str, Any] = {}
        if self.structured:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": TOOL_NAME, "schema": schema},
            }
        else:
            system = f"{system}\n\nAnswer with one JSON object matching this schema:\n" + (
                json.dumps(schema)
            )
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": prompt},
                ],
                **kwargs,
            )
        except sdk.APITimeoutError as exc:
            raise JudgeError(
                f"judge openai ({self.model}) timed out after {self.timeout_s:g}s",
                reason="timeout",
            ) from exc
        except sdk.APIStatusError as exc:
            raise JudgeError(
                f"judge openai ({self.model}) failed with HTTP {exc.status_code}: "
                f"{str(exc.message)[:200]}",
                reason=f"http_{exc.status_code}",
            ) from exc
        except sdk.APIError as exc:
            raise JudgeError(
                f"judge openai ({self.model}) call failed: {exc}", reason="connection"
            ) from exc
        return self._reply(completion)

    def _reply(self, completion: Any) -> JudgeReply:
        if not completion.choices:
            raise JudgeError(
                f"judge openai ({self.model}) returned no choices", reason="unparseable"
            )
        choice = completion.choices[0]
        message = choice.message
        text = message.content or ""
        data: dict[str, Any] | None = None
        for call in message.tool_calls or []:
            # Some compatible servers answer response_format with a tool call.
            function = getattr(call, "function", None)
            if function is not None and data is None:
                try:
                    parsed = json.loads(function.arguments or "")
                except json.JSONDecodeError:
                    parsed = None
                data = parsed if isinstance(parsed, dict) else None
        if data is None and self.structured and text:
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None  # left to structured_answer's recovery
            data = parsed if isinstance(parsed, dict) else None
        usage = completion.usage
        input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cache_read = int(getattr(details, "cached_tokens", 0) or 0)
        return JudgeReply(
            judge=self.name,
            model=str(completion.model or self.model),
            text=text,
            data=data,
            refusal=message.refusal,
            finish_reason=choice.finish_reason,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cache_read,
            cost_usd=estimate_cost(
                self.provider,
                self.model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read=cache_read,
            ),
        )

    def judge(self, system: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
        """The parsed structured answer (:class:`heron.protocols.Judge`)."""
        return structured_answer(self.complete(system, prompt, schema))

    def close(self) -> None:
        """Close the HTTP client's connections."""
        self._client.close()
