"""User-defined LLM evaluators: a prompt template plus the JSON schema of the answer.

Placeholders are exactly ``{input}``, ``{output}``, ``{context}`` and
``{expected}``; any other brace is left alone, so templates may show JSON
examples. The answer schema must have a numeric or boolean score field
(``score`` by default). Its ``minimum``/``maximum`` give the scale, mapped
to 0..1 (a 1-5 rubric stores 3 as 0.5); a boolean maps to 1/0. An optional
``label`` field whose values are ``pass``/``fail`` overrides the threshold.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from heron.errors import ConfigError
from heron.evals.context import clip, input_text, output_text, retrieved_documents, tool_results
from heron.evals.judged import BadAnswer, JudgedEvaluator, _Prepared, unit_value
from heron.evals.judges.base import StructuredJudge
from heron.evals.prompts import TEMPLATE_SYSTEM
from heron.evals.types import EvalInput, EvalLabel, EvalResult

__all__ = ["DEFAULT_TEMPLATE_SCHEMA", "PLACEHOLDERS", "TemplateEvaluator"]

PLACEHOLDERS = ("{input}", "{output}", "{context}", "{expected}")

DEFAULT_TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasoning": {"type": "string"},
    },
    "required": ["score", "reasoning"],
}


class TemplateEvaluator(JudgedEvaluator):
    """An evaluator defined by a prompt template and an answer schema.

    ``TemplateEvaluator(judge, name="politeness", template="Is this polite?\\n{output}")``
    """

    def __init__(
        self,
        judge: StructuredJudge,
        *,
        name: str,
        template: str,
        output_schema: dict[str, Any] | None = None,
        score_field: str = "score",
        threshold: float = 0.5,
        system: str | None = None,
    ) -> None:
        super().__init__(judge, name=name, threshold=threshold)
        if not any(p in template for p in PLACEHOLDERS):
            raise ConfigError(
                f"template of evaluator {name!r} uses none of {', '.join(PLACEHOLDERS)}: "
                "the judge would never see the span; add at least {output}"
            )
        schema = output_schema or DEFAULT_TEMPLATE_SCHEMA
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ConfigError(
                f"output_schema of evaluator {name!r} is not a valid JSON Schema: {exc.message}"
            ) from exc
        field = (schema.get("properties") or {}).get(score_field)
        kind = field.get("type") if isinstance(field, dict) else None
        if not isinstance(field, dict) or kind not in ("number", "integer", "boolean"):
            raise ConfigError(
                f"output_schema of evaluator {name!r} needs a number or boolean property "
                f"{score_field!r} (found {kind!r}); set score_field= to the field holding the score"
            )
        self.template = template
        self.schema = schema
        self.system = system or TEMPLATE_SYSTEM
        self.score_field = score_field
        self._boolean = kind == "boolean"
        self._range = (float(field.get("minimum", 0)), float(field.get("maximum", 1)))
        if self._range[0] >= self._range[1]:
            raise ConfigError(f"score field {score_field!r} has minimum >= maximum")
        self._validator = jsonschema.Draft202012Validator(schema)

    def prepare(self, item: EvalInput) -> _Prepared:
        """Fill the placeholders from the span, its trace and the expected answer."""
        span = item.span
        context = "\n---\n".join(
            retrieved_documents(span, item.trace) + tool_results(span, item.trace)
        )
        values = {
            "{input}": clip(input_text(span)),
            "{output}": clip(output_text(span)),
            "{context}": clip(context),
            "{expected}": clip(item.expected or ""),
        }
        prompt = self.template
        for placeholder, value in values.items():
            prompt = prompt.replace(placeholder, value)
        return _Prepared(prompt=prompt)

    def interpret(self, answer: dict[str, Any]) -> EvalResult:
        """Validate against the schema, read and scale the score, take an explicit label."""
        raw = answer.get(self.score_field)
        if self._boolean and isinstance(raw, bool):
            value = 1.0 if raw else 0.0
        else:
            value = unit_value(answer, self.score_field, *self._range)
        errors = sorted(self._validator.iter_errors(answer), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "(root)"
            raise BadAnswer(f"judge answer breaks the schema at {where}: {errors[0].message}")
        label: EvalLabel = "pass" if value >= self.threshold else "fail"
        explicit = answer.get("label")
        if explicit in ("pass", "fail"):
            label = explicit
        criteria = {
            key: float(v)
            for key, v in answer.items()
            if key != self.score_field and isinstance(v, int | float) and not isinstance(v, bool)
        }
        reasoning = answer.get("reasoning")
        return EvalResult(
            evaluator=self.name,
            label=label,
            value=value,
            reasoning=str(reasoning) if reasoning is not None else "",
            criteria=criteria,
        )
