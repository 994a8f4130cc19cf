"""The handle :func:`heron_sdk.init` returns, and the one process-wide active handle.

An SDK has to keep one piece of process state (like OpenTelemetry's global
tracer provider): the decorators, ``score()`` and the log handler find the
active setup here instead of being passed it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.trace import TracerProvider

from heron_sdk.counters import Counters, SdkStats
from heron_sdk.export import HeronLogProcessor, HeronSpanProcessor
from heron_sdk.scores import ScoreSender
from heron_sdk.settings import SdkSettings

__all__ = ["HeronHandle", "active", "init_lock", "install", "release", "stats"]

_log = logging.getLogger("heron_sdk")


@dataclass(eq=False)
class HeronHandle:
    """What :func:`heron_sdk.init` set up; keep it to flush or shut down.

    ``owns_provider`` is False when heron joined a tracer provider the app had
    already configured. ``instrumented`` names the LLM client instrumentations
    heron turned on.
    """

    settings: SdkSettings
    tracer_provider: TracerProvider | None = None
    logger_provider: LoggerProvider | None = None
    span_processor: HeronSpanProcessor | None = None
    log_processor: HeronLogProcessor | None = None
    scores: ScoreSender | None = None
    counters: Counters = field(default_factory=Counters)
    owns_provider: bool = False
    instrumented: tuple[str, ...] = ()
    tracer: trace.Tracer | None = None
    _closed: bool = False

    @property
    def active(self) -> bool:
        """True until :meth:`shutdown`."""
        return not self._closed

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send everything queued (spans, logs, scores) now; True when all of it went out."""
        ok = True
        for part in (self.span_processor, self.log_processor):
            if part is not None:
                try:
                    ok = part.force_flush(timeout_millis) and ok
                except Exception:
                    _log.warning("heron_sdk: flush failed", exc_info=True)
                    ok = False
        if self.scores is not None:
            ok = self.scores.flush(timeout_millis / 1000) and ok
        return ok

    def shutdown(self, timeout_millis: int = 30000) -> None:
        """Flush and stop heron's exporters; idempotent. The app's own OTel setup keeps working.

        heron's processors stay registered on the tracer provider (OTel cannot
        remove one) but become inert; a later :func:`heron_sdk.init` adds fresh ones.
        """
        if self._closed:
            return
        self._closed = True
        release(self)
        for part in (self.span_processor, self.log_processor):
            if part is not None:
                try:
                    part.shutdown()
                except Exception:
                    _log.warning("heron_sdk: shutdown failed", exc_info=True)
        if self.logger_provider is not None:
            try:
                self.logger_provider.shutdown()
            except Exception:
                _log.warning("heron_sdk: log provider shutdown failed", exc_info=True)
        if self.scores is not None:
            self.scores.shutdown(timeout_millis / 1000)

    def stats(self) -> SdkStats:
        """Counts of what this setup exported and dropped."""
        return self.counters.snapshot()


_lock = threading.RLock()
_active: HeronHandle | None = None
_last: HeronHandle | None = None


def active() -> HeronHandle | None:
    """The handle of the current :func:`heron_sdk.init`, or None."""
    return _active


def install(handle: HeronHandle) -> None:
    global _active, _last
    with _lock:
        _active = handle
        _last = handle


def release(handle: HeronHandle) -> None:
    global _active
    with _lock:
        if _active is handle:
            _active = None


def init_lock() -> threading.RLock:
    """The lock that makes ``init`` idempotent under concurrent calls."""
    return _lock


def stats() -> SdkStats:
    """Counts of spans, log records and scores exported and dropped by the latest ``init``.

    All zero before ``init``. Still readable after ``shutdown``.
    """
    handle = _active or _last
    return handle.stats() if handle is not None else SdkStats()
