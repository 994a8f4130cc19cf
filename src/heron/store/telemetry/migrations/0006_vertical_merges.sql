-- Merge the span tables column by column (the vertical algorithm) at any size. The
-- engine's default merges fewer than 131,072 rows all columns at once, each source
-- part streaming 8,192-row blocks of every column: on chDB six freshly inserted
-- 5,000-span parts of spans (113 MiB of LLM text, ~60 columns) took ~430 MiB to
-- merge that way, and 100-170 MiB column by column. Those are exactly the merges
-- that run all the time under ingest.
ALTER TABLE $db.spans$local $on_cluster
    MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1,
    vertical_merge_algorithm_min_columns_to_activate = 1;

ALTER TABLE $db.span_details$local $on_cluster
    MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1,
    vertical_merge_algorithm_min_columns_to_activate = 1;
