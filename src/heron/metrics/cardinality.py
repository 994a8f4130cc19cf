"""Bounds on what becomes a Prometheus label, and a memory of spans already counted.

Every distinct label value is a new time series in Prometheus, kept for weeks.
A client that sends a random model name per request (or a user id as a model
name) must not be able to blow up the scraper, so each label is bounded: the
first ``limit`` distinct values per project keep their name, later ones are
counted under ``other``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

__all__ = ["OTHER", "UNKNOWN", "LabelLimiter", "RecentKeys", "RecentValues"]

OTHER = "other"
"""Label value that absorbs every value beyond a limit."""

UNKNOWN = "unknown"
"""Label value used when the span carries no value at all (e.g. no model name)."""


class LabelLimiter:
    """Maps raw label values to bounded ones: the first ``limit`` per scope keep their name.

    Admission is first come, first kept, for the life of the process: a value once
    admitted stays a series (Prometheus counters must not change label sets
    mid-stream), so the bound is exact and never evicts.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"label limit must be at least 1, got {limit}")
        self.limit = limit
        self._seen: dict[str, set[str]] = {}

    def __call__(self, scope: str, value: str | None) -> str:
        """The label value to use for ``value`` within ``scope`` (e.g. a project)."""
        if not value:
            return UNKNOWN
        admitted = self._seen.setdefault(scope, set())
        if value in admitted:
            return value
        if len(admitted) < self.limit:
            admitted.add(value)
            return value
        return OTHER

    def admitted(self, scope: str) -> frozenset[str]:
        """The values that keep their own name in ``scope``."""
        return frozenset(self._seen.get(scope, ()))


class RecentKeys:
    """A bounded set: remembers the last ``capacity`` distinct keys first seen.

    Used to count a span once when a client re-sends it (an OTLP exporter retrying
    a batch whose answer it missed) or a flush is retried; those repeats come
    within seconds, far inside the capacity.

    Keys are kept as their ``hash()``, an int, not as the tuple of id strings:
    ~80 bytes per key instead of ~290, and nothing for the garbage collector to
    walk. Two keys sharing a 64-bit hash (odds about ``capacity`` in 2**64 per
    key) would make the second look already seen.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._hashes: set[int] = set()
        self._order: deque[int] = deque()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; True when it is new, False when it was already remembered."""
        digest = hash(key)
        if digest in self._hashes:
            return False
        if len(self._order) == self.capacity:
            self._hashes.discard(self._order.popleft())
        self._hashes.add(digest)
        self._order.append(digest)
        return True

    def __contains__(self, key: object) -> bool:
        return hash(key) in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)


class RecentValues:
    """A bounded map that forgets the entries put first beyond ``capacity``.

    Keys are kept as their ``hash()``, as in :class:`RecentKeys`.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: dict[int, str] = {}
        self._order: deque[int] = deque()

    def put(self, key: Hashable, value: str) -> None:
        """Remember ``value`` for ``key`` (replacing an earlier value, keeping its age)."""
        digest = hash(key)
        if digest not in self._items:
            if len(self._order) == self.capacity:
                del self._items[self._order.popleft()]
            self._order.append(digest)
        self._items[digest] = value

    def get(self, key: Hashable) -> str | None:
        """The remembered value, or None."""
        return self._items.get(hash(key))

    def __len__(self) -> int:
        return len(self._items)
