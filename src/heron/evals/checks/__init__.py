"""Local checks: evaluators that need no model.

PII and secrets, prompt injection, JSON validity, refusal, empty/truncated output, language.
"""

from heron.evals.checks.base import LocalCheck, findings_result, not_applicable
from heron.evals.checks.injection import InjectionCheck, find_injection
from heron.evals.checks.json_output import JsonOutputCheck, requested_json
from heron.evals.checks.language import LanguageMismatchCheck, detect_language, requested_language
from heron.evals.checks.pii import PiiCheck, find_pii, luhn_ok
from heron.evals.checks.refusal import RefusalCheck, looks_like_refusal
from heron.evals.checks.truncation import TruncationCheck

__all__ = [
    "InjectionCheck",
    "JsonOutputCheck",
    "LanguageMismatchCheck",
    "LocalCheck",
    "PiiCheck",
    "RefusalCheck",
    "TruncationCheck",
    "detect_language",
    "find_injection",
    "find_pii",
    "findings_result",
    "looks_like_refusal",
    "luhn_ok",
    "not_applicable",
    "requested_json",
    "requested_language",
]
