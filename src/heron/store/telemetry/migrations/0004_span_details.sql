-- Whole spans for point reads of a trace. The engine pays a fixed cost per column it
-- reads (~0.4-0.7 ms on chDB), so reading a trace's ~60 columns from the wide spans
-- table costs 40-60 ms even when one granule matches. This table holds each span once
-- more as one JSON text (every heron.model.Span field but the key columns), sorted by
-- trace with small granules: a trace lookup reads three columns of one granule.
-- The engine fills it from every insert into spans (the materialized view below), so
-- ingest does no extra Python work; spans stored before this migration are copied.
-- Times are unix microseconds (start_time_us, end_time_us) and the cost is text
-- (cost_usd_text) so that JSON keeps them exact. A migration that adds a Span field
-- must recreate the view with it (tests/store compares the keys with Span's fields).
CREATE TABLE IF NOT EXISTS $db.span_details$local $on_cluster
(
    project_id LowCardinality(String),
    trace_id String,
    span_id String,
    start_time DateTime64(6, 'UTC'),
    detail String CODEC(ZSTD(1)),
    retention_days UInt16 DEFAULT 0,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ${replicated}ReplacingMergeTree(${replication}inserted_at)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, trace_id, span_id)
TTL toDateTime(start_time) + toIntervalDay(retention_days) WHERE retention_days > 0
SETTINGS index_granularity = 256, $dedup_window = 10000;

-- heron:cluster-only
CREATE TABLE IF NOT EXISTS $db.span_details $on_cluster AS $db.span_details$local
ENGINE = Distributed($cluster_name, $db_name, 'span_details$local', cityHash64(project_id, trace_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.span_details_from_spans$local $on_cluster
TO $db.span_details$local
AS SELECT
    project_id, trace_id, span_id, start_time,
    formatRowNoNewline(
        'JSONEachRow',
        name, toUnixTimestamp64Micro(start_time) AS start_time_us,
        toUnixTimestamp64Micro(end_time) AS end_time_us, parent_span_id, kind, status,
        status_message, error_type, service_name, provider, operation, request_model,
        response_model, model, streaming, input_tokens, cached_input_tokens,
        cache_write_input_tokens, output_tokens, reasoning_tokens, total_tokens,
        toString(cost_usd) AS cost_usd_text, cost_note, ttft_ms, finish_reasons,
        finish_reasons_raw, input_messages, output_messages, system_prompt, tool_calls,
        user_id, session_id, tags, prompt_template, prompt_template_version,
        prompt_template_variables, prompt_template_hash, context_window_tokens,
        context_window_utilization, duplicate_of, input_value, output_value, environment,
        workflow_name, metadata, convention, scope_name, scope_version, otel_kind,
        attributes, resource_attributes, events, truncated
    ) AS detail,
    retention_days, inserted_at
FROM $db.spans$local;

-- Spans stored before this migration (on a cluster through the Distributed tables,
-- which shard both tables by the same key), in blocks of ~64k rows: the default
-- blocks of 1M rows held ~3 GiB of span text at once.
INSERT INTO $db.span_details (project_id, trace_id, span_id, start_time, detail, retention_days, inserted_at)
SELECT
    project_id, trace_id, span_id, start_time,
    formatRowNoNewline(
        'JSONEachRow',
        name, toUnixTimestamp64Micro(start_time) AS start_time_us,
        toUnixTimestamp64Micro(end_time) AS end_time_us, parent_span_id, kind, status,
        status_message, error_type, service_name, provider, operation, request_model,
        response_model, model, streaming, input_tokens, cached_input_tokens,
        cache_write_input_tokens, output_tokens, reasoning_tokens, total_tokens,
        toString(cost_usd) AS cost_usd_text, cost_note, ttft_ms, finish_reasons,
        finish_reasons_raw, input_messages, output_messages, system_prompt, tool_calls,
        user_id, session_id, tags, prompt_template, prompt_template_version,
        prompt_template_variables, prompt_template_hash, context_window_tokens,
        context_window_utilization, duplicate_of, input_value, output_value, environment,
        workflow_name, metadata, convention, scope_name, scope_version, otel_kind,
        attributes, resource_attributes, events, truncated
    ),
    retention_days, inserted_at
FROM $db.spans
WHERE (project_id, trace_id, span_id) NOT IN (SELECT project_id, trace_id, span_id FROM $db.span_details)
SETTINGS max_block_size = 8192, max_insert_block_size = 65536, min_insert_block_size_rows = 65536,
    min_insert_block_size_bytes = 67108864, max_threads = 1;
