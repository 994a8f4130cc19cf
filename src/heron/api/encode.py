"""JSON encoding of heron's dataclasses for API responses."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from heron.model import Score, Span, format_time

__all__ = ["to_json"]


def to_json(value: Any) -> Any:
    """Spans and scores by their API shape; other dataclasses field by field."""
    if isinstance(value, Span | Score):
        return value.to_api_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value
