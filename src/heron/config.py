"""The one settings object of heron.

Every setting is an environment variable ``HERON_<NAME>`` (documented in
``docs/configuration.md``); ``heron serve`` flags override them. A YAML file
named by ``HERON_CONFIG_FILE`` may set any of them too (lower precedence than
the environment).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from heron.errors import ConfigError

__all__ = ["Settings", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads settings from the YAML file named by HERON_CONFIG_FILE, if any."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        import os

        path = os.environ.get("HERON_CONFIG_FILE")
        if not path:
            return {}
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read HERON_CONFIG_FILE={path!r}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"HERON_CONFIG_FILE={path!r} must hold a mapping of settings")
        return {str(k).lower(): v for k, v in data.items()}


class Settings(BaseSettings):
    """All of heron's configuration. Field docs are the reference for each variable."""

    model_config = SettingsConfigDict(env_prefix="HERON_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(7070, description="Port for the UI, REST API and OTLP/HTTP.")
    grpc_port: int = Field(4317, description="Port for OTLP/gRPC; 0 disables it.")
    data_dir: Path = Field(Path(".heron"), description="Directory for the WAL and embedded stores.")
    store_url: str | None = Field(
        None,
        description="Telemetry store: chdb:///path (default <data_dir>/telemetry) or "
        "http(s)://user:pass@host:port/db[?cluster=NAME] for a ClickHouse server.",
    )
    meta_url: str | None = Field(
        None,
        description="Metadata store (SQLAlchemy URL): default sqlite:///<data_dir>/meta.db; "
        "postgresql+psycopg://... at scale.",
    )
    default_project: str = Field(
        "default", description="Project used on loopback when no API key is configured."
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024, description="Largest accepted request body (after gunzip)."
    )
    wal_budget_bytes: int = Field(
        512 * 1024 * 1024,
        description="WAL backlog (not yet flushed to the store) above which ingest answers 429.",
    )
    wal_segment_bytes: int = Field(
        64 * 1024 * 1024, description="Size at which the WAL rolls over to a new segment file."
    )
    wal_sync: bool = Field(
        True, description="fsync the WAL before acknowledging; only tests may turn it off."
    )
    flush_max_spans: int = Field(
        20_000, description="Most spans the flusher writes to the store in one insert."
    )
    flush_interval_s: float = Field(
        0.5, description="How long the flusher waits for more data before writing a batch."
    )
    trace_cache_traces: int = Field(
        20_000,
        ge=1,
        description="Recent traces whose spans' own user, session, tags, template and model "
        "call are remembered, so that spans of the same trace in later batches inherit them "
        "(~3.7 KB per trace of five spans).",
    )
    trace_cache_mib: int = Field(
        128,
        ge=1,
        description="Size bound of the same cache, estimated: ~800 bytes per span plus the "
        "template text and string variables of templated spans (RAG variables can be large). "
        "The least recently seen traces are forgotten first.",
    )
    retry_after_s: int = Field(2, description="Retry-After seconds sent with 429.")
    prices_file: Path | None = Field(
        None, description="YAML file adding or overriding model prices (USD per million tokens)."
    )
    context_windows_file: Path | None = Field(
        None, description="YAML file adding or overriding model context window sizes (tokens)."
    )
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_format: Literal["json", "console", "auto"] = Field(
        "json", description="json lines (default), console, or auto (console on a TTY)."
    )
    capture_content: bool = Field(
        True, description="Store prompts and completions; false keeps counts only."
    )
    redact_pii: bool = Field(
        False,
        description="Default for projects without their own `redaction.pii` setting: replace "
        "e-mails, phone and card numbers, IBANs, national ids, IP addresses and secrets in "
        "stored strings with [REDACTED:<kind>] before they reach the WAL.",
    )
    rate_limit_requests_per_s: float = Field(
        200.0, description="Sustained ingest requests per second per API key (0 = unlimited)."
    )
    rate_limit_request_burst: int = Field(
        400, description="Requests a key may send at once above the sustained rate."
    )
    rate_limit_spans_per_s: float = Field(
        50_000.0, description="Sustained spans (or log records) per second per key (0 = unlimited)."
    )
    rate_limit_span_burst: int = Field(
        200_000, description="Spans a key may send at once above the sustained rate."
    )
    max_attribute_value_bytes: int = Field(
        32 * 1024,
        description="String attribute values longer than this (UTF-8 bytes) are truncated and "
        "the span flagged heron.truncated=true.",
    )
    max_attributes_per_span: int = Field(
        256, description="Attributes kept per span, event or log record; extra ones are dropped."
    )
    alert_interval_s: float = Field(
        15.0, gt=0, description="Seconds between alert rule evaluations (and outbox dispatches)."
    )
    alert_rules_file: Path | None = Field(
        None,
        description="YAML file of alert rules loaded at start; rules are created or replaced "
        "by id (see heron.alerts.rules_file for the format).",
    )
    alert_webhook_url: str | None = Field(
        None, description="Send alert notifications as signed JSON POSTs to this URL."
    )
    alert_webhook_secret: str | None = Field(
        None,
        description="HMAC-SHA256 secret for the webhook's X-Heron-Signature header.",
    )
    alert_slack_url: str | None = Field(
        None, description="Slack-compatible incoming webhook URL for alert notifications."
    )
    judge_provider: str | None = Field(
        None,
        description="Default LLM judge for eval rules without their own: anthropic or openai "
        "(the latter for any OpenAI-compatible server: vLLM, Ollama, LiteLLM).",
    )
    judge_model: str | None = Field(
        None, description="Default judge model (default: the provider's small model)."
    )
    judge_base_url: str | None = Field(
        None, description="Default judge endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama."
    )
    judge_api_key: str | None = Field(
        None,
        description="Default judge API key (else the provider's own variable, "
        "ANTHROPIC_API_KEY or OPENAI_API_KEY).",
    )
    eval_workers: int = Field(
        2, ge=0, le=64, description="Eval job worker threads in this process; 0 runs none."
    )
    auth_required: bool | None = Field(
        None,
        description="Force API-key auth on or off; default: on when any key exists "
        "or the host is not loopback.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlFileSource(settings_cls))

    @field_validator("port", "grpc_port")
    @classmethod
    def _valid_port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError(f"port {value} is outside 0..65535")
        return value

    @property
    def wal_dir(self) -> Path:
        """Directory holding the write-ahead log segments."""
        return self.data_dir / "wal"

    @property
    def resolved_store_url(self) -> str:
        """The telemetry store URL, defaulting to chDB inside the data directory."""
        return self.store_url or f"chdb://{(self.data_dir / 'telemetry').resolve()}"

    @property
    def resolved_meta_url(self) -> str:
        """The metadata store URL, defaulting to SQLite inside the data directory."""
        return self.meta_url or f"sqlite:///{(self.data_dir / 'meta.db').resolve()}"
