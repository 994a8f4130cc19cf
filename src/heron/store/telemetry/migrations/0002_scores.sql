-- Scores (heron.model.Score), idempotent by (project_id, trace_id, score_id); the latest
-- insert of a score_id wins (ReplacingMergeTree on inserted_at, read with FINAL). One
-- partition (scores are few), so an edited score never sits in another partition.
-- The scored span's model, provider, user, session, service, template hash, tags and
-- start time are copied on at insert time so stats group scores without a join.
CREATE TABLE IF NOT EXISTS $db.scores$local $on_cluster
(
    project_id LowCardinality(String),
    trace_id String,
    score_id String,
    span_id Nullable(String),
    name LowCardinality(String),
    created_at DateTime64(6, 'UTC'),
    value Nullable(Float64),
    label Nullable(String),
    comment Nullable(String),
    source LowCardinality(String),
    reasoning Nullable(String),
    evaluator LowCardinality(Nullable(String)),
    flags Array(String),
    metadata String,
    cost_usd Nullable(Float64),
    span_start_time DateTime64(6, 'UTC'),
    model LowCardinality(Nullable(String)),
    provider LowCardinality(Nullable(String)),
    user_id Nullable(String),
    session_id Nullable(String),
    service_name LowCardinality(Nullable(String)),
    prompt_template_hash Nullable(String),
    tags Array(String),
    retention_days UInt16 DEFAULT 0,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ${replicated}ReplacingMergeTree(${replication}inserted_at)
ORDER BY (project_id, trace_id, score_id)
TTL toDateTime(span_start_time) + toIntervalDay(retention_days) WHERE retention_days > 0
SETTINGS $dedup_window = 10000;

-- heron:cluster-only
CREATE TABLE IF NOT EXISTS $db.scores $on_cluster AS $db.scores$local
ENGINE = Distributed($cluster_name, $db_name, 'scores$local', cityHash64(project_id, trace_id));
