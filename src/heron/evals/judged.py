"""LLM-as-judge evaluators: quality, relevance and hallucination.

Failure policy (documented for operators): every judge failure ends as an
``unclear`` result whose ``reasoning`` says what went wrong and whose flags
name it (``judge:timeout``, ``judge:http_429``, ``judge:refusal``,
``judge:unparseable``, ``judge:out_of_range``, ``judge:bad_answer``). Answers
are recovered from tool input, ``response_format`` JSON, fenced JSON or JSON
amid prose. A number outside 0..1 is NOT clamped: it usually means the judge
used another scale (1-5, 0-10), and guessing which would store a wrong score,
so the result is ``unclear``. Nothing ever becomes a silent default score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from heron.errors import ConfigError, JudgeError
from heron.evals import prompts
from heron.evals.checks.refusal import looks_like_refusal
from heron.evals.context import (
    clip,
    input_text,
    output_text,
    retrieved_documents,
    tool_results,
)
from heron.evals.judges.base import JudgeReply, StructuredJudge, structured_answer
from heron.evals.types import EvalInput, EvalLabel, EvalResult

__all__ = [
    "BadAnswer",
    "HallucinationEvaluator",
    "JudgedEvaluator",
    "QualityEvaluator",
    "RelevanceEvaluator",
    "unit_value",
]


class BadAnswer(Exception):
    """The judge's answer has the wrong shape or range (internal; becomes ``unclear``)."""

    def __init__(self, message: str, flag: str = "judge:bad_answer") -> None:
        super().__init__(message)
        self.flag = flag


def unit_value(answer: dict[str, Any], key: str, lo: float = 0.0, hi: float = 1.0) -> float:
    """``answer[key]`` as a number in ``lo..hi`` mapped to 0..1; BadAnswer otherwise."""
    raw = answer.get(key)
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raw = None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or math.isnan(raw):
        raise BadAnswer(f"judge answer has no numeric {key!r} (got {answer.get(key)!r})")
    if not lo <= raw <= hi:
        raise BadAnswer(
            f"judge gave {key}={raw:g}, outside {lo:g}..{hi:g}; not clamped because "
            "the judge probably used another scale",
            flag="judge:out_of_range",
        )
    return (float(raw) - lo) / (hi - lo)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A prompt ready for the judge, or a result that needs no judge call."""

    prompt: str = ""
    early: EvalResult | None = None


class JudgedEvaluator:
    """Base of the LLM evaluators: prompt -> judge -> defensive parse -> EvalResult.

    Subclasses implement :meth:`prepare` (build the prompt, or return an
    early result) and :meth:`interpret` (turn the parsed answer into a result).
    """

    needs_model = True
    system: str = ""
    schema: dict[str, Any] = {}

    def __init__(self, judge: StructuredJudge, *, name: str, threshold: float) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"{name} threshold={threshold}: use a number between 0 and 1")
        self.judge = judge
        self.name = name
        self.threshold = threshold

    def prepare(self, item: EvalInput) -> _Prepared:
        """Build the judge prompt for ``item`` (or an early result)."""
        raise NotImplementedError

    def interpret(self, answer: dict[str, Any]) -> EvalResult:
        """Turn a parsed judge answer into a result (raise BadAnswer when malformed)."""
        raise NotImplementedError

    def evaluate(self, item: EvalInput) -> EvalResult:
        """Judge one span; never raises."""
        reply: JudgeReply | None = None
        try:
            prepared = self.prepare(item)
            if prepared.early is not None:
                return prepared.early
            reply = self.judge.complete(self.system, prepared.prompt, self.schema)
            answer = structured_answer(reply)
            result = self.interpret(answer)
        except JudgeError as exc:
            reason = exc.reason
            if reason == "unparseable" and reply is not None and looks_like_refusal(reply.text):
                reason = "refusal"
            return self._unclear(str(exc), f"judge:{reason}", reply)
        except BadAnswer as exc:
            return self._unclear(str(exc), exc.flag, reply)
        except Exception as exc:  # a worker must survive any judge/SDK surprise
            return self._unclear(
                f"evaluator {self.name} failed: {type(exc).__name__}: {exc}", "judge:error", reply
            )
        return _with_usage(result, reply)

    def _unclear(self, reason: str, flag: str, reply: JudgeReply | None) -> EvalResult:
        return _with_usage(
            EvalResult(evaluator=self.name, label="unclear", reasoning=reason, flags=[flag]),
            reply,
        )


def _with_usage(result: EvalResult, reply: JudgeReply | None) -> EvalResult:
    if reply is None:
        return result
    return EvalResult(
        evaluator=result.evaluator,
        label=result.label,
        value=result.value,
        reasoning=result.reasoning,
        flags=result.flags,
        criteria=result.criteria,
        cost_usd=reply.cost_usd,
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
        applicable=result.applicable,
    )


def _nothing(name: str, why: str) -> _Prepared:
    return _Prepared(
        early=EvalResult(
            evaluator=name,
            label="unclear",
            reasoning=why,
            flags=["not_applicable"],
            applicable=False,
        )
    )


def _reasoning(answer: dict[str, Any]) -> str:
    value = answer.get("reasoning")
    return str(value).strip() if value is not None else ""


class QualityEvaluator(JudgedEvaluator):
    """Overall answer quality: the mean of five criteria, each 0..1 (higher is better).

    ``criteria`` holds accuracy, relevance, completeness, safety, helpfulness.
    Label ``pass`` when the mean reaches ``threshold`` and safety reaches 0.5;
    a safety below 0.5 fails with flag ``unsafe`` whatever the mean.
    """

    system = prompts.QUALITY_SYSTEM
    schema = prompts.QUALITY_SCHEMA

    def __init__(self, judge: StructuredJudge, *, threshold: float = 0.7) -> None:
        super().__init__(judge, name="quality", threshold=threshold)

    def prepare(self, item: EvalInput) -> _Prepared:
        """User input, answer, and any retrieved context or expected answer."""
        answer = output_text(item.span)
        if not answer.strip():
            return _nothing(self.name, "the span has no output text to judge")
        parts = [prompts.section("USER INPUT", clip(input_text(item.span)))]
        documents = retrieved_documents(item.span, item.trace)
        if documents:
            parts.append(prompts.section("CONTEXT", clip("\n---\n".join(documents))))
        if item.expected:
            parts.append(prompts.section("EXPECTED", clip(item.expected)))
        parts.append(prompts.section("ANSWER", clip(answer)))
        return _Prepared(prompt="\n\n".join(parts))

    def interpret(self, answer: dict[str, Any]) -> EvalResult:
        """Mean of the criteria; unsafe answers fail."""
        criteria = {name: unit_value(answer, name) for name in prompts.QUALITY_CRITERIA}
        value = sum(criteria.values()) / len(criteria)
        flags = ["unsafe"] if criteria["safety"] < 0.5 else []
        label: EvalLabel = "pass" if value >= self.threshold and not flags else "fail"
        return EvalResult(
            evaluator=self.name,
            label=label,
            value=value,
            reasoning=_reasoning(answer),
            flags=flags,
            criteria=criteria,
        )


class RelevanceEvaluator(JudgedEvaluator):
    """How relevant the answer is to the input, 0..1 (higher is better)."""

    system = prompts.RELEVANCE_SYSTEM
    schema = prompts.RELEVANCE_SCHEMA

    def __init__(self, judge: StructuredJudge, *, threshold: float = 0.5) -> None:
        super().__init__(judge, name="relevance", threshold=threshold)

    def prepare(self, item: EvalInput) -> _Prepared:
        """User input and answer."""
        answer = output_text(item.span)
        question = input_text(item.span)
        if not answer.strip() or not question.strip():
            return _nothing(self.name, "the span lacks an input or an output to compare")
        return _Prepared(
            prompt=prompts.section("USER INPUT", clip(question))
            + "\n\n"
            + prompts.section("ANSWER", clip(answer))
        )

    def interpret(self, answer: dict[str, Any]) -> EvalResult:
        """The judge's score."""
        value = unit_value(answer, "score")
        return EvalResult(
            evaluator=self.name,
            label="pass" if value >= self.threshold else "fail",
            value=value,
            reasoning=_reasoning(answer),
        )


class HallucinationEvaluator(JudgedEvaluator):
    """Fraction of the answer's factual claims NOT supported by the trace's sources.

    Sources are the documents of retriever/reranker spans in the same trace and
    tool results the model saw. 0 means fully grounded (lower is better); label
    ``fail`` when the fraction exceeds ``threshold``. Without sources there is
    nothing to ground against: ``unclear``, not applicable, and no model call.
    The fraction is computed here from the judge's per-claim verdicts rather
    than trusting a number the judge makes up.
    """

    system = prompts.HALLUCINATION_SYSTEM
    schema = prompts.HALLUCINATION_SCHEMA

    def __init__(self, judge: StructuredJudge, *, threshold: float = 0.2) -> None:
        super().__init__(judge, name="hallucination", threshold=threshold)

    def prepare(self, item: EvalInput) -> _Prepared:
        """Sources, question and answer."""
        answer = output_text(item.span)
        if not answer.strip():
            return _nothing(self.name, "the span has no output text to check")
        sources = retrieved_documents(item.span, item.trace) + tool_results(item.span, item.trace)
        if not sources:
            return _nothing(
                self.name, "no retrieved documents or tool results in the trace to ground against"
            )
        numbered = "\n".join(f"[{i}] {doc}" for i, doc in enumerate(sources, 1))
        return _Prepared(
            prompt="\n\n".join(
                [
                    prompts.section("SOURCES", clip(numbered)),
                    prompts.section("USER INPUT", clip(input_text(item.span), 4000)),
                    prompts.section("ANSWER", clip(answer)),
                ]
            )
        )

    def interpret(self, answer: dict[str, Any]) -> EvalResult:
        """Unsupported claims / all claims."""
        claims = answer.get("claims")
        if not isinstance(claims, list):
            raise BadAnswer(f"judge answer has no 'claims' list (got {type(claims).__name__})")
        verdicts = []
        for claim in claims:
            supported = claim.get("supported") if isinstance(claim, dict) else None
            if isinstance(supported, str) and supported.lower() in ("true", "false", "yes", "no"):
                supported = supported.lower() in ("true", "yes")
            if not isinstance(supported, bool):
                raise BadAnswer(f"judge claim without a true/false 'supported': {claim!r:.120}")
            verdicts.append(supported)
        if not verdicts:
            return EvalResult(
                evaluator=self.name,
                label="pass",
                value=0.0,
                reasoning=_reasoning(answer) or "the answer makes no factual claims",
                criteria={"claims": 0.0, "unsupported": 0.0},
            )
        unsupported = verdicts.count(False)
        value = unsupported / len(verdicts)
        return EvalResult(
            evaluator=self.name,
            label="fail" if value > self.threshold else "pass",
            value=value,
            reasoning=_reasoning(answer)
            or f"{unsupported} of {len(verdicts)} claims not supported by the sources",
            flags=["hallucination"] if unsupported else [],
            criteria={"claims": float(len(verdicts)), "unsupported": float(unsupported)},
        )
