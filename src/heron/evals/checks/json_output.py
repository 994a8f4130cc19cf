"""Is the output valid JSON (and valid against the schema) when the span asked for JSON?

The request is read from the attributes the conventions leave on the span:
OpenInference ``llm.invocation_parameters`` (JSON with ``response_format``),
OTel GenAI ``gen_ai.output.type`` / ``gen_ai.request.response_format`` /
``gen_ai.openai.request.response_format``. A schema, when given
(``response_format.json_schema.schema``), is checked with ``jsonschema``.
Fenced JSON fails: the app asked for JSON and its parser would choke.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from heron.evals.checks.base import LocalCheck, not_applicable
from heron.evals.context import output_text
from heron.evals.types import EvalInput, EvalResult
from heron.model import Span

__all__ = ["JsonOutputCheck", "requested_json"]

_FORMAT_KEYS = (
    "gen_ai.request.response_format",
    "gen_ai.openai.request.response_format",
    "llm.response_format",
)


def _as_dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {"type": value}  # a bare "json_object"
    return value if isinstance(value, dict) else None


def requested_json(span: Span) -> tuple[bool, dict[str, Any] | None]:
    """(did the span ask for JSON, the JSON schema it gave or None)."""
    formats: list[dict[str, Any]] = []
    params = _as_dict(span.attributes.get("llm.invocation_parameters"))
    if params and params.get("response_format") is not None:
        found = _as_dict(params["response_format"])
        if found:
            formats.append(found)
    for key in _FORMAT_KEYS:
        found = _as_dict(span.attributes.get(key))
        if found:
            formats.append(found)
    if str(span.attributes.get("gen_ai.output.type", "")).lower() == "json":
        formats.append({"type": "json_object"})
    for fmt in formats:
        kind = str(fmt.get("type", "")).lower()
        if kind in ("json_schema", "json_object", "json"):
            wrapper = fmt.get("json_schema")
            schema = wrapper.get("schema") if isinstance(wrapper, dict) else fmt.get("schema")
            return True, schema if isinstance(schema, dict) else None
    return False, None


class JsonOutputCheck(LocalCheck):
    """Flags ``json:invalid``, ``json:fenced``, ``json:schema_mismatch``, ``json:not_object``."""

    def __init__(self) -> None:
        self.name = "json_validity"

    def evaluate(self, item: EvalInput) -> EvalResult:
        """``fail`` when JSON was asked for and the output is not (schema-)valid JSON."""
        asked, schema = requested_json(item.span)
        if not asked:
            return not_applicable(self.name, "the span did not ask for JSON output")
        text = output_text(item.span).strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            flag = "json:fenced" if text.startswith("```") else "json:invalid"
            return self._fail(flag, f"output is not JSON ({exc.msg} at char {exc.pos})")
        if schema is not None:
            try:
                validator = jsonschema.Draft202012Validator(schema)
                errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
            except jsonschema.SchemaError:
                errors = []  # the app's own schema is broken; nothing we can check against
            if errors:
                where = "/".join(str(p) for p in errors[0].path) or "(root)"
                return self._fail(
                    "json:schema_mismatch",
                    f"output breaks the requested schema at {where} "
                    f"({errors[0].validator} rule; {len(errors)} error(s))",
                )
        elif not isinstance(value, dict | list):
            return self._fail("json:not_object", "JSON mode output is a bare scalar")
        return EvalResult(
            evaluator=self.name,
            label="pass",
            value=1.0,
            reasoning="output is valid JSON"
            + (" matching the schema" if schema is not None else ""),
        )

    def _fail(self, flag: str, reason: str) -> EvalResult:
        return EvalResult(
            evaluator=self.name, label="fail", value=0.0, reasoning=reason, flags=[flag]
        )
