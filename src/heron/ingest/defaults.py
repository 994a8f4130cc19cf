"""Settings values for components built without a Settings object (tests, tools)."""

from __future__ import annotations

from typing import Any

from heron.config import Settings

__all__ = ["setting"]


def setting(settings: Settings | None, name: str) -> Any:
    """``settings.<name>``, or the field's documented default when there are no settings.

    The default comes from the field definition, not ``Settings()``, so building a
    component in a test never reads HERON_* variables from the environment.
    """
    if settings is not None:
        return getattr(settings, name)
    return Settings.model_fields[name].default
