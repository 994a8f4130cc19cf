"""Normalization: OTLP spans from any LLM instrumentation -> heron's normalized spans.

Public API: :class:`Normalizer` (the composition root builds one from Settings),
:func:`template_hash`, :func:`parse_otlp_json` (OTLP/JSON with hex ids, shared with
``heron.ingest``) and :class:`Pipeline` for custom processor chains.
"""

from heron.normalize.logs import normalize_logs
from heron.normalize.normalizer import Normalizer
from heron.normalize.otlp_values import parse_otlp_json
from heron.normalize.pipeline import Pipeline
from heron.normalize.template import template_hash

__all__ = ["Normalizer", "Pipeline", "normalize_logs", "parse_otlp_json", "template_hash"]
