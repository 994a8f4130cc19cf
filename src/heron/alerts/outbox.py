"""The notification outbox: deliveries are recorded first, then attempted with backoff.

The engine never calls a receiver directly. It enqueues a delivery per
notifier; :class:`OutboxDispatcher` attempts the due ones, and a failure is
rescheduled with exponential backoff until ``max_attempts``, after which the
delivery stays recorded as ``failed`` with its attempts and last error — never
silently lost. The :class:`Outbox` protocol is small so a metadata-database
table can replace :class:`MemoryOutbox` without touching the engine.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import structlog

from heron.protocols import Notifier

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "MemoryOutbox",
    "Outbox",
    "OutboxDispatcher",
    "RetryPolicy",
]

DeliveryStatus = Literal["pending", "delivered", "failed"]
_log = structlog.get_logger("heron.alerts.outbox")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to one notifier, and what happened to it."""

    id: int
    dedup_key: str
    notifier: str
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``base * factor**(attempt-1)``, capped at ``max_delay``."""

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=5)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or self.base <= timedelta(0):
            raise ValueError(
                f"invalid retry policy {self!r}: need max_attempts >= 1, factor >= 1, base > 0"
            )

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try after ``attempts`` failed tries."""
        return min(self.base * (self.factor ** (attempts - 1)), self.max_delay)


class Outbox(Protocol):
    """Where deliveries wait; enqueue is idempotent by ``dedup_key`` + notifier."""

    def enqueue(
        self, notifier: str, payload: dict[str, Any], dedup_key: str, now: datetime
    ) -> Delivery | None:
        """Record a delivery; None when one with the same key and notifier exists."""

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Claim pending deliveries due at ``now`` (oldest first) for this caller alone.

        A claimed delivery is not due again before ``now + lease``, so concurrent
        dispatchers never attempt the same one; if the claimer dies before
        :meth:`update`, the delivery is retried after the lease.
        """

    def update(self, delivery: Delivery) -> None:
        """Store the delivery's new status, attempts and error."""

    def list(self, status: DeliveryStatus | None = None) -> list[Delivery]:
        """Deliveries (optionally of one status), oldest first."""


@dataclass
class MemoryOutbox:
    """An in-process :class:`Outbox` (single process; lost on restart)."""

    _items: dict[int, Delivery] = field(default_factory=dict)
    _keys: set[tuple[str, str]] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self, notifier: str, payload: dict[str, Any], dedup_key: str, now: datetime
    ) -> Delivery | None:
        """See :class:`Outbox`."""
        with self._lock:
            if (dedup_key, notifier) in self._keys:
                return None
            self._keys.add((dedup_key, notifier))
            item = Delivery(next(self._ids), dedup_key, notifier, payload, now, now)
            self._items[item.id] = item
            return item

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """See :class:`Outbox`."""
        with self._lock:
            ready = [
                d for d in self._items.values()
                if d.status == "pending" and d.next_attempt_at <= now
            ]  # fmt: skip
            ready = sorted(ready, key=lambda d: (d.next_attempt_at, d.id))[:limit]
            for d in ready:
                self._items[d.id] = replace(d, next_attempt_at=now + lease)
        return ready

    def update(self, delivery: Delivery) -> None:
        """See :class:`Outbox`."""
        with self._lock:
            self._items[delivery.id] = delivery

    def list(self, status: DeliveryStatus | None = None) -> list[Delivery]:
        """See :class:`Outbox`."""
        with self._lock:
            items = sorted(self._items.values(), key=lambda d: d.id)
        return [d for d in items if status is None or d.status == status]


class OutboxDispatcher:
    """Attempts due deliveries once each per :meth:`dispatch_due` call.

    Run it on a timer (every few seconds); retries happen on later calls once
    their backoff has elapsed, so no call ever sleeps.
    """

    def __init__(
        self,
        outbox: Outbox,
        notifiers: Mapping[str, Notifier],
        *,
        clock: Callable[[], datetime],
        policy: RetryPolicy | None = None,
        batch: int = 100,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.outbox = outbox
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.lease = lease

    def dispatch_due(self, now: datetime | None = None) -> list[Delivery]:
        """Attempt every due delivery; return them with their new status."""
        now = now or self.clock()
        done = []
        for delivery in self.outbox.claim_due(now, self.batch, self.lease):
            result = self._attempt(delivery, now)
            self.outbox.update(result)
            done.append(result)
        return done

    def _attempt(self, delivery: Delivery, now: datetime) -> Delivery:
        attempts = delivery.attempts + 1
        notifier = self.notifiers.get(delivery.notifier)
        if notifier is None:
            # A typo in a rule's notifier list cannot fix itself: fail at once, keep the record.
            error = (
                f"no notifier named {delivery.notifier!r}; configured: "
                f"{', '.join(sorted(self.notifiers)) or 'none'}"
            )
            _log.error("alert delivery failed", delivery_id=delivery.id, error=error)
            return replace(delivery, status="failed", attempts=attempts, last_error=error)
        try:
            notifier.send(delivery.payload)
        except Exception as exc:  # any receiver failure is retried, never raised
            error = f"{type(exc).__name__}: {exc}"
            if attempts >= self.policy.max_attempts:
                _log.error(
                    "alert delivery failed permanently", delivery_id=delivery.id,
                    notifier=delivery.notifier, attempts=attempts, error=error,
                )  # fmt: skip
                return replace(delivery, status="failed", attempts=attempts, last_error=error)
            retry_at = now + self.policy.delay(attempts)
            _log.warning(
                "alert delivery failed; will retry", delivery_id=delivery.id,
                notifier=delivery.notifier, attempts=attempts, retry_at=retry_at.isoformat(),
                error=error,
            )  # fmt: skip
            return replace(delivery, attempts=attempts, last_error=error, next_attempt_at=retry_at)
        return replace(delivery, status="delivered", attempts=attempts, delivered_at=now)
