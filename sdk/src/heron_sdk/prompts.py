"""Prompt templates: render the text and tag the model call that uses it.

heron groups LLM calls by template (``llm.prompt_template.*``, OpenInference
keys) to compare versions. Two forms:

- ``text = heron_sdk.prompt(template, version="v2", city="Paris")`` renders and
  marks the template as *pending*: the next LLM span started in the same
  context (thread or asyncio task) takes it, once.
- ``with heron_sdk.prompt_context(template, "v2", city="Paris") as text:``
  tags every LLM span started inside the block.

Only LLM spans are tagged, not every span in scope: a template on a chain,
tool or HTTP span would make those count as uses of the prompt in heron's
per-template stats, and heron already shows an LLM span's template on the
trace it belongs to.
"""

from __future__ import annotations

import contextvars
import logging
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span
from opentelemetry.util.types import AttributeValue

from heron_sdk.serialization import to_json

__all__ = ["PromptTemplate", "prompt", "prompt_context", "render", "template_for"]

_log = logging.getLogger("heron_sdk")

_KEY = otel_context.create_key("heron_sdk.prompt_template")
_PENDING: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "heron_sdk_pending_prompt", default=None
)


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A template with its version and variables, and the span attributes they make."""

    template: str
    version: str | None
    variables: Mapping[str, Any]
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)

    @classmethod
    def build(
        cls, template: str, version: str | None, variables: Mapping[str, Any]
    ) -> PromptTemplate:
        """A template with its attributes computed once."""
        attrs: dict[str, AttributeValue] = {"llm.prompt_template.template": template}
        if version is not None:
            attrs["llm.prompt_template.version"] = str(version)
        attrs["llm.prompt_template.variables"] = to_json(dict(variables))
        return cls(template, None if version is None else str(version), dict(variables), attrs)


class _Pending:
    """A template waiting for the next LLM span; shared by reference so one use consumes it."""

    __slots__ = ("template", "used")

    def __init__(self, template: PromptTemplate) -> None:
        self.template = template
        self.used = False


class _Hole:
    """Stands in for a missing variable and renders back as its own placeholder."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __format__(self, spec: str) -> str:
        return "{" + self._text + (":" + spec if spec else "") + "}"

    def __getattr__(self, name: str) -> _Hole:
        return _Hole(f"{self._text}.{name}")

    def __getitem__(self, key: object) -> _Hole:
        return _Hole(f"{self._text}[{key}]")


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return _Hole(key)
        return super().get_value(key, args, kwargs)


_FORMATTER = _Formatter()


def render(template: str, variables: Mapping[str, Any]) -> str:
    """``template`` with ``{name}`` placeholders filled; unknown names stay as written.

    A template ``str.format`` cannot parse (a lone ``{``) is returned unchanged.
    """
    try:
        return _FORMATTER.vformat(template, (), variables)
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        _log.warning(
            "heron_sdk.prompt(): template could not be rendered; sent as written", exc_info=True
        )
        return template


def prompt(template: str, version: str | None = None, **variables: Any) -> str:
    """Render ``template`` with ``variables`` and tag the next LLM call with it.

    Example::

        text = heron_sdk.prompt("Summarize for {audience}: {doc}", version="v3",
                                audience="kids", doc=doc)
        client.chat.completions.create(messages=[{"role": "user", "content": text}], ...)
    """
    try:
        _PENDING.set(_Pending(PromptTemplate.build(template, version, variables)))
    except Exception:
        _log.warning("heron_sdk.prompt(): could not record the template", exc_info=True)
    return render(template, variables)


@contextmanager
def prompt_context(template: str, version: str | None = None, **variables: Any) -> Iterator[str]:
    """Render ``template`` and tag every LLM call made inside the block with it."""
    token = None
    try:
        token = otel_context.attach(
            otel_context.set_value(_KEY, PromptTemplate.build(template, version, variables))
        )
    except Exception:
        _log.warning("heron_sdk.prompt_context(): could not record the template", exc_info=True)
    try:
        yield render(template, variables)
    finally:
        if token is not None:
            otel_context.detach(token)


def template_for(
    span: Span, parent_context: Context | None, is_llm: Callable[[Span], bool]
) -> PromptTemplate | None:
    """The template that applies to ``span`` as it starts, consuming a pending one."""
    scoped = otel_context.get_value(_KEY, parent_context)
    pending = _PENDING.get()
    if scoped is None and (pending is None or pending.used):
        return None  # the common case: nothing to check, no attribute scan
    if not is_llm(span):
        return None
    if isinstance(scoped, PromptTemplate):
        return scoped
    if pending is not None and not pending.used:
        pending.used = True
        return pending.template
    return None
