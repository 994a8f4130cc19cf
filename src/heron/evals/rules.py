"""Online evaluation rules: which evaluator runs on which spans, how often, at what cost.

A rule names a built-in evaluator (``evaluator`` + ``config``) or defines a
template evaluator (``template``); ``filter`` picks spans by kind, model,
tag, prompt template hash and user; ``sample_rate`` keeps that share of the
matching spans; ``delay_s`` waits so the rest of the trace (retriever and
tool spans) has arrived; ``daily_budget_usd`` stops enqueuing judge jobs once
today's (UTC) recorded judge cost of the rule reaches it (local checks are
free and never stopped); ``judge`` overrides the server's judge settings.

Sampling is deterministic: a span is sampled when the first 8 bytes of
``sha256(span_id)`` read as a fraction fall below ``sample_rate``. A replay
(WAL recovery, a re-sent batch) therefore samples exactly the same spans, and
two rules with the same rate judge the same spans, which makes them comparable.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from heron.errors import ConfigError
from heron.evals.registry import JUDGED, LOCAL
from heron.model import Span
from heron.model.span import SPAN_KINDS

__all__ = ["EvalRule", "JudgeConfig", "SpanFilter", "TemplateSpec", "sample_fraction"]


def sample_fraction(span_id: str) -> float:
    """Where ``span_id`` falls in [0, 1): the same answer on every call and every process."""
    digest = hashlib.sha256(span_id.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class JudgeConfig(BaseModel):
    """Which model judges: any field left out comes from the ``HERON_JUDGE_*`` settings.

    ``api_key_env`` names the environment variable holding the key (the key
    itself is never stored in the database).
    """

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(None, description="anthropic or openai (any compatible server).")
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Env var holding the API key."
    )


class TemplateSpec(BaseModel):
    """A user-defined judge evaluator (see :class:`heron.evals.TemplateEvaluator`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    template: str = Field(min_length=1, max_length=50_000)
    output_schema: dict[str, Any] | None = None
    score_field: str = "score"
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    system: str | None = None


class SpanFilter(BaseModel):
    """Which spans a rule looks at; an empty list means "any"."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[str] = Field(default_factory=lambda: ["llm"])
    models: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    prompt_template_hashes: list[str] = Field(default_factory=list)
    user_ids: list[str] = Field(default_factory=list)

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [k for k in kinds if k not in SPAN_KINDS]
        if unknown:
            raise ValueError(f"unknown span kinds {unknown}; use any of {list(SPAN_KINDS)}")
        return kinds

    def matches(self, span: Span) -> bool:
        """True when ``span`` passes every non-empty criterion."""
        if self.kinds and span.kind not in self.kinds:
            return False
        if self.models and span.model not in self.models:
            return False
        if self.tags and not set(self.tags) & set(span.tags):
            return False
        if self.prompt_template_hashes and span.prompt_template_hash not in (
            self.prompt_template_hashes
        ):
            return False
        return not (self.user_ids and span.user_id not in self.user_ids)


class EvalRule(BaseModel):
    """One online evaluation rule of a project."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.:-]+$")
    project_id: str
    name: str = Field(min_length=1, max_length=200)
    evaluator: str | None = Field(None, description="A built-in evaluator's name.")
    config: dict[str, Any] = Field(default_factory=dict, description="Its keyword arguments.")
    template: TemplateSpec | None = None
    filter: SpanFilter = Field(default_factory=SpanFilter)
    sample_rate: float = Field(1.0, ge=0.0, le=1.0)
    delay_s: float = Field(30.0, ge=0.0, le=86_400.0)
    daily_budget_usd: float | None = Field(None, ge=0.0)
    judge: JudgeConfig | None = None
    include_session: bool = Field(False, description="Give the evaluator earlier session turns.")
    score_name: str | None = Field(None, max_length=200, description="Default: evaluator name.")
    enabled: bool = True

    @model_validator(mode="after")
    def _one_evaluator(self) -> EvalRule:
        if (self.evaluator is None) == (self.template is None):
            raise ValueError("give exactly one of 'evaluator' (a built-in name) or 'template'")
        if self.evaluator is not None and self.evaluator not in (*LOCAL, *JUDGED):
            raise ValueError(
                f"unknown evaluator {self.evaluator!r}; built-ins are {sorted([*LOCAL, *JUDGED])}"
            )
        if self.evaluator == "template":
            raise ValueError(
                "define a template evaluator with 'template', not evaluator='template'"
            )
        return self

    @property
    def evaluator_name(self) -> str:
        """The name scores of this rule carry as ``evaluator``."""
        if self.template is not None:
            return self.template.name
        if self.evaluator is None:  # ruled out by the validator
            raise ConfigError(f"eval rule {self.id!r} has no evaluator")
        return self.evaluator

    @property
    def needs_judge(self) -> bool:
        """True when the evaluator calls an LLM (and so costs money)."""
        return self.template is not None or self.evaluator in JUDGED

    @property
    def score_label(self) -> str:
        """The stored score's name."""
        return self.score_name or self.evaluator_name

    def selects(self, span: Span) -> bool:
        """True when ``span`` matches the filter and falls inside the sample."""
        if not self.filter.matches(span):
            return False
        return self.sample_rate >= 1.0 or sample_fraction(span.span_id) < self.sample_rate

    def definition(self) -> dict[str, Any]:
        """The rule as the JSON stored in the metadata DB (without id/project/name/enabled)."""
        return self.model_dump(mode="json", exclude={"id", "project_id", "name", "enabled"})

    @classmethod
    def from_record(
        cls, project_id: str, rule_id: str, name: str, definition: dict[str, Any], enabled: bool
    ) -> EvalRule:
        """Rebuild a stored rule."""
        return cls.model_validate(
            {
                **definition,
                "id": rule_id,
                "project_id": project_id,
                "name": name,
                "enabled": enabled,
            }
        )
