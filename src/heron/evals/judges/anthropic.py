"""A judge on the Anthropic Messages API, structured output through a forced tool call."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from heron.errors import ConfigError, JudgeError, MissingExtraError
from heron.evals.judges.base import TOOL_NAME, JudgeReply, estimate_cost, structured_answer

if TYPE_CHECKING:
    import anthropic

__all__ = ["AnthropicJudge"]

DEFAULT_MODEL = "claude-3-5-haiku-latest"


def _import_anthropic() -> Any:
    try:
        import anthropic
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise MissingExtraError("LLM-as-judge evals", "judges") from exc
    return anthropic


class AnthropicJudge:
    """Ask a Claude model; its answer is the input of a forced ``submit_evaluation`` tool.

    The client is built once and shared by every thread (httpx clients are
    thread-safe). Timeouts and retries (with the client's backoff, honouring
    ``retry-after``) are configured on it. ``api_key`` defaults to
    ``$ANTHROPIC_API_KEY``; ``base_url`` to the public endpoint.
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
    ) -> None:
        sdk = _import_anthropic()
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError(
                "AnthropicJudge has no API key: pass api_key=... or set ANTHROPIC_API_KEY"
            )
        if timeout_s <= 0 or max_retries < 0:
            raise ConfigError(
                f"AnthropicJudge timeout_s={timeout_s} / max_retries={max_retries}: "
                "use a positive timeout and a non-negative retry count"
            )
        self.name = "anthropic"
        self.model = model
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self._sdk = sdk
        self._client: anthropic.Anthropic = sdk.Anthropic(
            api_key=key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    def complete(self, system: str, prompt: str, schema: dict[str, Any]) -> JudgeReply:
        """One call; HTTP errors and timeouts become :class:`JudgeError`."""
        sdk = self._sdk
        try:
            message = self._client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                system=system,
                messages=[{"role": "user", "content": prompt}],
                tools=[
                    {
                        "name": TOOL_NAME,
                        "description": "Submit the evaluation result.",
                        "input_schema": schema,
                    }
                ],
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )
        except sdk.APITimeoutError as exc:
            raise JudgeError(
                f"judge anthropic ({self.model}) timed out after {self.timeout_s:g}s",
                reason="timeout",
            ) from exc
        except sdk.APIStatusError as exc:
            raise JudgeError(
                f"judge anthropic ({self.model}) failed with HTTP {exc.status_code}: "
                f"{str(exc.message)[:200]}",
                reason=f"http_{exc.status_code}",
            ) from exc
        except sdk.APIError as exc:  # connection refused, bad response...
            raise JudgeError(
                f"judge anthropic ({self.model}) call failed: {exc}", reason="connection"
            ) from exc
        return self._reply(message)

    def _reply(self, message: Any) -> JudgeReply:
        data: dict[str, Any] | None = None
        texts: list[str] = []
        for block in message.content:
            if block.type == "tool_use" and isinstance(block.input, dict):
                data = data if data is not None else dict(block.input)
            elif block.type == "text":
                texts.append(block.text)
        text = "\n".join(texts)
        usage = message.usage
        cache_read = int(usage.cache_read_input_tokens or 0)
        cache_write = int(usage.cache_creation_input_tokens or 0)
        # Anthropic's input_tokens excludes cache tokens; heron's includes them.
        input_tokens = int(usage.input_tokens or 0) + cache_read + cache_write
        output_tokens = int(usage.output_tokens or 0)
        refused = message.stop_reason == "refusal"
        return JudgeReply(
            judge=self.name,
            model=str(message.model or self.model),
            text=text,
            data=None if refused else data,
            refusal=(text or "stop_reason=refusal") if refused else None,
            finish_reason=message.stop_reason,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cache_read,
            cache_write_input_tokens=cache_write,
            cost_usd=estimate_cost(
                "anthropic",
                self.model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read=cache_read,
                cache_write=cache_write,
            ),
        )

    def judge(self, system: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
        """The parsed structured answer (:class:`heron.protocols.Judge`)."""
        return structured_answer(self.complete(system, prompt, schema))

    def close(self) -> None:
        """Close the HTTP client's connections."""
        self._client.close()
