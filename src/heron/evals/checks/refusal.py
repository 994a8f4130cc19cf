"""Did the model refuse? Provider signals first, then refusal phrasing at the answer's start.

A refusal opens the answer ("I'm sorry, but I can't...", "As an AI, I am
unable to..."); the same words later in a helpful answer ("if you can't find
the file...", "I can't stress enough...") are not one, so phrases are only
looked for in the first sentences and must be about helping/complying.
"""

from __future__ import annotations

import re

from heron.evals.checks.base import LocalCheck, not_applicable
from heron.evals.context import output_text
from heron.evals.types import EvalInput, EvalResult

__all__ = ["RefusalCheck", "looks_like_refusal"]

_HEAD_CHARS = 320
_APOLOGY = r"(?:(?:i'?m|i am) (?:so |very |really )?sorry|sorry|unfortunately|i apologi[sz]e)"
_CANNOT = (
    r"(?:i|we) (?:can(?:not|'t| not)|won'?t|will not|am (?:not able|unable)|'m (?:not able|unable)"
    r"|am not (?:allowed|permitted)|'m not (?:allowed|permitted)|must (?:decline|refuse)"
    r"|have to decline|need to decline|do not|don'?t) "
)
_ACTS = (
    r"(?:help|assist|provide|comply|fulfil+|do (?:that|this)|support|share|give|generate|"
    r"create|write|engage|answer|continue|participate|offer|produce|complete|discuss|"
    r"make|go along|process|help you with|evaluate|rate|judge|assess|grade|score)"
)
_PATTERNS = [
    re.compile(rf"^\W*(?:{_APOLOGY}[,.!]?\s*(?:but\s*)?)?{_CANNOT}(?:\w+ ){{0,2}}{_ACTS}\b", re.I),
    re.compile(
        rf"^\W*{_APOLOGY}[^.!?]{{0,60}}\b(?:can'?t|cannot|unable to|won'?t|not able to)\b", re.I
    ),
    re.compile(
        r"\bas an ai(?: language model| assistant| model)?,? i (?:can(?:not|'t)|am (?:not able|unable)|don'?t|do not|won'?t)\b",  # noqa: E501
        re.I,
    ),
    re.compile(
        r"\b(?:against|violates?|outside) (?:my|the|our) (?:guidelines|policies|policy|usage policies|content policy|programming|ethical guidelines)\b",  # noqa: E501
        re.I,
    ),
    re.compile(r"^\W*i (?:must|have to|need to) (?:respectfully )?(?:decline|refuse)\b", re.I),
    re.compile(
        r"^\W*(?:this|that|your) request (?:is|seems|appears)[^.]{0,40}\b(?:harmful|illegal|unethical|against|not something i)",  # noqa: E501
        re.I,
    ),
    re.compile(
        r"^\W*i'?m not (?:able|going|comfortable|in a position) (?:to )?(?:help|assist|provid|do|shar|comply|creat|writ|generat)",  # noqa: E501
        re.I,
    ),
]


def looks_like_refusal(text: str) -> bool:
    """True when the opening of ``text`` reads as a refusal to help."""
    head = text.strip()[:_HEAD_CHARS].replace("\u2019", "'")
    if not head:
        return False
    sentences = re.split(r"(?<=[.!?])\s+", head)
    opening = " ".join(sentences[:2])
    return any(p.search(opening) for p in _PATTERNS)


class RefusalCheck(LocalCheck):
    """Flags refusals: ``refusal:content_filter`` (finish reason), ``refusal:text`` (phrasing).

    Checks the provider's refusal signals (finish reason ``content_filter``,
    Anthropic's ``refusal`` stop reason, an OpenAI ``refusal`` message
    attribute) and then the answer text.
    """

    def __init__(self) -> None:
        self.name = "refusal"

    def evaluate(self, item: EvalInput) -> EvalResult:
        """``fail`` when the model refused."""
        span = item.span
        flags = []
        if "content_filter" in span.finish_reasons or "refusal" in span.finish_reasons_raw:
            flags.append("refusal:content_filter")
        text = output_text(span)
        if any(key.endswith(".refusal") and value for key, value in span.attributes.items()):
            flags.append("refusal:provider")
        if looks_like_refusal(text):
            flags.append("refusal:text")
        if not flags and not text.strip():
            return not_applicable(self.name, "the span has no output text")
        if flags:
            return EvalResult(
                evaluator=self.name,
                label="fail",
                value=0.0,
                reasoning="the model refused (" + ", ".join(flags) + ")",
                flags=flags,
            )
        return EvalResult(evaluator=self.name, label="pass", value=1.0, reasoning="no refusal")
