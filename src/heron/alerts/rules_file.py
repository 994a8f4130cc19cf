"""Alert rules in a YAML file, for operators who keep rules in version control.

::

    project_id: default          # optional: applies to rules that do not name one
    rules:
      - id: checkout-latency
        name: Checkout assistant is slow
        metric: p95_latency      # see heron.alerts.rule for metrics and units
        comparison: ">"
        threshold: 8
        window: 5m
        for: 2m
        severity: critical
        filter: {model: gpt-4o, tag: checkout}
        labels: {team: payments}
        repeat_interval: 1h
        notifiers: [slack, webhook]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from heron.alerts.rule import AlertRule
from heron.errors import ConfigError

__all__ = ["dump_rules", "load_rules", "parse_rules"]


def _explain(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "rule"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_rules(
    text: str, *, source: str = "<rules>", project_id: str | None = None
) -> list[AlertRule]:
    """Rules from YAML text; raise ConfigError naming the rule and field that is wrong.

    ``project_id`` is the default for rules that do not name one (the file's
    top-level ``project_id`` wins over it).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        raise ConfigError(
            f"{source} must be a mapping with a 'rules:' list (see heron.alerts.rules_file)"
        )
    default_project = data.get("project_id", project_id)
    rules: list[AlertRule] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: rules[{index}] must be a mapping, got {raw!r}")
        entry: dict[str, Any] = dict(raw)
        if "project_id" not in entry and default_project is not None:
            entry["project_id"] = default_project
        label = f"rules[{index}] (id={entry.get('id')!r})"
        try:
            rule = AlertRule.model_validate(entry)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {label} is invalid: {_explain(exc)}") from exc
        if rule.key in seen:
            raise ConfigError(
                f"{source}: {label} repeats rule id {rule.id!r} in project {rule.project_id!r}; "
                "ids must be unique within a project"
            )
        seen.add(rule.key)
        rules.append(rule)
    return rules


def load_rules(path: Path, *, project_id: str | None = None) -> list[AlertRule]:
    """Rules from a YAML file (see :func:`parse_rules`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read alert rules file {str(path)!r}: {exc}") from exc
    return parse_rules(text, source=str(path), project_id=project_id)


def dump_rules(rules: Sequence[AlertRule]) -> str:
    """YAML text that :func:`parse_rules` reads back to the same rules."""
    return yaml.safe_dump(
        {"rules": [r.to_file_dict() for r in rules]}, sort_keys=False, allow_unicode=True
    )
