"""Logs correlated with traces: a stdlib handler and a structlog processor exporting OTLP logs.

Both stamp the current span's ``trace_id`` and ``span_id`` (hex) on the
record, so a console or JSON formatter can print them, and send the record to
heron as an OTLP log whose trace and span ids link it to the trace.

``logging.getLogger().addHandler(heron_sdk.logging.HeronLogHandler())`` or, with
structlog, put ``heron_sdk.structlog_processor`` before the renderer. Use one
of the two for a given record, or it is exported twice.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.util.types import AnyValue

from heron_sdk import handle

__all__ = ["HeronLogHandler", "TraceContextFilter", "emit", "structlog_processor"]

# Records of these loggers are never exported: the exporters log their own
# failures, and exporting those would loop while heron is down.
_OWN_LOGGERS = ("opentelemetry", "heron_sdk", "urllib3", "requests")

# The attributes every LogRecord has; anything else was passed via `extra=`.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "trace_id",
    "span_id",
}

_guard = threading.local()


def current_ids() -> tuple[str, str]:
    """The current span's trace and span ids as hex, or two empty strings outside a span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return "", ""
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def severity_of(levelno: int) -> SeverityNumber:
    """OTel's severity number for a stdlib level (DEBUG=5, INFO=9, WARN=13, ERROR=17, FATAL=21)."""
    for floor, severity in (
        (logging.CRITICAL, SeverityNumber.FATAL),
        (logging.ERROR, SeverityNumber.ERROR),
        (logging.WARNING, SeverityNumber.WARN),
        (logging.INFO, SeverityNumber.INFO),
        (logging.DEBUG, SeverityNumber.DEBUG),
    ):
        if levelno >= floor:
            return severity
    return SeverityNumber.TRACE


def _attr_value(value: Any) -> AnyValue:
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (str, bool, int, float)) for v in value
    ):
        return list(value)
    return repr(value)


def emit(
    *,
    logger_name: str,
    body: AnyValue,
    levelno: int,
    attributes: Mapping[str, AnyValue],
    event_name: str | None = None,
    timestamp_ns: int | None = None,
    logger_provider: LoggerProvider | None = None,
) -> bool:
    """Export one log record to heron, stamped with the current trace context.

    Returns False when heron is not initialized or the record is refused.
    Never raises; a record logged while exporting is dropped to avoid loops.
    """
    provider = logger_provider
    if provider is None:
        active = handle.active()
        provider = active.logger_provider if active is not None else None
    if provider is None or getattr(_guard, "busy", False):
        return False
    _guard.busy = True
    try:
        level_name = logging.getLevelName(levelno)
        record = LogRecord(
            timestamp=timestamp_ns,
            context=otel_context.get_current(),
            severity_text={"WARNING": "WARN", "CRITICAL": "FATAL"}.get(level_name, level_name),
            severity_number=severity_of(levelno),
            body=body,
            attributes=dict(attributes),
            event_name=event_name,
        )
        provider.get_logger(logger_name).emit(record)
        return True
    except Exception:
        return False
    finally:
        _guard.busy = False


class TraceContextFilter(logging.Filter):
    """Adds ``record.trace_id`` and ``record.span_id`` (hex, empty outside a span); exports nothing.

    For formatters: ``"%(asctime)s %(trace_id)s %(message)s"``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the ids and keep the record."""
        record.trace_id, record.span_id = current_ids()
        return True


class HeronLogHandler(logging.Handler):
    """A stdlib handler that stamps trace ids on records and exports them to heron as OTLP logs.

    Without an active :func:`heron_sdk.init` (and no ``logger_provider``) it
    only stamps the ids. ``extra=`` fields become log attributes.
    """

    def __init__(
        self, level: int = logging.NOTSET, *, logger_provider: LoggerProvider | None = None
    ) -> None:
        super().__init__(level)
        self._provider = logger_provider

    def emit(self, record: logging.LogRecord) -> None:
        """Stamp and export ``record``; errors go to ``handleError`` like any handler's."""
        try:
            record.trace_id, record.span_id = current_ids()
            if record.name.startswith(_OWN_LOGGERS):
                return
            emit(
                logger_name=record.name,
                body=self.format(record) if self.formatter else record.getMessage(),
                levelno=record.levelno,
                attributes=self._attributes(record),
                timestamp_ns=int(record.created * 1e9),
                logger_provider=self._provider,
            )
        except Exception:
            self.handleError(record)

    @staticmethod
    def _attributes(record: logging.LogRecord) -> dict[str, AnyValue]:
        attrs: dict[str, AnyValue] = {
            "code.file.path": record.pathname,
            "code.function.name": record.funcName,
            "code.line.number": record.lineno,
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and value is not None:
                attrs[key] = _attr_value(value)
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, exc, tb = record.exc_info
            attrs["exception.type"] = exc_type.__qualname__
            attrs["exception.message"] = str(exc)
            attrs["exception.stacktrace"] = "".join(traceback.format_exception(exc_type, exc, tb))
        return attrs


_STRUCTLOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


def structlog_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: add ``trace_id``/``span_id`` and export the event to heron.

    Place it after the processors that add fields you want exported and before
    the renderer. The event dict passes on unchanged apart from the two ids
    (added only inside a span). Needs no structlog import, so structlog stays optional.
    """
    try:
        trace_id, span_id = current_ids()
        if trace_id:
            event_dict.setdefault("trace_id", trace_id)
            event_dict.setdefault("span_id", span_id)
        level = str(event_dict.get("level", method_name)).lower()
        name = str(event_dict.get("logger", getattr(logger, "name", None) or "structlog"))
        attrs = {
            str(k): _attr_value(v)
            for k, v in event_dict.items()
            if k not in ("event", "trace_id", "span_id") and v is not None
        }
        emit(
            logger_name=name,
            body=_attr_value(event_dict.get("event", "")),
            levelno=_STRUCTLOG_LEVELS.get(level, logging.INFO),
            attributes=attrs,
        )
    except Exception:
        logging.getLogger("heron_sdk").debug("heron_sdk: structlog export failed", exc_info=True)
    return event_dict
