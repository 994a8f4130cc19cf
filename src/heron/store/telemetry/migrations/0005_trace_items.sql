-- A trace's scores and logs beside its spans in span_details, so that a trace page
-- reads one table. Each table a query touches costs 2-5 ms on chDB even when one
-- granule matches: spans, scores and logs read from three tables took ~14-20 ms of a
-- trace lookup, one table ~7 ms. `kind` tells the rows apart and ends the sorting key,
-- so that a score or log id never replaces a span of the same id; span_id holds the
-- score_id or log_id. Every version of a score is copied (a reader keeps the latest
-- by `inserted_at_us` in its JSON, as the scores table keeps the latest `inserted_at`).
-- Log records without a trace id are not copied. start_time is the time each source
-- table's TTL counts from (a score's span_start_time, a record's time).
ALTER TABLE $db.span_details$local $on_cluster
    ADD COLUMN kind Enum8('span' = 0, 'score' = 1, 'log' = 2) AFTER span_id,
    MODIFY ORDER BY (project_id, trace_id, span_id, kind);

-- heron:cluster-only
ALTER TABLE $db.span_details $on_cluster
    ADD COLUMN kind Enum8('span' = 0, 'score' = 1, 'log' = 2) AFTER span_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.span_details_from_scores$local $on_cluster
TO $db.span_details$local
AS SELECT
    project_id, trace_id, item_id AS span_id, 'score' AS kind, item_time AS start_time,
    detail, retention_days, inserted_at
FROM (
    SELECT
        project_id, trace_id, score_id AS item_id, span_start_time AS item_time,
        formatRowNoNewline(
            'JSONEachRow',
            score_id, project_id, trace_id, name,
            toUnixTimestamp64Micro(created_at) AS created_at_us, span_id, value, label,
            comment, source, reasoning, evaluator, flags, metadata, cost_usd,
            toUnixTimestamp64Micro(inserted_at) AS inserted_at_us
        ) AS detail,
        retention_days, inserted_at
    FROM $db.scores$local
);

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.span_details_from_logs$local $on_cluster
TO $db.span_details$local
AS SELECT
    project_id, item_trace AS trace_id, item_id AS span_id, 'log' AS kind,
    item_time AS start_time, detail, retention_days, inserted_at
FROM (
    SELECT
        project_id, assumeNotNull(trace_id) AS item_trace, log_id AS item_id,
        time AS item_time,
        formatRowNoNewline(
            'JSONEachRow',
            project_id, log_id, toUnixTimestamp64Micro(time) AS time_us, trace_id, span_id,
            severity_number, severity_text, body, event_name, service_name, scope_name,
            attributes, resource_attributes
        ) AS detail,
        retention_days, inserted_at
    FROM $db.logs$local
    WHERE trace_id IS NOT NULL AND trace_id != ''
);

-- Scores and log records stored before this migration (through the Distributed tables
-- on a cluster: span_details is sharded by trace, the logs table by log id).
INSERT INTO $db.span_details (project_id, trace_id, span_id, kind, start_time, detail, retention_days, inserted_at)
SELECT
    project_id, trace_id, item_id, 'score', item_time, detail, retention_days, inserted_at
FROM (
    SELECT
        project_id, trace_id, score_id AS item_id, span_start_time AS item_time,
        formatRowNoNewline(
            'JSONEachRow',
            score_id, project_id, trace_id, name,
            toUnixTimestamp64Micro(created_at) AS created_at_us, span_id, value, label,
            comment, source, reasoning, evaluator, flags, metadata, cost_usd,
            toUnixTimestamp64Micro(inserted_at) AS inserted_at_us
        ) AS detail,
        retention_days, inserted_at
    FROM $db.scores FINAL
)
WHERE (project_id, trace_id, item_id) NOT IN (
    SELECT project_id, trace_id, span_id FROM $db.span_details WHERE kind = 'score'
);

INSERT INTO $db.span_details (project_id, trace_id, span_id, kind, start_time, detail, retention_days, inserted_at)
SELECT
    project_id, item_trace, item_id, 'log', item_time, detail, retention_days, inserted_at
FROM (
    SELECT
        project_id, assumeNotNull(trace_id) AS item_trace, log_id AS item_id,
        time AS item_time,
        formatRowNoNewline(
            'JSONEachRow',
            project_id, log_id, toUnixTimestamp64Micro(time) AS time_us, trace_id, span_id,
            severity_number, severity_text, body, event_name, service_name, scope_name,
            attributes, resource_attributes
        ) AS detail,
        retention_days, inserted_at
    FROM $db.logs FINAL
    WHERE trace_id IS NOT NULL AND trace_id != ''
)
WHERE (project_id, item_trace, item_id) NOT IN (
    SELECT project_id, trace_id, span_id FROM $db.span_details WHERE kind = 'log'
)
SETTINGS max_block_size = 8192, max_insert_block_size = 65536, max_threads = 1;
