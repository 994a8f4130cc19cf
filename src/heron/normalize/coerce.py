"""Tolerant readers of attribute values.

Instrumentation libraries send numbers as strings, lists as JSON text, booleans
as ``"true"``; some send nulls. Every reader here returns None for a value it
cannot interpret instead of raising, so one odd attribute never loses a span.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "as_bool",
    "as_float",
    "as_int",
    "as_str",
    "as_str_list",
    "first",
    "loads_json",
    "text_of",
]


def as_str(value: Any) -> str | None:
    """A non-empty string, or None. Numbers become their text; containers are refused."""
    # Exact-type checks first: this runs dozens of times per span and most values are
    # None or plain str, for which isinstance chains cost more than the work itself.
    if value is None:
        return None
    if isinstance(value, str):
        if value and not value[0].isspace():
            return value  # cannot be blank: no need to strip a long text
        return value if value.strip() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return str(value)
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a numeric string; None otherwise."""
    if value is None:
        return None
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None
    return None


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    number: float
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_bool(value: Any) -> bool | None:
    """A boolean from a bool, ``"true"``/``"false"`` (any case) or 0/1; None otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def as_str_list(value: Any) -> list[str] | None:
    """A list of strings from a list, a JSON array in a string, or a single string."""
    if isinstance(value, list):
        return [text for item in value if (text := as_str(item)) is not None]
    if isinstance(value, str):
        parsed = loads_json(value)
        if isinstance(parsed, list):
            return as_str_list(parsed)
        return [value] if value.strip() else None
    return None


def loads_json(value: Any) -> Any:
    """``value`` parsed from JSON when it is a JSON string; lists and dicts pass through."""
    if value is None:
        return None
    if isinstance(value, list | dict):
        return value
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if not stripped or stripped[0] not in '[{"':
        return None
    try:
        # Not orjson, though faster: it turns integers past 64 bits into floats.
        return json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None


def first(attrs: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key present with a non-None value."""
    if len(keys) == 1:
        return attrs.get(keys[0])
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return value
    return None


def text_of(value: Any) -> str | None:
    """Text for display: strings as is, other JSON values serialized; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)
