-- Log records (heron.model.LogRecord), idempotent by (project_id, log_id): log_id is a
-- content hash, so a WAL replay inserts the same key and ReplacingMergeTree keeps one.
-- Ordered for the two reads that matter: the logs of a trace, and a time window.
CREATE TABLE IF NOT EXISTS $db.logs$local $on_cluster
(
    project_id LowCardinality(String),
    time DateTime64(6, 'UTC'),
    log_id String,
    trace_id Nullable(String),
    span_id Nullable(String),
    severity_number UInt8,
    severity_text LowCardinality(Nullable(String)),
    body Nullable(String),
    event_name LowCardinality(Nullable(String)),
    service_name LowCardinality(Nullable(String)),
    scope_name LowCardinality(Nullable(String)),
    attributes String,
    resource_attributes String,
    retention_days UInt16 DEFAULT 0,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6),
    INDEX idx_logs_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ${replicated}ReplacingMergeTree(${replication}inserted_at)
PARTITION BY toYYYYMM(time)
ORDER BY (project_id, toStartOfHour(time), log_id)
TTL toDateTime(time) + toIntervalDay(retention_days) WHERE retention_days > 0
SETTINGS $dedup_window = 10000;

-- heron:cluster-only
CREATE TABLE IF NOT EXISTS $db.logs $on_cluster AS $db.logs$local
ENGINE = Distributed($cluster_name, $db_name, 'logs$local', cityHash64(project_id, log_id));
