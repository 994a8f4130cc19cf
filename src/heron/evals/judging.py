"""Turning a rule (or a run's spec) into a ready evaluator, with its judge built once.

Judge settings resolve field by field: the rule's ``judge`` object first,
then ``HERON_JUDGE_*``, then the provider's defaults. A rule names its API
key by environment variable (``judge.api_key_env``) so keys never sit in the
database. Judges are cached per configuration (their HTTP clients are
thread-safe), evaluators per rule definition.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heron.config import Settings
from heron.errors import ConfigError
from heron.evals.judges import StructuredJudge, create_judge
from heron.evals.registry import get_evaluator
from heron.evals.rules import JudgeConfig, TemplateSpec
from heron.evals.template import TemplateEvaluator
from heron.evals.types import Evaluator

__all__ = ["EvaluatorFactory", "JudgeDefaults"]


@dataclass(frozen=True, slots=True)
class JudgeDefaults:
    """The server-wide judge settings (``HERON_JUDGE_*``)."""

    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> JudgeDefaults:
        """Read the ``judge_*`` settings."""
        return cls(
            provider=settings.judge_provider,
            model=settings.judge_model,
            base_url=settings.judge_base_url,
            api_key=settings.judge_api_key,
        )


class EvaluatorFactory:
    """Builds (and caches) judges and evaluators; safe to share between worker threads."""

    def __init__(self, defaults: JudgeDefaults, env: Mapping[str, str] | None = None) -> None:
        self.defaults = defaults
        self._env = env if env is not None else os.environ
        self._lock = threading.Lock()
        self._judges: dict[tuple[Any, ...], StructuredJudge] = {}
        self._evaluators: dict[str, Evaluator] = {}

    def judge(self, config: JudgeConfig | None) -> StructuredJudge:
        """The judge for ``config`` merged over the defaults."""
        config = config or JudgeConfig()
        provider = config.provider or self.defaults.provider
        if not provider:
            raise ConfigError(
                "this evaluator needs an LLM judge but none is configured: set "
                "HERON_JUDGE_PROVIDER (anthropic or openai) and HERON_JUDGE_MODEL, or give "
                "the rule a judge object {provider, model, base_url, api_key_env}"
            )
        api_key = self.defaults.api_key
        if config.api_key_env:
            api_key = self._env.get(config.api_key_env)
            if not api_key:
                raise ConfigError(
                    f"judge.api_key_env names {config.api_key_env!r}, which is not set in the "
                    "server's environment; export it where heron runs"
                )
        kwargs: dict[str, Any] = {
            "api_key": api_key,
            "base_url": config.base_url or self.defaults.base_url,
            "timeout_s": self.defaults.timeout_s,
            "max_retries": self.defaults.max_retries,
        }
        model = config.model or self.defaults.model
        if model:
            kwargs["model"] = model
        key = (provider, *sorted((k, str(v)) for k, v in kwargs.items()))
        with self._lock:
            found = self._judges.get(key)
            if found is None:
                found = create_judge(provider, **kwargs)
                self._judges[key] = found
            return found

    def build(
        self,
        *,
        evaluator: str | None,
        config: Mapping[str, Any],
        template: TemplateSpec | None,
        judge: JudgeConfig | None,
    ) -> Evaluator:
        """A new evaluator (uncached): a built-in by name, or a template evaluator."""
        if template is not None:
            return TemplateEvaluator(
                self.judge(judge),
                name=template.name,
                template=template.template,
                output_schema=template.output_schema,
                score_field=template.score_field,
                threshold=template.threshold,
                system=template.system,
            )
        if evaluator is None:
            raise ConfigError("give an evaluator name or a template")
        from heron.evals.registry import JUDGED

        built_judge = self.judge(judge) if evaluator in JUDGED else None
        return get_evaluator(evaluator, judge=built_judge, **dict(config))

    def cached(
        self,
        *,
        evaluator: str | None,
        config: Mapping[str, Any],
        template: TemplateSpec | None,
        judge: JudgeConfig | None,
    ) -> Evaluator:
        """Like :meth:`build`, reusing the evaluator of an identical definition."""
        key = json.dumps(
            {
                "e": evaluator,
                "c": dict(config),
                "t": template.model_dump(mode="json") if template else None,
                "j": judge.model_dump(mode="json") if judge else None,
            },
            sort_keys=True,
            default=str,
        )
        with self._lock:
            found = self._evaluators.get(key)
        if found is not None:
            return found
        built = self.build(evaluator=evaluator, config=config, template=template, judge=judge)
        with self._lock:
            return self._evaluators.setdefault(key, built)

    def close(self) -> None:
        """Close every judge's HTTP client."""
        with self._lock:
            judges = list(self._judges.values())
            self._judges.clear()
            self._evaluators.clear()
        for judge in judges:
            judge.close()
