"""``@heron_sdk.observe``: a span around a function of the app (chain, tool, agent...).

The span carries ``openinference.span.kind`` (the kind upper-cased), the
call's arguments and result as JSON (``input.value`` / ``output.value``) only
when content capture is on, and any exception (recorded, status ERROR, then
re-raised unchanged). Sync and async functions, generators and async
generators are supported; for generators the span lasts until the consumer
is done iterating.

Cost on the app's thread (``benchmarks/sdk_overhead.py``): the arguments are
serialized before the span starts and passed in its first attributes, so OTel
cleans them in the same pass as the kind; a call whose span a sampler then
drops has still paid for that serialization (about a microsecond for a few
scalar arguments).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Literal, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import attach, detach
from opentelemetry.trace import Span, Status, StatusCode, set_span_in_context
from opentelemetry.util.types import AttributeValue

from heron_sdk import handle
from heron_sdk.serialization import to_json

__all__ = ["SpanKind", "observe"]

_log = logging.getLogger("heron_sdk")

SpanKind = Literal[
    "chain", "tool", "retriever", "agent", "llm", "embedding", "reranker", "guardrail", "evaluator"
]
_KINDS = frozenset(SpanKind.__args__)  # type: ignore[attr-defined]
_MAX_ITEMS = 100  # generator outputs kept for output.value
_JSON_MIME = "application/json"

F = TypeVar("F", bound=Callable[..., Any])
# Starts a call's span: (positional arguments, keyword arguments) -> the started span.
_Start = Callable[[tuple[Any, ...], dict[str, Any]], Span]

# Resolves to whatever provider is global at call time; used when heron was given none.
_GLOBAL_TRACER = trace.get_tracer("heron_sdk")


def _capture() -> bool:
    active = handle.active()
    return active is not None and active.settings.capture_content


@overload
def observe(func: F, /) -> F: ...


@overload
def observe(
    func: None = None, /, *, name: str | None = None, kind: SpanKind | str = "chain"
) -> Callable[[F], F]: ...


def observe(
    func: F | None = None, /, *, name: str | None = None, kind: SpanKind | str = "chain"
) -> F | Callable[[F], F]:
    """Record a span for each call of the decorated function.

    Use bare (``@observe``) or with options (``@observe(name="search", kind="tool")``).
    ``name`` defaults to the function's qualified name.
    """
    if func is not None:
        return _decorate(func, None, "chain")
    return lambda f: _decorate(f, name, kind)


def _decorate(func: F, name: str | None, kind: str) -> F:
    try:
        return _wrap(func, name, kind)
    except Exception:
        _log.warning("heron_sdk.observe: cannot wrap %r; left untraced", func, exc_info=True)
        return func


def _wrap(func: F, name: str | None, kind: str) -> F:
    kind_value = kind.lower() if isinstance(kind, str) else "chain"
    if kind_value not in _KINDS:
        _log.warning(
            "heron_sdk.observe: kind %r is not one of %s; using 'chain'",
            kind,
            ", ".join(sorted(_KINDS)),
        )
        kind_value = "chain"
    span_name = name or getattr(func, "__qualname__", None) or repr(func)
    base_attrs: dict[str, AttributeValue] = {"openinference.span.kind": kind_value.upper()}
    signature = _signature(func)
    names = _plain_names(signature)

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span:
        active = handle.active()
        tracer = _GLOBAL_TRACER if active is None or active.tracer is None else active.tracer
        attrs = base_attrs
        if active is not None and active.settings.capture_content:
            # The input goes in with the span's first attributes (one cleaning pass by
            # OTel, not a second set_attributes call), serialized now, at call time,
            # so a later mutation of an argument does not change the record.
            try:
                value = to_json(_bind(signature, names, args, kwargs))
                attrs = {**base_attrs, "input.value": value, "input.mime_type": _JSON_MIME}
            except Exception:
                _log.debug("heron_sdk.observe: could not record input", exc_info=True)
        return tracer.start_span(span_name, attributes=attrs)

    if inspect.isasyncgenfunction(func):
        return _wrap_async_gen(func, start)  # type: ignore[return-value]
    if inspect.isgeneratorfunction(func):
        return _wrap_gen(func, start)  # type: ignore[return-value]
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = start(args, kwargs)
            token = attach(set_span_in_context(span))
            try:
                result = await func(*args, **kwargs)
                _record_output(span, result)
                return result
            except Exception as exc:
                _record_error(span, exc)
                raise
            finally:
                detach(token)
                span.end()

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = start(args, kwargs)
        token = attach(set_span_in_context(span))
        try:
            result = func(*args, **kwargs)
            _record_output(span, result)
            return result
        except Exception as exc:
            _record_error(span, exc)
            raise
        finally:
            detach(token)
            span.end()

    return wrapper  # type: ignore[return-value]


def _wrap_gen(
    func: Callable[..., Generator[Any, Any, Any]], start: _Start
) -> Callable[..., Generator[Any, Any, Any]]:
    @functools.wraps(func)
    def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        span = start(args, kwargs)
        ctx = trace.set_span_in_context(span)
        items: list[Any] = []
        # The span is current only while the generator body runs, never across a
        # yield: a token attached in one frame and detached in another breaks the
        # consumer's context.
        token = otel_context.attach(ctx)
        try:
            inner = func(*args, **kwargs)
        finally:
            otel_context.detach(token)
        try:
            sent: Any = None
            while True:
                token = otel_context.attach(ctx)
                try:
                    item = inner.send(sent)
                except StopIteration as stop:
                    _record_output(span, items, stop.value)
                    return stop.value
                finally:
                    otel_context.detach(token)
                if len(items) < _MAX_ITEMS:
                    items.append(item)
                sent = yield item
        except GeneratorExit:
            inner.close()
            raise
        except Exception as exc:
            _record_error(span, exc)
            raise
        finally:
            span.end()

    return gen_wrapper


def _wrap_async_gen(
    func: Callable[..., AsyncGenerator[Any, Any]], start: _Start
) -> Callable[..., AsyncGenerator[Any, Any]]:
    @functools.wraps(func)
    async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        span = start(args, kwargs)
        ctx = trace.set_span_in_context(span)
        items: list[Any] = []
        token = otel_context.attach(ctx)
        try:
            inner = func(*args, **kwargs)
        finally:
            otel_context.detach(token)
        try:
            sent: Any = None
            while True:
                token = otel_context.attach(ctx)
                try:
                    item = await inner.asend(sent)
                except StopAsyncIteration:
                    _record_output(span, items)
                    return
                finally:
                    otel_context.detach(token)
                if len(items) < _MAX_ITEMS:
                    items.append(item)
                sent = yield item
        except GeneratorExit:
            await inner.aclose()
            raise
        except Exception as exc:
            _record_error(span, exc)
            raise
        finally:
            span.end()

    return agen_wrapper


def _signature(func: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def _bind(
    signature: inspect.Signature | None,
    names: tuple[str, ...] | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    if names is not None and len(args) <= len(names):
        # Fast path (most functions): no *args/**kwargs, so names map one to one.
        arguments = dict(zip(names, args, strict=False))
        if kwargs:
            arguments.update(kwargs)
    elif signature is None:
        return {"args": list(args), "kwargs": kwargs}
    else:
        try:
            arguments = dict(signature.bind_partial(*args, **kwargs).arguments)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
    # The receiver of a method is the object, not an input worth recording.
    if "self" in arguments:
        del arguments["self"]
    if "cls" in arguments:
        del arguments["cls"]
    return arguments


def _plain_names(signature: inspect.Signature | None) -> tuple[str, ...] | None:
    """Parameter names when none is variadic or positional-only, else None."""
    if signature is None:
        return None
    simple = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = signature.parameters.values()
    if any(p.kind not in simple for p in params):
        return None
    return tuple(p.name for p in params)


def _record_output(span: Span, result: Any, returned: Any = None) -> None:
    if not (_capture() and span.is_recording()):
        return
    try:
        value = result if returned is None else {"yielded": result, "returned": returned}
        text = to_json(value)
        # Two single sets skip the mapping checks of OTel's set_attributes (cheaper).
        span.set_attribute("output.value", text)
        span.set_attribute("output.mime_type", _JSON_MIME)
    except Exception:
        _log.debug("heron_sdk.observe: could not record output", exc_info=True)


def _record_error(span: Span, exc: BaseException) -> None:
    try:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        span.set_attribute("error.type", type(exc).__qualname__)
    except Exception:
        _log.debug("heron_sdk.observe: could not record the exception", exc_info=True)
