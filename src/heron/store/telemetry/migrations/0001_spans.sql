-- One wide, immutable row per span (heron.model.Span), trace-level fields copied on.
-- Idempotent by (project_id, trace_id, span_id): the sorting key of a ReplacingMergeTree,
-- read with FINAL; replayed batches are also dropped at insert by their dedup token.
-- Nested values (messages, attributes, events, ...) are JSON text: they are only read
-- back whole, never aggregated. Tags are an array because stats group by them.
-- retention_days is the per-project retention seam: 0 keeps the row forever.
CREATE TABLE IF NOT EXISTS $db.spans$local $on_cluster
(
    project_id LowCardinality(String),
    trace_id String,
    span_id String,
    parent_span_id Nullable(String),
    name String,
    start_time DateTime64(6, 'UTC'),
    end_time DateTime64(6, 'UTC'),
    duration_ms Float64,
    kind LowCardinality(String),
    status LowCardinality(String),
    status_message Nullable(String),
    error_type Nullable(String),
    service_name LowCardinality(Nullable(String)),
    provider LowCardinality(Nullable(String)),
    operation LowCardinality(Nullable(String)),
    request_model LowCardinality(Nullable(String)),
    response_model LowCardinality(Nullable(String)),
    model LowCardinality(Nullable(String)),
    streaming Bool,
    input_tokens Int64,
    cached_input_tokens Int64,
    cache_write_input_tokens Int64,
    output_tokens Int64,
    reasoning_tokens Int64,
    total_tokens Int64,
    cost_usd Nullable(Decimal(38, 18)),
    cost_note Nullable(String),
    ttft_ms Nullable(Float64),
    finish_reasons Array(LowCardinality(String)),
    finish_reasons_raw Array(String),
    input_messages String,
    output_messages String,
    system_prompt Nullable(String),
    tool_calls String,
    user_id Nullable(String),
    session_id Nullable(String),
    tags Array(String),
    prompt_template Nullable(String),
    prompt_template_version Nullable(String),
    prompt_template_variables String,
    prompt_template_hash Nullable(String),
    context_window_tokens Nullable(Int64),
    context_window_utilization Nullable(Float64),
    duplicate_of Nullable(String),
    input_value Nullable(String),
    output_value Nullable(String),
    environment LowCardinality(Nullable(String)),
    workflow_name Nullable(String),
    metadata String,
    convention LowCardinality(Nullable(String)),
    scope_name LowCardinality(Nullable(String)),
    scope_version Nullable(String),
    otel_kind Int8,
    attributes String,
    resource_attributes String,
    events String,
    truncated Bool,
    input_preview String,
    output_preview String,
    retention_days UInt16 DEFAULT 0,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_span_id span_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = ${replicated}ReplacingMergeTree(${replication}inserted_at)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, toStartOfHour(start_time), trace_id, span_id)
TTL toDateTime(start_time) + toIntervalDay(retention_days) WHERE retention_days > 0
SETTINGS $dedup_window = 10000;

-- heron:cluster-only
CREATE TABLE IF NOT EXISTS $db.spans $on_cluster AS $db.spans$local
ENGINE = Distributed($cluster_name, $db_name, 'spans$local', cityHash64(project_id, trace_id));
