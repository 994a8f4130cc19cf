"""Bounds on what becomes a Prometheus label, and a memory of spans already counted.

Every distinct label value is a new time series in Prometheus, kept for weeks.
A client that sends a random model name per request (or a user id as a model
name) must not be able to blow up the scraper, so each label is bounded: the
first ``limit`` distinct values per project keep their name, later ones are
counted under ``other``.
"""

from __future__ import annotations

from collections import OrderedDict
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
    """A bounded insertion-ordered set: remembers the last ``capacity`` keys seen.

    Used to count a span once when the write-ahead log replays it after a
    restart or a retried flush; the replay window is far smaller than the
    capacity, so a bounded memory is enough.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; True when it is new, False when it was already remembered."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)


class RecentValues:
    """A bounded map that forgets its oldest entries beyond ``capacity``."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[Hashable, str] = OrderedDict()

    def put(self, key: Hashable, value: str) -> None:
        """Remember ``value`` for ``key`` (the newest entry)."""
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def get(self, key: Hashable) -> str | None:
        """The remembered value, or None."""
        return self._items.get(key)
