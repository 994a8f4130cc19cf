"""Model-keyed tables from YAML override files (prices, context windows).

Keys are model names matched case-insensitively: an exact name, or a family
prefix ending in ``*`` (``"acme-large-*"``); the exact name wins, then the
longest prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from heron.errors import ConfigError

__all__ = ["ModelTable", "load_models_section"]

V = TypeVar("V")


class ModelTable(Generic[V]):
    """Lookup of a value by model name: exact names, then ``prefix*`` families."""

    def __init__(self, entries: Mapping[str, V]) -> None:
        self._exact: dict[str, V] = {}
        self._prefixes: list[tuple[str, V]] = []
        for name, value in entries.items():
            key = name.strip().lower()
            if key.endswith("*"):
                self._prefixes.append((key[:-1], value))
            else:
                self._exact[key] = value
        self._prefixes.sort(key=lambda item: len(item[0]), reverse=True)

    def __len__(self) -> int:
        return len(self._exact) + len(self._prefixes)

    def get(self, model: str | None) -> V | None:
        """The entry for ``model``, or None."""
        if not model:
            return None
        key = model.strip().lower()
        if key in self._exact:
            return self._exact[key]
        for prefix, value in self._prefixes:
            if key.startswith(prefix):
                return value
        return None


def load_models_section(path: Path, setting: str) -> dict[str, Any]:
    """The ``models:`` mapping of a YAML file; ConfigError naming the file when unusable."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {setting}={str(path)!r}: {exc}; check the path") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{setting}={str(path)!r} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        raise ConfigError(
            f"{setting}={str(path)!r} must be a YAML mapping with a 'models:' mapping of "
            "model name -> entry (see the heron.normalize.cost / context_window docs)"
        )
    return {str(name): entry for name, entry in models.items()}
