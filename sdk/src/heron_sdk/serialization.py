"""Values as JSON text for span attributes (``input.value``, ``output.value``, ``metadata``).

:func:`to_json` is exactly ``json.dumps(value, default=..., ensure_ascii=False)``
(with a repr fallback and a length cap), but it runs on the app's thread for
every observed call, where ``json.dumps`` costs a few microseconds even for
``{"x": 1}``: it builds an encoder and a C scanner per call. So the shapes most
calls pass (a scalar, or a flat dict/list/tuple of scalars) are written
directly, producing the same text ``json.dumps`` would; anything else goes
through one shared ``JSONEncoder`` with the same options.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

__all__ = ["MAX_JSON", "to_json"]

MAX_JSON = 64 * 1024
"""Longest JSON text kept in one attribute; longer text is replaced by a truncated string."""

_FLAT_ITEMS = 32  # above this a container goes to the C encoder, faster per item than Python
_INF = float("inf")


def _fallback(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic v2 models, e.g. LLM client responses
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return repr(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name, None) for name in value.__dataclass_fields__}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


# Stateless between calls (its cycle markers are per call), so one is shared by all threads.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_fallback)


def _float(value: float) -> str:
    # The JSONEncoder's spelling (allow_nan=True): NaN and infinities are not JSON numbers.
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


# Exact types only: a subclass (an IntEnum, a str subclass with its own __str__) takes
# the encoder's path, whose rules for subclasses are not repeated here.
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    float: _float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _value: "null",
}


def _flat(value: Any) -> str | None:
    """``value`` as JSON when it is a scalar or a flat container of scalars, else None."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return scalar(value)
    if kind is dict:
        if len(value) > _FLAT_ITEMS:
            return None
        parts = []
        for key, item in value.items():
            encode = _SCALARS.get(type(item))
            if encode is None or type(key) is not str:
                return None
            parts.append(f"{encode_basestring(key)}: {encode(item)}")
        return "{" + ", ".join(parts) + "}"
    if kind is list or kind is tuple:
        if len(value) > _FLAT_ITEMS:
            return None
        parts = []
        for item in value:
            encode = _SCALARS.get(type(item))
            if encode is None:
                return None
            parts.append(encode(item))
        return "[" + ", ".join(parts) + "]"
    return None


def to_json(value: Any, limit: int = MAX_JSON) -> str:
    """``value`` as JSON for a span attribute; never raises, truncated to ``limit`` chars.

    Objects JSON cannot express become what ``model_dump`` (pydantic), their
    dataclass fields or their ``repr`` give; a value that still fails (a
    cycle, say) is recorded as its ``repr`` string. Text longer than ``limit``
    becomes a JSON string of its first ``limit`` characters marked
    ``...[truncated]``.
    """
    try:
        text = _flat(value)
        if text is None:
            text = _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(repr(value))
    if len(text) > limit:
        # Truncated JSON is not JSON; a string that says so is more useful to a reader.
        return json.dumps(text[:limit] + "...[truncated]")
    return text
