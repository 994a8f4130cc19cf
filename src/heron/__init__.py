"""heron: self-hostable LLM observability (traces, metrics, logs, evals, alerts)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
